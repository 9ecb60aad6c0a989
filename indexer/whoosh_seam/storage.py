"""Opening an index folder: Whoosh's FileStorage without memory maps, nothing patched.

With mmap, Whoosh opens each part of a compound segment as BufferFile(BytesIO(view)), and
BytesIO copies the view: every reader (and every writer merging or deleting) held a private
copy of the whole segment. Without mmap, parts are read with seek+read from the file, so index
pages stay in the OS page cache, shared by every process and counted in none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage

from indexer.schema import build_schema


def storage(folder: Path, readonly: bool = True) -> Any:
    """Whoosh's storage of an index folder, reading without memory maps."""
    return FileStorage(str(folder), supports_mmap=False, readonly=readonly)


def open_index(folder: Path, readonly: bool = True) -> Any:
    """The Whoosh index in `folder` (a FileIndex)."""
    return storage(folder, readonly).open_index()


def create_index(folder: Path) -> Any:
    """A new, empty index with tracuu's schema in `folder` (which must exist)."""
    return storage(folder, readonly=False).create_index(build_schema())


def index_exists(folder: Path) -> bool:
    return bool(folder.is_dir() and storage(folder).index_exists())
