"""OCR speed and accuracy: `python -m bench.ocr [--data PATH] [--pages N] [--out FILE]`.

Speed: the real scanned pages of tests/fixtures/docs/vi-docs through crawl.ocr.ocr_page (a
child process per page, as the queue runs it), at 200 and 300 dpi, 1 and 2 workers, tesserocr
and the tesseract CLI: pages/s (wall) and CPU seconds per page (children's user+sys).
Accuracy: vi-news bodies rendered to A4 pages (DejaVu Sans, 12 pt at 300 dpi) and degraded
(Gaussian blur, noise, a 0.7° skew), OCR'd, and compared with the known text: character error
rate = edit distance / length, whitespace collapsed. Then a projection for a district archive of
6,000 scanned pages on 2 cores.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import statistics
import sys
import tempfile
import textwrap
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import shared_data
from crawl.ocr import OcrSettings, ocr_page

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = shared_data("vi-news", "vi_news.jsonl.gz")
SCANS = ROOT / "tests" / "fixtures" / "docs" / "vi-docs"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def scan_pages(n: int) -> list[tuple[Path, int]]:
    """The first n pages of the real scans, round-robin over the files."""
    import pypdfium2 as pdfium

    files = sorted(SCANS.glob("*.[pP][dD][fF]"))
    counts = {f: len(pdfium.PdfDocument(str(f))) for f in files}
    out: list[tuple[Path, int]] = []
    page = 0
    while len(out) < n and page < max(counts.values()):
        out += [(f, page) for f in files if page < counts[f]]
        page += 1
    return out[:n]


def speed(
    pages: list[tuple[Path, int]], settings: OcrSettings, workers: int
) -> tuple[float, float]:
    """(pages per second, CPU seconds per page)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda p: ocr_page(p[0], p[1], settings), pages))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return len(pages) / wall, cpu / len(pages)


def render_degraded(text: str, path: Path, seed: int) -> None:
    """An A4 page of text at 300 dpi, blurred, noisy and skewed, saved as a one-page PDF."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    font = ImageFont.truetype(FONT, 50)  # 12 pt at 300 dpi
    img = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(img)
    y = 250
    for line in textwrap.wrap(text, 62):
        draw.text((250, y), line, font=font, fill=0)
        y += 75
    img = img.filter(ImageFilter.GaussianBlur(0.8)).rotate(0.7, fillcolor=255)
    rng = np.random.default_rng(seed)
    arr = np.asarray(img, dtype=np.float32) + rng.normal(0, 12, (img.height, img.width))
    Image.fromarray(arr.clip(0, 255).astype("uint8")).save(path, "PDF", resolution=300)


def cer(truth: str, got: str) -> float:
    """Character error rate: Levenshtein distance over the truth's length (spaces collapsed)."""
    a = " ".join(unicodedata.normalize("NFC", truth).split())
    b = " ".join(unicodedata.normalize("NFC", got).split())
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] / max(1, len(a))


def bodies(data: Path, n: int) -> list[str]:
    """n seeded vi-news bodies, each cut to a page (~1,400 characters at a sentence end)."""
    with gzip.open(data, "rt", encoding="utf-8") as f:
        articles = [json.loads(line)["body"] for _, line in zip(range(5000), f, strict=False)]
    picked = random.Random(7).sample([b for b in articles if len(b) > 1500], n)
    out = []
    for b in picked:
        cut = b[:1400]
        out.append(cut[: cut.rfind(".") + 1] or cut)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="vi_news.jsonl.gz")
    parser.add_argument("--pages", type=int, default=12, help="real scanned pages per setting")
    parser.add_argument("--texts", type=int, default=6, help="synthetic pages for the CER")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    lines = ["| setting | pages/s | CPU s/page |", "|---|---:|---:|"]
    pages = scan_pages(args.pages)
    results = {}
    for engine, dpi, workers in [("tesserocr", 200, 1), ("tesserocr", 300, 1),
                                 ("tesserocr", 300, 2), ("tesserocr", 200, 2),
                                 ("cli", 300, 1)]:
        rate, cpu = speed(pages, OcrSettings(dpi=dpi, engine=engine), workers)
        results[(engine, dpi, workers)] = (rate, cpu)
        lines.append(f"| {engine}, {dpi} dpi, {workers} worker{'s' * (workers > 1)} "
                     f"| {rate:.2f} | {cpu:.2f} |")
    notes = [f"{len(pages)} real scanned pages (tests/fixtures/docs/vi-docs)."]
    if args.data.is_file():
        texts = bodies(args.data, args.texts)
        rows = {}
        with tempfile.TemporaryDirectory() as tmp:
            for i, text in enumerate(texts):
                render_degraded(text, Path(tmp) / f"{i}.pdf", i)
            for dpi in (200, 300):
                rows[dpi] = [cer(t, ocr_page(Path(tmp) / f"{i}.pdf", 0, OcrSettings(dpi=dpi)))
                             for i, t in enumerate(texts)]
        lines += ["", "| degraded synthetic scans | pages | CER median | CER mean | worst |",
                  "|---|---:|---:|---:|---:|"]
        for dpi, r in rows.items():
            lines.append(f"| {dpi} dpi | {len(r)} | {100 * statistics.median(r):.2f}% "
                         f"| {100 * statistics.mean(r):.2f}% | {100 * max(r):.2f}% |")
    else:
        notes.append(f"vi-news not found at {args.data}: CER not measured (pass --data PATH).")
    cpu300 = results[("tesserocr", 300, 2)][1]
    hours = 6000 * cpu300 / 2 / 3600
    notes.append(f"Projection: 2,000 scanned documents ≈ 6,000 pages × {cpu300:.2f} CPU s/page "
                 f"/ 2 cores ≈ {hours:.1f} hours (300 dpi, 2 workers).")
    table = "\n".join([*lines, "", *notes])
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
