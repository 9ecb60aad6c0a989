"""`tracuu index stats`: what is in a data directory."""

from __future__ import annotations

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
    }
