"""OCR of one PDF page with Tesseract's Vietnamese model, in a child process with limits.

`ocr_page(path, index, settings)` starts `python -m crawl.ocr` for the page: the child caps its
own address space (RLIMIT_AS) and CPU time before it imports anything heavy, renders the page
with pypdfium2 (annotations drawn, so a signature stamp is read too), and runs Tesseract through
tesserocr (libtesseract in-process; the CLI is the alternative, bench.ocr measures both). The
parent waits with a wall-clock limit and kills the child past it. A page that is too big, a
corrupt file, a crash or a runaway page fails with OcrFailed(reason); the caller never hangs and
never goes down with it.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from crawl.errors import CrawlError
from crawl.pagetext import clean_page

TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)
# Exit codes of the child, and what they mean to a clerk reading the failure.
EXIT_UNREADABLE = 3
EXIT_MEMORY = 4
EXIT_NO_ENGINE = 5
_SIGNALS: dict[int, str] = {
    signal.SIGKILL: "killed (out of memory or time limit)",
    signal.SIGXCPU: "CPU time limit",
    signal.SIGSEGV: "crashed (segmentation fault)",
    signal.SIGABRT: "aborted (out of memory inside Tesseract or PDFium?)",
}


@dataclass(frozen=True)
class OcrSettings:
    """How a page is OCR'd, and what it may cost."""

    dpi: int = 300
    lang: str = "vie"
    engine: str = "tesserocr"  # or "cli": the `tesseract` command
    timeout: float = 180.0  # wall-clock seconds per page
    memory_mb: int = 600  # address-space limit of the child (so RSS stays below it)
    max_pixels: int = 25_000_000  # a bigger page is rendered at a lower resolution
    psm: int = 3  # Tesseract page segmentation: automatic, as for a letter-size page


DEFAULT_OCR = OcrSettings()


class OcrFailed(CrawlError):
    """A page could not be OCR'd (carries the reason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def tessdata_dir() -> str | None:
    """Where Debian (or TESSDATA_PREFIX) keeps the traineddata files."""
    env = os.environ.get("TESSDATA_PREFIX")
    for d in ((env,) if env else ()) + TESSDATA_DIRS:
        if d and Path(d).is_dir() and any(Path(d).glob("*.traineddata")):
            return d
    return None


def ocr_page(path: Path, index: int, settings: OcrSettings = DEFAULT_OCR) -> str:
    """The cleaned text of page `index` (0-based) of the PDF at `path`, or OcrFailed."""
    cmd = [
        sys.executable, "-m", "crawl.ocr", str(path), str(index),
        "--dpi", str(settings.dpi), "--lang", settings.lang, "--engine", settings.engine,
        "--memory-mb", str(settings.memory_mb), "--cpu-seconds", str(int(settings.timeout) + 5),
        "--max-pixels", str(settings.max_pixels), "--psm", str(settings.psm),
    ]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "PYTHONIOENCODING": "utf-8"}
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=settings.timeout, env=env)
    except subprocess.TimeoutExpired as exc:
        raise OcrFailed(f"took longer than {settings.timeout:.0f} s") from exc
    if proc.returncode == 0:
        return clean_page(proc.stdout.decode("utf-8", "replace"))
    detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    last = detail[-1][:240] if detail else ""
    if proc.returncode < 0:
        sig = -proc.returncode
        raise OcrFailed(_SIGNALS.get(sig, f"died of signal {sig}"))
    if proc.returncode == EXIT_MEMORY:
        raise OcrFailed(f"out of memory (limit {settings.memory_mb} MB)")
    raise OcrFailed(last or f"OCR exited with {proc.returncode}")


# --- the child ------------------------------------------------------------------------------


def _limit(memory_mb: int, cpu_seconds: int) -> None:
    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def render(path: Path, index: int, dpi: int, max_pixels: int) -> object:
    """Page `index` as a grayscale PIL image at `dpi`, or lower when it would pass max_pixels."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    pdf.init_forms()  # signature fields and other widgets are drawn onto the page
    if not 0 <= index < len(pdf):
        raise IndexError(f"no page {index + 1} (the file has {len(pdf)})")
    page = pdf[index]
    width, height = page.get_size()  # points
    scale = dpi / 72
    if width * height * scale * scale > max_pixels:
        scale = (max_pixels / (width * height)) ** 0.5
    bitmap = page.render(scale=scale, grayscale=True, draw_annots=True, may_draw_forms=True)
    image = bitmap.to_pil()
    page.close()
    pdf.close()
    return image


def recognize(image: object, lang: str, engine: str, psm: int, dpi: int) -> str:
    """Tesseract's text for an image, through tesserocr or the CLI."""
    tessdata = tessdata_dir()
    if engine == "cli":
        buf = io.BytesIO()
        image.save(buf, format="PNG")  # type: ignore[attr-defined]
        proc = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", lang, "--psm", str(psm), "--dpi", str(dpi)],
            input=buf.getvalue(), capture_output=True, check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.decode("utf-8", "replace").strip()[-240:])
        return proc.stdout.decode("utf-8", "replace")
    import tesserocr

    if tessdata is None:
        raise FileNotFoundError("no Tesseract language data (apt-get install tesseract-ocr-vie)")
    with tesserocr.PyTessBaseAPI(path=tessdata, lang=lang, psm=psm) as api:
        api.SetImage(image)
        api.SetSourceResolution(dpi)
        return str(api.GetUTF8Text())


def child_main(argv: list[str] | None = None) -> int:
    """`python -m crawl.ocr FILE PAGE`: print the page's raw OCR text."""
    parser = argparse.ArgumentParser(prog="python -m crawl.ocr")
    parser.add_argument("path", type=Path)
    parser.add_argument("page", type=int, help="0-based page index")
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--lang", default="vie")
    parser.add_argument("--engine", choices=("tesserocr", "cli"), default="tesserocr")
    parser.add_argument("--memory-mb", type=int, default=600)
    parser.add_argument("--cpu-seconds", type=int, default=185)
    parser.add_argument("--max-pixels", type=int, default=25_000_000)
    parser.add_argument("--psm", type=int, default=3)
    args = parser.parse_args(argv)
    _limit(args.memory_mb, args.cpu_seconds)
    try:
        image = render(args.path, args.page, args.dpi, args.max_pixels)
        dpi = args.dpi if image.width * image.height <= args.max_pixels else 72  # type: ignore[attr-defined]
        text = recognize(image, args.lang, args.engine, args.psm, dpi)
    except MemoryError:
        print("out of memory", file=sys.stderr)
        return EXIT_MEMORY
    except FileNotFoundError as exc:
        print(f"OCR engine missing: {exc}", file=sys.stderr)
        return EXIT_NO_ENGINE
    except Exception as exc:  # the reason goes to the parent; the queue records it
        print(f"cannot OCR page {args.page + 1}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    sys.stdout.buffer.write(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(child_main())
