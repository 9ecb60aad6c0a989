"""`tracuu index stats`: what is in a data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexer.errors import IndexMissing
from indexer.schema import SCHEMA_VERSION
from indexer.store import ArticleDB, Paths, open_index_readonly


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def index_stats(data_dir: Path) -> dict[str, Any]:
    """Counts (articles, documents, pending) and sizes (bytes) of a data directory."""
    paths = Paths(Path(data_dir))
    if not paths.db.exists():
        raise IndexMissing(str(data_dir))
    db = ArticleDB(paths.db, readonly=True)
    try:
        pending_index, pending_delete = db.pending()
        stored = db.count()
        sites = len(db.distinct("site"))
    finally:
        db.close()
    ix = open_index_readonly(data_dir)
    try:
        with ix.searcher() as s:
            docs = s.doc_count()
            segments = len(ix._segments())
    finally:
        ix.close()
    live = paths.live_index()
    return {
        "documents": docs,
        "stored_articles": stored,
        "pending_index": len(pending_index),
        "pending_delete": len(pending_delete),
        "sites": sites,
        "segments": segments,
        "schema_version": SCHEMA_VERSION,
        "index_folder": str(live),
        "index_bytes": _size(live) if live else 0,
        "store_bytes": _size(paths.db),
    }
