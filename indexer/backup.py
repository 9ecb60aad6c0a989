"""`tracuu index backup|restore`: a consistent copy of a data directory, taken while it serves.

A backup holds the write lock (a crawl or import in progress makes it exit 75, cron retries), so
the article database and the live index folder it copies belong together; searchers never take
that lock and keep serving. SQLite files are copied with SQLite's online backup API (a
consistent snapshot even while the OCR worker writes its queue); the live index folder is
copied file by file (segments are immutable; only a writer, locked out, changes the table of
contents). Attachments and crawl reports are copied as they are.

Restore copies a backup into an empty (or new) data directory; into a non-empty one only with
`force`, and then while it serves: under the target's write lock, the databases are restored
through the backup API and the index is copied to a new generation folder made live by the same
atomic CURRENT swap as a rebuild.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from indexer.errors import BackupError
from indexer.layout import DataDir
from indexer.store import Store, write_lock

log = logging.getLogger(__name__)

MANIFEST = "BACKUP.json"
FORMAT = 1


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore copied."""

    source: str
    target: str
    databases: tuple[str, ...]
    index_folder: str | None
    index_files: int
    other_files: int
    created: str


def _databases(data: DataDir) -> list[Path]:
    return [p for p in (data.articles_db, data.crawl_db, data.ocr_queue) if p.is_file()]


def _copy_sqlite(src: Path, dst: Path) -> None:
    """Copy one SQLite database through the online backup API (consistent while written)."""
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(dst)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def _copy_tree(src: Path, dst: Path) -> int:
    """Copy a folder's files (fsynced); the number copied."""
    n = 0
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_dir():
            (dst / rel).mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dst / rel)
            with open(dst / rel, "rb") as f:
                os.fsync(f.fileno())
            n += 1
    return n


def _is_empty(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def backup(data_dir: Path, dest: Path) -> BackupReport:
    """Copy data_dir into dest (new or empty): databases, live index, attachments, reports."""
    data, out = DataDir(Path(data_dir)), DataDir(Path(dest))
    if not data.articles_db.is_file():
        raise BackupError(f"{data_dir} holds no article database: nothing to back up")
    if not _is_empty(out.root):
        raise BackupError(f"{dest} is not empty: back up into a new folder")
    with write_lock(data):
        out.root.mkdir(parents=True, exist_ok=True)
        dbs = _databases(data)
        for db in dbs:
            _copy_sqlite(db, out.root / db.name)
        live = data.live_index()
        index_files = 0
        if live is not None and live.is_dir():
            index_files = _copy_tree(live, out.index_root / live.name)
            out.current.write_text(live.name + "\n")
        other = sum(
            _copy_tree(d, out.root / d.name) for d in (data.files, data.reports) if d.is_dir()
        )
    report = BackupReport(
        source=str(data.root),
        target=str(out.root),
        databases=tuple(db.name for db in dbs),
        index_folder=live.name if live is not None else None,
        index_files=index_files,
        other_files=other,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    (out.root / MANIFEST).write_text(
        json.dumps({"format": FORMAT, **asdict(report)}, ensure_ascii=False, indent=2) + "\n"
    )
    log.info("backup of %s into %s: %d index files", data.root, out.root, index_files)
    return report


def restore(src: Path, data_dir: Path, force: bool = False) -> BackupReport:
    """Restore a backup into data_dir; a non-empty data_dir only with force (while it serves)."""
    bak, data = DataDir(Path(src)), DataDir(Path(data_dir))
    manifest = bak.root / MANIFEST
    if not manifest.is_file() or not bak.articles_db.is_file():
        raise BackupError(f"{src} is not a tracuu backup (no {MANIFEST} or article database)")
    if not _is_empty(data.root) and not force:
        raise BackupError(f"{data_dir} is not empty: restore with --force to replace its content")
    with Store(data.root) as store:  # the write lock; its connection sees the restored rows
        dbs = _databases(bak)
        for db in dbs:
            _copy_sqlite(db, data.root / db.name)
        live = bak.live_index()
        index_files = 0
        folder = None
        if live is not None and live.is_dir():
            folder = store.install(lambda into: _copy_tree(live, into))
            index_files = sum(1 for p in folder.rglob("*") if p.is_file())
        other = sum(
            _copy_tree(bak.root / name, data.root / name)
            for name in (data.files.name, data.reports.name)
            if (bak.root / name).is_dir()
        )
    log.info("restored %s into %s: %d index files", bak.root, data.root, index_files)
    return BackupReport(
        source=str(bak.root),
        target=str(data.root),
        databases=tuple(db.name for db in dbs),
        index_folder=folder.name if folder is not None else None,
        index_files=index_files,
        other_files=other,
        created=json.loads(manifest.read_text())["created"],
    )
