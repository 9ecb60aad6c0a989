"""Disk use of an archive per 1,000 attachments: `python -m bench.archive_disk [DATA_DIR]`.

Without a data directory, crawls the document portal fixture (tests/fixtures/docportal: 35
document pages, 32 distinct files, 6 real scans) with the scans' stored OCR text into a scratch
directory and measures that. Counts what each part of a data directory holds: the originals
(files/), the OCR queue with its page texts (ocr.sqlite), the articles (articles.sqlite), the
crawl state and the Whoosh index; then divides by the number of distinct attachments.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from indexer.layout import DataDir


def _size(path: Path) -> int:
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def disk_table(data_dir: Path) -> str:
    """A Markdown table: bytes of each part, and per 1,000 attachments."""
    data = DataDir(data_dir)
    files = [p for p in data.files.rglob("*") if p.is_file()] if data.files.exists() else []
    n = len(files)
    live = data.live_index()
    parts = [
        ("originals (files/)", sum(p.stat().st_size for p in files)),
        ("OCR queue and page texts (ocr.sqlite)", _size(data.ocr_queue)),
        ("articles (articles.sqlite)", _size(data.articles_db)),
        ("crawl state (crawl.sqlite)", _size(data.crawl_db)),
        ("search index", _size(live) if live else 0),
    ]
    total = sum(b for _, b in parts)
    lines = [f"{n} attachments in {data_dir}", "",
             "| part | MB | MB per 1,000 attachments |", "|---|---:|---:|"]
    for name, b in [*parts, ("total", total)]:
        per = b / n * 1000 / 1e6 if n else 0.0
        lines.append(f"| {name} | {b / 1e6:.1f} | {per:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path, nargs="?")
    args = ap.parse_args(argv)
    if args.data_dir is not None:
        print(disk_table(args.data_dir))
        return 0
    from tests.fixtures.docportal.server import DocPortal
    from tests.search.docportal_archive import crawled_archive

    with tempfile.TemporaryDirectory() as tmp, DocPortal() as portal:
        data = crawled_archive(portal, Path(tmp) / "data").data_dir
        print(disk_table(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
