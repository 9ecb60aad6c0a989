"""The data directory: stored articles (SQLite), the Whoosh index, and the one-writer lock.

Layout of a data directory:
    articles.sqlite   every article as imported or crawled (the source for `index rebuild`)
    index/CURRENT     name of the live index folder, swapped atomically by a rebuild
    index/gNNNNNN/    Whoosh index folders
    write.lock        held (flock) by the one process that writes

Crash safety: an article is first committed to SQLite marked pending, then indexed, then
unmarked. A run killed at any point leaves pending rows that the next writer indexes first.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from indexer.bulk import BulkWriter, parallel_writer
from indexer.codec import InliningCodec
from indexer.document import Article, Attachment, facet_key
from indexer.errors import IndexBusy, IndexMissing, TracuuError
from indexer.schema import SCHEMA_VERSION, build_schema

log = logging.getLogger(__name__)

PENDING_INDEX = 1
INLINE_LIMIT = 4
MULTIPROCESS_MIN = 2000
PENDING_DELETE = 2


@dataclass(frozen=True)
class Paths:
    """Where things live inside one data directory."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / "articles.sqlite"

    @property
    def index_root(self) -> Path:
        return self.root / "index"

    @property
    def current(self) -> Path:
        return self.index_root / "CURRENT"

    @property
    def lock(self) -> Path:
        return self.root / "write.lock"

    def live_index(self) -> Path | None:
        """The live index folder, or None before the first import."""
        try:
            name = self.current.read_text().strip()
        except FileNotFoundError:
            return None
        return self.index_root / name


def index_document(article: Article) -> dict[str, Any]:
    """The Whoosh fields of an article."""
    text = article.searchable_text()
    doc: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "title_f": article.title,
        "title_bi": article.title,
        "title_bi_f": article.title,
        "text": text,
        "text_f": text,
        "text_bi": text,
        "meta": {
            "url": article.url,
            "site": article.site,
            "published": article.published,
            "author": article.author,
            "category": article.category,
            "doc_type": article.doc_type,
            "doc_number": article.doc_number,
        },
    }
    for name in ("site", "category", "doc_type"):
        value = getattr(article, name)
        if value:
            doc[f"{name}_key"] = facet_key(value)
    dt = article.published_datetime()
    if dt is not None:
        doc["date"] = dt
    return doc


def encode_article(article: Article) -> bytes:
    return zlib.compress(json.dumps(article.to_dict(), ensure_ascii=False).encode("utf-8"), 6)


def decode_article(blob: bytes) -> Article:
    d = json.loads(zlib.decompress(blob))
    d["attachments"] = [Attachment(**a) for a in d.get("attachments") or []]
    return Article(**d)


