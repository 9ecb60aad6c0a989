"""The archive of original attachments: content-addressed files under one root folder.

A file is stored once, as `<root>/<sha256[:2]>/<sha256>.<kind>`, however many pages link it and
however often it is fetched again; writes go through a temporary file and a rename, so a crash
never leaves half a file under a final name. The root is the data directory's `files/`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from crawl.filetypes import SUFFIX


@dataclass(frozen=True)
class StoredFile:
    """An archived original: its hash, its path under the root, its size and kind."""

    sha256: str
    stored: str  # relative to the archive root, with '/' separators
    size: int
    kind: str


def stored_name(sha256: str, kind: str) -> str:
    """The relative path a file of this hash and kind has in the archive."""
    return f"{sha256[:2]}/{sha256}{SUFFIX.get(kind, '.bin')}"


class Archive:
    """Originals under a root folder, addressed by SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, data: bytes, kind: str) -> StoredFile:
        """Store the bytes (once) and say where they are."""
        digest = hashlib.sha256(data).hexdigest()
        name = stored_name(digest, kind)
        target = self.root / name
        if not (target.exists() and target.stat().st_size == len(data)):
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return StoredFile(digest, name, len(data), kind)

    def path(self, stored: str) -> Path:
        """The absolute path of a stored name; refuses names that leave the root."""
        path = (self.root / stored).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"not an archive path: {stored!r}")
        return path

    def usage(self) -> tuple[int, int]:
        """(files, bytes) in the archive."""
        files = size = 0
        for p in self.root.glob("??/*"):
            if p.is_file() and not p.name.startswith(".tmp-"):
                files += 1
                size += p.stat().st_size
        return files, size
