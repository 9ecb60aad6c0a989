"""`tracuu index stats`: what is in a data directory."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from indexer.articles import ArticleDB
from indexer.errors import IndexMissing
from indexer.layout import DataDir
from indexer.mapping import SCHEMA_VERSION, check_version
from indexer.whoosh_seam import IndexView


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


OCR_STATES = ("pending", "done", "failed")


def ocr_counts(queue: Path) -> dict[str, dict[str, int]]:
    """OCR pages per site by state (pending counts pages left running by a stopped worker);
    empty when nothing was ever queued. Read-only: the crawl's queue is not opened for
    writing."""
    if not queue.exists():
        return {}
    db = sqlite3.connect(f"{queue.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT f.site, p.state, COUNT(*) FROM pages p JOIN files f USING (sha256)"
            " WHERE p.state != 'text' GROUP BY f.site, p.state"
        ).fetchall()
    except sqlite3.DatabaseError:
        return {}
    finally:
        db.close()
    out: dict[str, dict[str, int]] = {}
    for site, state, n in rows:
        counts = out.setdefault(site or "-", dict.fromkeys(OCR_STATES, 0))
        key = "pending" if state == "running" else state
        if key in counts:
            counts[key] += n
    return out


def index_stats(data_dir: Path) -> dict[str, Any]:
    """Counts (articles, documents, pending) and sizes (bytes) of a data directory."""
    data = DataDir(Path(data_dir))
    live = data.live_index()
    if not data.articles_db.exists() or live is None:
        raise IndexMissing(str(data_dir))
    db = ArticleDB(data.articles_db, readonly=True)
    try:
        pending_index, pending_delete = db.pending()
        stored = db.count()
        sites = len(db.distinct("site"))
    finally:
        db.close()
    check_version(live)
    view = IndexView(live)
    try:
        docs, segments = view.doc_count, len(view.segments)
    finally:
        view.close()
    ocr = ocr_counts(data.ocr_queue)
    files = [p for p in data.files.rglob("*") if p.is_file() and not p.name.startswith(".")] \
        if data.files.exists() else []
    return {
        "documents": docs,
        "stored_articles": stored,
        "pending_index": len(pending_index),
        "pending_delete": len(pending_delete),
        "sites": sites,
        "segments": segments,
        "schema_version": SCHEMA_VERSION,
        "index_folder": str(live),
        "index_bytes": _size(live),
        "store_bytes": _size(data.articles_db),
        "archive_files": len(files),
        "archive_bytes": sum(p.stat().st_size for p in files),
        **{f"ocr_{state}": sum(c[state] for c in ocr.values()) for state in OCR_STATES},
        "ocr_by_site": ocr,
    }