class ArticleDB:
    """SQLite table of articles: id, compressed JSON, a few columns for listing, pending state."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        if readonly:
            self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.conn = sqlite3.connect(path, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(
                """
                CREATE TABLE IF NOT EXISTS articles (
                    id TEXT PRIMARY KEY,
                    doc BLOB NOT NULL,
                    site TEXT, category TEXT, doc_type TEXT, published TEXT,
                    pending INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX IF NOT EXISTS articles_pending ON articles(pending) WHERE pending > 0;
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
                """
            )
            self.conn.commit()

    def close(self) -> None:
        self.conn.close()

    def get(self, article_id: str) -> Article | None:
        row = self.conn.execute(
            "SELECT doc FROM articles WHERE id = ? AND pending != ?", (article_id, PENDING_DELETE)
        ).fetchone()
        return decode_article(row[0]) if row else None

    def get_many(self, ids: Iterable[str]) -> dict[str, Article]:
        ids = list(ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(f"SELECT id, doc FROM articles WHERE id IN ({marks})", ids)
        return {i: decode_article(doc) for i, doc in rows}

    def put_many(self, articles: Iterable[Article]) -> int:
        rows = [
            (a.id, encode_article(a), a.site, a.category, a.doc_type, a.published, PENDING_INDEX)
            for a in articles
        ]
        self.conn.executemany(
            "INSERT OR REPLACE INTO articles"
            " (id, doc, site, category, doc_type, published, pending) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self.conn.commit()
        return len(rows)

    def mark_deleted(self, ids: Iterable[str]) -> None:
        self.conn.executemany(
            "UPDATE articles SET pending = ? WHERE id = ?", [(PENDING_DELETE, i) for i in ids]
        )
        self.conn.commit()

    def pending(self) -> tuple[list[str], list[str]]:
        """Ids waiting to be indexed, ids waiting to be removed from the index."""
        rows = self.conn.execute("SELECT id, pending FROM articles WHERE pending > 0").fetchall()
        return (
            [i for i, p in rows if p == PENDING_INDEX],
            [i for i, p in rows if p == PENDING_DELETE],
        )

    def settle(self, indexed: list[str], deleted: list[str]) -> None:
        """After a Whoosh commit: clear pending marks, drop deleted rows."""
        self.conn.executemany(
            "UPDATE articles SET pending = 0 WHERE id = ? AND pending = ?",
            [(i, PENDING_INDEX) for i in indexed],
        )
        self.conn.executemany(
            "DELETE FROM articles WHERE id = ? AND pending = ?",
            [(i, PENDING_DELETE) for i in deleted],
        )
        self.conn.commit()

    def iter_all(self, batch: int = 500) -> Iterator[Article]:
        last = ""
        while True:
            rows = self.conn.execute(
                "SELECT id, doc FROM articles WHERE id > ? AND pending != ? ORDER BY id LIMIT ?",
                (last, PENDING_DELETE, batch),
            ).fetchall()
            if not rows:
                return
            for _, doc in rows:
                yield decode_article(doc)
            last = rows[-1][0]

    def count(self) -> int:
        return int(
            self.conn.execute(
                "SELECT COUNT(*) FROM articles WHERE pending != ?", (PENDING_DELETE,)
            ).fetchone()[0]
        )

    def distinct(self, column: str) -> list[tuple[str, int]]:
        """Values of site, category or doc_type with their article counts, most first."""
        if column not in ("site", "category", "doc_type"):
            raise ValueError(column)
        return [
            (v, n)
            for v, n in self.conn.execute(
                f"SELECT {column}, COUNT(*) FROM articles WHERE {column} IS NOT NULL "
                f"AND pending != ? GROUP BY {column} ORDER BY COUNT(*) DESC, {column}",
                (PENDING_DELETE,),
            )
        ]


@contextlib.contextmanager
def write_lock(paths: Paths) -> Iterator[None]:
    """Hold the data directory's one-writer lock, or raise IndexBusy at once."""
    paths.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(paths.lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(str(paths.lock)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing drops the flock; a killed process drops it too


def _new_index_dir(paths: Paths) -> Path:
    paths.index_root.mkdir(parents=True, exist_ok=True)
    gens = [int(p.name[1:]) for p in paths.index_root.glob("g[0-9]*") if p.name[1:].isdigit()]
    path = paths.index_root / f"g{max(gens, default=0) + 1:06d}"
    path.mkdir()
    return path


def _point_current(paths: Paths, folder: Path) -> None:
    tmp = paths.index_root / "CURRENT.tmp"
    tmp.write_text(folder.name + "\n")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, paths.current)
    # Old folders: keep the one before (open searchers may still read it), drop older ones.
    live = {folder.name}
    for old in sorted(paths.index_root.glob("g[0-9]*"))[:-2]:
        if old.name not in live:
            shutil.rmtree(old, ignore_errors=True)


def _write_version(folder: Path) -> None:
    (folder / "SCHEMA_VERSION").write_text(f"{SCHEMA_VERSION}\n")


def read_version(folder: Path) -> int | None:
    try:
        return int((folder / "SCHEMA_VERSION").read_text())
    except (FileNotFoundError, ValueError):
        return None


class Store:
    """A data directory opened for writing (holds the lock for its lifetime)."""

    def __init__(self, data_dir: Path | str, procs: int = 1) -> None:
        """Open data_dir for writing; procs > 1 indexes big batches in that many processes."""
        self.paths = Paths(Path(data_dir))
        self.procs = procs
        self._lock = write_lock(self.paths)
        self._lock.__enter__()
        try:
            self.db = ArticleDB(self.paths.db)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise

    def close(self) -> None:
        self.db.close()
        self._lock.__exit__(None, None, None)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open_or_create(self) -> Any:
        folder = self.paths.live_index()
        if folder is None or not folder.exists():
            folder = _new_index_dir(self.paths)
            ix = whoosh_index.create_in(folder, build_schema())
            _write_version(folder)
            _point_current(self.paths, folder)
            return ix
        version = read_version(folder)
        if version != SCHEMA_VERSION:
            raise TracuuError(
                f"the index in {folder} has schema version {version}, this tracuu needs "
                f"{SCHEMA_VERSION}: run `tracuu index rebuild`"
            )
        return whoosh_index.open_dir(folder)

    def put(self, articles: Iterable[Article]) -> int:
        """Store articles (replacing same ids) and mark them for indexing; call sync() after."""
        return self.db.put_many(articles)

    def delete(self, ids: Iterable[str]) -> None:
        """Mark articles for removal; sync() removes them from the index and the store."""
        self.db.mark_deleted(ids)

    def sync(self) -> tuple[int, int]:
        """Bring the index up to the store: index pending articles, drop deleted ones."""
        to_index, to_delete = self.db.pending()
        if not to_index and not to_delete:
            if self.paths.live_index() is None:
                self._open_or_create().close()
            return 0, 0
        ix = self._open_or_create()
        fresh = ix.doc_count_all() == 0
        writer = self._writer(ix, len(to_index))
        try:
            for i in to_delete:
                writer.delete_by_term("id", i)
            for chunk_start in range(0, len(to_index), 500):
                chunk = to_index[chunk_start : chunk_start + 500]
                for art in self.db.get_many(chunk).values():
                    doc = index_document(art)
                    if fresh:
                        writer.add_document(**doc)
                    else:
                        writer.update_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        ix.close()
        self.db.settle(to_index, to_delete)
        log.info("index synced: %d indexed, %d removed", len(to_index), len(to_delete))
        return len(to_index), len(to_delete)

    def _writer(self, ix: Any, count: int) -> Any:
        # Most bigram terms occur in one or two documents: indexer.codec stores such posting
        # lists inline in the term table, several times smaller and faster to commit.
        kwargs = {"limitmb": 256, "codec": InliningCodec(INLINE_LIMIT)}
        # Analysis and segment writing in parallel processes pay off for big batches only;
        # each process leaves its own segment (merged by later small commits or optimize()).
        if self.procs > 1 and count >= MULTIPROCESS_MIN:
            return parallel_writer(ix, self.procs, **kwargs)
        return BulkWriter(ix, **kwargs)

    def rebuild(self) -> int:
        """Build a fresh index from every stored article in a new folder, then swap it in."""
        folder = _new_index_dir(self.paths)
        ix = whoosh_index.create_in(folder, build_schema())
        writer = self._writer(ix, self.db.count())
        n = 0
        try:
            for art in self.db.iter_all():
                writer.add_document(**index_document(art))
                n += 1
        except BaseException:
            writer.cancel()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        writer.commit()
        ix.close()
        _write_version(folder)
        pending_index, pending_delete = self.db.pending()
        self.db.settle(pending_index, pending_delete)
        _point_current(self.paths, folder)
        log.info("index rebuilt in %s: %d articles", folder.name, n)
        return n


def open_index_readonly(data_dir: Path | str) -> Any:
    """Open the live index for searching, or raise IndexMissing."""
    paths = Paths(Path(data_dir))
    folder = paths.live_index()
    if folder is None or not whoosh_index.exists_in(folder):
        raise IndexMissing(str(data_dir))
    version = read_version(folder)
    if version != SCHEMA_VERSION:
        raise TracuuError(
            f"the index in {folder} has schema version {version}, this tracuu needs "
            f"{SCHEMA_VERSION}: run `tracuu index rebuild`"
        )
    # No mmap: index pages then live in the OS page cache, shared by every worker process and
    # not counted as any process's memory; each read is a pread-sized copy instead. Readers are
    # used under one lock per process (search.engine), which the shared file position needs.
    return FileStorage(str(folder), supports_mmap=False, readonly=True).open_index()
