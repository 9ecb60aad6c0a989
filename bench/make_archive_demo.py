"""Make demo/archive_demo.jsonl.gz: a real archive crawled, OCR text included.

    python -m bench.make_archive_demo [--portals ../shared/data/portals] [--ocr-workers 2]

Serves on 127.0.0.1 the four real Đắk Nông portals of tests/fixtures/portals (their HTML) with
their real attachments (from `../shared/data/portals`, when there: else the stand-ins the test
server answers) and the document portal fixture (tests/fixtures/docportal), crawls them all in
one run with OCR (Tesseract `vie`, every queued page), and writes every stored article as JSONL
with the addresses the pages had on their own hosts (`http://127.0.0.1:PORT` → the portal's
origin), so the demo links where the documents were. Deterministic but for OCR's own timing.
Prints the archive's size per 1,000 attachments (the figure in the README). Takes ~15 minutes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import logging
import sys
import tarfile
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from bench.archive_disk import disk_table
from crawl.run import crawl
from crawl.sites import site_from_table
from indexer.articles import ArticleDB
from indexer.config import Settings
from indexer.layout import DataDir
from tests.fixtures.docportal.server import DocPortal
from tests.fixtures.portals.server import SITES, StaticPortal

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PORTALS = ROOT / ".." / "shared/data/portals"
OUT = ROOT / "demo" / "archive_demo.jsonl.gz"
# Human names (sites.toml's `name`) and the hosts the real portals had.
PORTALS = {
    "stc": ("Sở Tài chính tỉnh Đắk Nông", "https://stc.daknong.gov.vn"),
    "thanhtra": ("Thanh tra tỉnh Đắk Nông", "https://thanhtra.daknong.gov.vn"),
    "ldld-1": ("Liên đoàn Lao động tỉnh Đắk Nông", "https://ldld.daknong.gov.vn"),
    "stp": ("Sở Tư pháp tỉnh Đắk Nông", "https://stp.daknong.gov.vn"),
}
# The document portal fixture is made up of real and generated documents on imagined hosts.
DOCPORTAL = {
    "krongno": ("Cổng thông tin điện tử huyện Krông Nô (lưu trữ)", "https://krongno.example.vn"),
    "cujut": ("Cổng thông tin điện tử huyện Cư Jút (lưu trữ)", "https://cujut.example.vn"),
}


def _media_type(data: bytes) -> str:
    if data.startswith(b"%PDF"):
        return "application/pdf"
    if data.startswith(b"PK"):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "application/msword"
    return "application/octet-stream"


def attachments(portals: Path, name: str) -> dict[str, tuple[str, bytes]]:
    """Raw request path → (Content-Type, bytes) of a portal's real files under img/."""
    archive = portals / f"{name}.daknong.tar.gz"
    files: dict[str, tuple[str, bytes]] = {}
    if not archive.exists():
        return files
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/", 1)
            if member.isfile() and len(parts) == 2 and parts[1].startswith("img/"):
                data = tar.extractfile(member)
                if data is not None:
                    body = data.read()
                    files[quote("/" + parts[1])] = (_media_type(body), body)
    return files


def _rewrite(text: str | None, origins: dict[str, str]) -> str | None:
    if text is None:
        return None
    for local, real in origins.items():
        text = text.replace(local, real)
    return text


def dump(data: Path, origins: dict[str, str], out: Path) -> int:
    """Every stored article as JSONL (gzip), local addresses replaced by the portals' own
    (origins longest first: one must not rewrite part of another)."""
    origins = dict(sorted(origins.items(), key=lambda kv: -len(kv[0])))
    db = ArticleDB(DataDir(data).articles_db, readonly=True)
    rows = []
    try:
        for art in db.iter_all():
            obj = art.to_dict()
            obj["id"], obj["url"] = _rewrite(obj["id"], origins), _rewrite(obj["url"], origins)
            for att in obj["attachments"]:
                att["url"] = _rewrite(att["url"], origins)
            rows.append(obj)
    finally:
        db.close()
    rows.sort(key=lambda o: o["id"])
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        for obj in rows:
            gz.write((json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8"))
    out.write_bytes(buf.getvalue())
    return len(rows)


def place_files(demo: Path, data: Path) -> int:
    """Put the originals the repository holds (tests/fixtures/docs) into a data directory's
    archive under the names the demo's articles give them; the others stay absent (the
    document view then links the portal's address only)."""
    wanted: dict[str, str] = {}
    with gzip.open(demo, "rt", encoding="utf-8") as f:
        for line in f:
            for att in json.loads(line).get("attachments") or []:
                if att.get("sha256") and att.get("stored"):
                    wanted[att["sha256"]] = att["stored"]
    placed = 0
    for path in sorted((ROOT / "tests" / "fixtures" / "docs").rglob("*")):
        if not path.is_file():
            continue
        body = path.read_bytes()
        stored = wanted.get(hashlib.sha256(body).hexdigest())
        target = DataDir(data).files / stored if stored else None
        if target is not None and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
            placed += 1
    return placed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--portals", type=Path, default=DEFAULT_PORTALS)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--ocr-workers", type=int, default=2)
    ap.add_argument("--files-into", type=Path, metavar="DATA_DIR",
                    help="only put the originals the repository holds into DATA_DIR/files")
    args = ap.parse_args(argv)
    if args.files_into is not None:
        print(f"{place_files(args.out, args.files_into)} originals placed in {args.files_into}")
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not args.portals.exists():
        print(f"note: {args.portals} not found: the four portals' attachments are stand-ins",
              file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        servers = [StaticPortal(name, files=attachments(args.portals, name)) for name in SITES]
        for s in servers:
            s.start()
        try:
            with DocPortal() as docportal:
                tables = [{"name": PORTALS[s.name][0], "url": s.url + "/"} for s in servers]
                origins = {s.url: PORTALS[s.name][1] for s in servers}
                for table in docportal.site_tables():
                    key = str(table["name"])
                    tables.append({"name": DOCPORTAL[key][0], "url": table["url"]})
                    origins[docportal.url(key, "")] = DOCPORTAL[key][1]
                settings = replace(Settings(), data_dir=data, crawl_delay=0.0, crawl_rate=0.0,
                                   max_pages=2000, ocr_budget_minutes=120.0,
                                   ocr_workers=args.ocr_workers)
                sites = [site_from_table(t, settings) for t in tables]
                t0 = time.monotonic()
                report = crawl(settings, sites, policy_overrides={"backoff": 0.01,
                                                                  "jitter": 0.0})
                print(report.summary())
                print(f"crawl + OCR: {time.monotonic() - t0:.0f} s")
        finally:
            for s in servers:
                s.stop()
        n = dump(data, origins, args.out)
        print(f"{args.out}: {n} articles, {args.out.stat().st_size / 1e6:.1f} MB")
        print(disk_table(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
