"""Bad and big inputs made at test time (too big to commit): zip bombs, huge pages, long PDFs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _in_child(name: str, arg: object) -> bytes:
    # fpdf2 leaves its font file open (a ResourceWarning, an error under -W error): make the
    # PDF in a child process.
    proc = subprocess.run([sys.executable, "-m", "tests.crawl.docgen", name, json.dumps(arg)],
                          capture_output=True, check=True, cwd=DOCS.parents[2])
    return proc.stdout


def text_pdf(pages: list[str]) -> bytes:
    """A text-layer PDF (fpdf2, DejaVu Sans), one string per page."""
    return _in_child("_text_pdf", pages)


def encrypted_pdf(text: str) -> bytes:
    """A PDF that needs a user password to open."""
    return _in_child("_encrypted_pdf", text)


def _text_pdf(pages: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", FONT)
    pdf.set_font("DejaVu", "", 12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 7, text)
    return bytes(pdf.output())


def _encrypted_pdf(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="chu", user_password="mat khau")
    pdf.add_font("DejaVu", "", FONT)
    pdf.set_font("DejaVu", "", 12)
    pdf.add_page()
    pdf.multi_cell(0, 7, text)
    return bytes(pdf.output())


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF from raw objects (1-based), with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def image_pdf(width_px: int, height_px: int, page_pt: tuple[float, float] = (595, 842)) -> bytes:
    """One page showing a white 1-bit image of width×height pixels (a 'scan' of that size)."""
    row = b"\xff" * ((width_px + 7) // 8)
    raw = zlib.compress(row * height_px, 9)
    w, h = page_pt
    content = b"q %.1f 0 0 %.1f 0 0 cm /Im0 Do Q" % (w, h)
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.1f %.1f] /Resources "
        b"<< /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>" % (w, h),
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 1 /Filter /FlateDecode /Length %d >>\nstream\n" % (
            width_px, height_px, len(raw)) + raw + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ])


def zip_bomb_docx(inflated: int = 300 * 2**20) -> bytes:
    """A DOCX whose document.xml inflates to `inflated` bytes (of one repeated character)."""
    real = (DOCS / "generated" / "cv-808-xac-minh.docx").read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(real)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == "word/document.xml":
                with dst.open("word/document.xml", "w") as f:
                    chunk = b" " * 2**20
                    for _ in range(inflated // len(chunk)):
                        f.write(chunk)
            else:
                dst.writestr(info, src.read(info))
    return out.getvalue()


if __name__ == "__main__":
    sys.stdout.buffer.write(globals()[sys.argv[1]](json.loads(sys.argv[2])))
