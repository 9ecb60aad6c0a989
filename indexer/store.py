"""The writer of a data directory: stores articles, keeps the index up to them, one at a time.

Store holds the data directory's one-writer lock for its lifetime. put() and delete() commit to
the article database (indexer.articles) marked pending; sync() brings the live index up to it;
rebuild() writes a fresh index folder from every article and swaps it in (index/CURRENT,
replaced atomically). A writer killed at any point leaves pending rows that the next one indexes.

Whoosh is loaded on the first sync() or rebuild(), not on import: crawl/ imports the store and
never loads Whoosh by importing (tests/test_layout.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from pathlib import Path
from types import ModuleType
from typing import Any

from indexer.articles import ArticleDB
from indexer.document import Article
from indexer.errors import IndexBusy, IndexMissing
from indexer.layout import DataDir
from indexer.mapping import check_version, index_document, write_version

log = logging.getLogger(__name__)

MULTIPROCESS_MIN = 2000  # articles in one sync before worker processes pay off
CHUNK = 50_000  # articles per index commit: bounds a writer's memory, keeps a killed run's work
BATCH = 500  # articles read from the database at a time
KEEP_FOLDERS = 2  # the live index folder and the one before (open searchers may still read it)


_held_locks: set[int] = set()  # descriptors of the write locks this process holds


def _close_held_locks_in_child() -> None:
    # A forked child (an indexing worker) must not keep the lock alive after its parent dies:
    # the flock belongs to the open file, shared by every descriptor of it, in any process.
    for fd in _held_locks:
        with contextlib.suppress(OSError):
            os.close(fd)
    _held_locks.clear()


os.register_at_fork(after_in_child=_close_held_locks_in_child)


@contextlib.contextmanager
def write_lock(data: DataDir) -> Iterator[None]:
    """Hold the data directory's one-writer lock, or raise IndexBusy at once.

    An flock: it dies with the process holding it (a SIGKILLed writer leaves no stale lock;
    the pid written into the file is for people only), and forked children do not hold it.
    """
    data.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(data.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(str(data.lock)) from None
        _held_locks.add(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        _held_locks.discard(fd)
        os.close(fd)  # closing drops the flock; a killed process drops it too


class _Chunks:
    """A stream of articles cut into chunks of distinct ids, at most `size` articles each.

    A chunk ends before an id it already holds: one index commit never adds a document twice
    (update_document replaces what earlier commits hold, not what its own writer was given).
    """

    def __init__(self, articles: Iterable[Article], size: int) -> None:
        self.source: Iterator[Article] = iter(articles)
        self.size = size
        self.carry: Article | None = None  # the first article of the next chunk

    def more(self) -> bool:
        """Whether another chunk follows (reads its first article)."""
        if self.carry is None:
            self.carry = next(self.source, None)
        return self.carry is not None

    def chunk(self) -> Iterator[Article]:
        seen: set[str] = set()
        while len(seen) < self.size and self.more():
            article, self.carry = self.carry, None
            assert article is not None
            if article.id in seen:
                self.carry = article
                return
            seen.add(article.id)
            yield article


class _Every:
    """The container of every id (`in` is always true)."""

    def __contains__(self, item: object) -> bool:
        return True


_EVERY_ID = _Every()


def _seam() -> ModuleType:
    """The Whoosh seam, imported on first use: importing the store must not load Whoosh."""
    from indexer import whoosh_seam

    return whoosh_seam


class Store:
    """A data directory opened for writing (holds the lock for its lifetime)."""

    def __init__(
        self,
        data_dir: Path | str,
        procs: int = 1,
        multiprocess_min: int = MULTIPROCESS_MIN,
        chunk: int = CHUNK,
    ) -> None:
        """Open data_dir for writing; procs > 1 indexes batches of multiprocess_min or more
        articles in that many processes; sync() commits at most `chunk` articles at a time."""
        self.data = DataDir(Path(data_dir))
        self.procs = procs
        self.multiprocess_min = multiprocess_min
        self.chunk = max(1, chunk)
        self._lock = write_lock(self.data)
        self._lock.__enter__()
        try:
            self.db = ArticleDB(self.data.articles_db)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise

    @property
    def paths(self) -> DataDir:
        """The data directory's layout (the older name of `data`)."""
        return self.data

    def close(self) -> None:
        self.db.close()
        self._lock.__exit__(None, None, None)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put(self, articles: Iterable[Article]) -> int:
        """Store articles (replacing same ids) and mark them for indexing; call sync() after."""
        return self.db.put_many(articles)

    def add(self, articles: Iterable[Article]) -> int:
        """Store and index a stream of articles in one pass; the number stored.

        The index commits by chunks, as sync(); each batch of a chunk is committed to the
        article database (marked pending) before its documents go to the index writer, so a
        run killed anywhere keeps what it committed and leaves the rest pending for the next
        writer. The documents come from the articles just read, not read back from the
        database, and with worker processes the storing overlaps their indexing.
        """
        chunks = _Chunks(articles, self.chunk)
        head = list(islice(chunks.source, self.multiprocess_min))  # enough for processes?
        procs = self._procs_for(len(head))
        chunks.source = chain(head, chunks.source)
        if not chunks.more():
            return 0
        stored = 0
        index = self._open_live()
        try:
            while chunks.more():
                ids: list[str] = []
                new: set[str] = set()
                docs = self._stored_documents(chunks.chunk(), ids, new)
                index.write(docs, (), procs, new_ids=new)
                self.db.settle(ids, [])
                stored += len(ids)
                log.info("stored and indexed %d articles", stored)
        finally:
            index.close()
        return stored

    def _stored_documents(
        self, articles: Iterable[Article], ids: list[str], new: set[str]
    ) -> Iterator[Any]:
        """The index documents of articles, each batch stored (pending) before it is handed
        on; `ids` collects the ids stored, `new` those the store never held before."""
        source = iter(articles)
        while batch := list(islice(source, BATCH)):
            # An id the store never held is in no segment (an indexed article always is in the
            # store): the writer adds its document without update_document's delete by id, a
            # searcher over every segment per document (~0.5 ms at 450,000 articles).
            known = self.db.known([a.id for a in batch])
            new.update(a.id for a in batch if a.id not in known)
            self.db.put_many(batch)
            ids.extend(a.id for a in batch)
            for article in batch:
                yield index_document(article)

    def delete(self, ids: Iterable[str]) -> None:
        """Mark articles for removal; sync() removes them from the index and the store."""
        self.db.mark_deleted(ids)

    def _procs_for(self, count: int) -> int:
        # Analysis and segment writing in parallel processes pay off for big batches only;
        # each process leaves its own segment (merged by later small commits).
        return self.procs if self.procs > 1 and count >= self.multiprocess_min else 1

    def _open_live(self) -> Any:
        """The live index for writing, created (and made live) when there is none yet."""
        seam = _seam()
        folder = self.data.live_index()
        if folder is None or not seam.index_exists(folder):
            self._drop_unfinished()
            folder = self.data.next_index_folder()
            folder.mkdir(parents=True)
            index = seam.WritableIndex(folder, create=True)
            write_version(folder)
            self._swap(folder)
            return index
        check_version(folder)
        return seam.WritableIndex(folder)

    def _documents(self, ids: list[str]) -> Iterator[dict[str, Any]]:
        for start in range(0, len(ids), BATCH):
            for article in self.db.get_many(ids[start : start + BATCH]).values():
                yield index_document(article)

    def sync(self) -> tuple[int, int]:
        """Bring the index up to the store: index pending articles, drop deleted ones."""
        to_index, to_delete = self.db.pending()
        if not to_index and not to_delete and self.data.live_index() is not None:
            return 0, 0
        index = self._open_live()
        try:
            # Commit by chunks: a writer's memory (every posting of its segment until the
            # commit) stays that of one chunk, and a run killed at 400,000 of 450,000 articles
            # keeps the chunks it committed. Each chunk adds a segment per process.
            for start in range(0, max(len(to_index), 1), self.chunk):
                ids = to_index[start : start + self.chunk]
                deleted = to_delete if start == 0 else []
                if not ids and not deleted:
                    break
                index.write(self._documents(ids), deleted, self._procs_for(len(ids)))
                self.db.settle(ids, deleted)
                if len(to_index) > self.chunk:
                    log.info("indexed %d of %d articles", start + len(ids), len(to_index))
        finally:
            index.close()
        if to_index or to_delete:
            log.info("index synced: %d indexed, %d removed", len(to_index), len(to_delete))
        return len(to_index), len(to_delete)

    def _drop_unfinished(self) -> None:
        """Remove index folders newer than the live one: left by a writer killed mid-rebuild.

        No searcher ever opened them (they never were live), and we hold the write lock.
        """
        live = self.data.live_index()
        folders = self.data.index_folders()
        newer = folders[folders.index(live) + 1 :] if live in folders else folders
        for folder in newer:
            log.warning("removing %s: an unfinished index build", folder)
            shutil.rmtree(folder, ignore_errors=True)

    def rebuild(self) -> int:
        """Build a fresh index from every stored article in a new folder, then swap it in."""
        self._drop_unfinished()
        folder = self.data.next_index_folder()
        folder.mkdir(parents=True)
        try:
            index = _seam().WritableIndex(folder, create=True)
            procs = self._procs_for(self.db.count())
            n = 0
            try:
                # By chunks, as an import: one writer holds a chunk's postings, not the whole
                # archive's (~10 GB at 450,000 articles), and the tier's merges apply. Every id
                # comes once, into an empty index: none needs a delete by id first.
                chunks = _Chunks(self.db.iter_all(), self.chunk)
                while chunks.more():
                    docs = (index_document(a) for a in chunks.chunk())
                    n += index.write(docs, (), procs, new_ids=_EVERY_ID)
                    log.info("rebuilt %d articles", n)
            finally:
                index.close()
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        write_version(folder)
        pending_index, pending_delete = self.db.pending()
        self.db.settle(pending_index, pending_delete)
        self._swap(folder)
        log.info("index rebuilt in %s: %d articles", folder.name, n)
        return n

    def install(self, fill: Callable[[Path], object]) -> Path:
        """Make live a new index folder that `fill` writes (a restore copies a backup's)."""
        self._drop_unfinished()
        folder = self.data.next_index_folder()
        folder.mkdir(parents=True)
        try:
            fill(folder)
            check_version(folder)
            if not _seam().index_exists(folder):
                raise IndexMissing(str(folder))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self._swap(folder)
        log.info("index folder %s installed", folder.name)
        return folder

    def _swap(self, folder: Path) -> None:
        """Make `folder` the live index (atomically); keep the one live before it, drop older."""
        previous = self.data.live_index()
        tmp = self.data.current_tmp
        tmp.write_text(folder.name + "\n")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, self.data.current)
        keep = {folder, previous}  # open searchers may still read the previous one
        for old in self.data.index_folders()[:-KEEP_FOLDERS]:
            if old not in keep:
                shutil.rmtree(old, ignore_errors=True)


class Paths(DataDir):
    """The older name of DataDir, with `db` for `articles_db` (tests/crawl still use it)."""

    @property
    def db(self) -> Path:
        return self.articles_db


def open_index_readonly(data_dir: Path | str) -> Any:
    """The live index as a Whoosh index object, for Whoosh's public API (tests inspect it)."""
    seam = _seam()
    folder = DataDir(Path(data_dir)).live_index()
    if folder is None or not seam.index_exists(folder):
        raise IndexMissing(str(data_dir))
    check_version(folder)
    return seam.open_index(folder)


__all__ = ["ArticleDB", "DataDir", "Paths", "Store", "open_index_readonly", "write_lock"]
