"""PDF text layers, three libraries compared: `python -m bench.pdftext [--out FILE]`.

pypdfium2, pypdf and pdfminer.six read the text layer of every PDF under tests/fixtures/docs:
the generated documents (LibreOffice and fpdf2 output of known Vietnamese text, truth in
generated/manifest.json), three real Word 2010 attachments from a provincial portal (portals/),
and the real vi-docs scans (speed only: their text layers are empty). Correctness is the F1 of
the bag of syllables (indexer.text tokens) against the known text, and for the real files, with no
truth, the share of word tokens that are Vietnamese syllables (indexer/data/syllables.txt) or
known abbreviations: a word split by a stray space ("đ ường") or a letter lost to a bad
ToUnicode map lowers both.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from indexer.text import analyze

DOCS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "docs"


def pdfium_pages(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def pypdf_pages(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def pdfminer_pages(data: bytes) -> list[str]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    return [
        "".join(el.get_text() for el in page if isinstance(el, LTTextContainer))
        for page in extract_pages(io.BytesIO(data))
    ]


LIBRARIES: dict[str, Callable[[bytes], list[str]]] = {
    "pypdfium2": pdfium_pages,
    "pypdf": pypdf_pages,
    "pdfminer.six": pdfminer_pages,
}


def syllable_f1(truth: str, got: str) -> float:
    """F1 of the two bags of syllables (lower-cased, NFC, one tone style)."""
    t, g = Counter(analyze(truth).tokens), Counter(analyze(got).tokens)
    both = sum((t & g).values())
    if not both:
        return 0.0
    p, r = both / sum(g.values()), both / sum(t.values())
    return 2 * p * r / (p + r)


def syllable_rate(text: str, known: set[str]) -> tuple[int, int]:
    """(valid, total) word tokens of a text."""
    words = [t for t in analyze(text).tokens if t.isalpha()]
    return sum(w in known for w in words), len(words)


def vocabulary() -> set[str]:
    """Vietnamese syllables plus the abbreviations an official text is full of."""
    data = Path(__file__).resolve().parents[1] / "indexer" / "data"
    words = set((data / "syllables.txt").read_text("utf-8").split())
    for line in (data / "abbreviations.tsv").read_text("utf-8").splitlines():
        words |= {t for t in analyze(line.split("\t")[0]).tokens if t.isalpha()}
    return words | {"ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii"}


def version(name: str) -> str:
    from importlib.metadata import version as v

    return v(name)


def measure(repeat: int) -> tuple[list[str], list[str]]:
    """Rows of the table and notes."""
    manifest = json.loads((DOCS / "generated" / "manifest.json").read_text("utf-8"))
    known = {m["file"]: m["text"] for m in manifest if m["file"].endswith(".pdf")}
    word_pdfs = sorted((DOCS / "portals").glob("*.pdf"))
    real = sorted((DOCS / "vi-docs").glob("*.[pP][dD][fF]"))
    vocab = vocabulary()
    rows, notes = [], []
    for name, fn in LIBRARIES.items():
        f1s, seconds, pages = [], [], 0
        valid = total = 0
        for path in [DOCS / "generated" / f for f in sorted(known)] + word_pdfs + real:
            data = path.read_bytes()
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                out = fn(data)
                times.append(time.perf_counter() - t0)
            seconds.append(min(times))
            pages += len(out)
            text = "\n".join(out)
            if path.name in known:
                f1s.append(syllable_f1(known[path.name], text))
            elif path in word_pdfs:
                ok, n = syllable_rate(text, vocab)
                valid, total = valid + ok, total + n
        rows.append(
            f"| {name} {version(name)} | {statistics.mean(f1s):.3f} | {min(f1s):.3f} "
            f"| {valid / total:.4f} | {pages / sum(seconds):,.0f} "
            f"| {1000 * sum(seconds) / pages:.1f} |"
        )
    notes.append(f"{len(known)} generated text-layer PDFs, {len(word_pdfs)} real Word PDFs "
                 f"({total:,} words), {len(real)} real scans; best of {repeat} runs per file.")
    return rows, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write the table here (Markdown)")
    args = parser.parse_args(argv)
    if not (DOCS / "generated" / "manifest.json").is_file():
        print(f"no fixtures in {DOCS}", file=sys.stderr)
        return 2
    rows, notes = measure(args.repeat)
    table = "\n".join([
        "| library | syllable F1, generated (mean) | worst document | real Word PDFs: "
        "valid syllables | pages/s | ms/page |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        *notes,
    ])
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
