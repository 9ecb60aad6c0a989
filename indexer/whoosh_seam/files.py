"""The parts of one Whoosh segment (term table, postings, columns) as byte ranges read with pread.

A compound segment is one `.seg` file holding every part; otherwise each part is a file of its
own. Reading with os.pread needs no shared file position: many threads can read one segment at
once, and nothing is memory-mapped (index pages stay in the OS page cache, counted once).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from indexer.errors import IndexFormatError


class Part:
    """One part of a segment: a byte range of a file, read with pread."""

    def __init__(self, name: str, fd: int, offset: int, length: int) -> None:
        self.name = name
        self.fd = fd
        self.offset = offset
        self.length = length

    def read(self, pos: int, size: int) -> bytes:
        """`size` bytes at `pos` (fewer only at the end of the part)."""
        size = max(0, min(size, self.length - pos))
        data = os.pread(self.fd, size, self.offset + pos)
        if len(data) != size:
            raise IndexFormatError(f"{self.name}: short read at {pos}")
        return data

    def read_into(self, pos: int, buf: Any) -> None:
        """Fill a writable buffer (a bytearray, a NumPy uint8 array) from `pos`."""
        view = memoryview(buf).cast("B")
        if pos + len(view) > self.length or os.preadv(self.fd, [view], self.offset + pos) != len(
            view
        ):
            raise IndexFormatError(f"{self.name}: short read at {pos}")

    def read_all(self) -> bytes:
        return self.read(0, self.length)


class SegmentFiles:
    """Opens the parts of one segment of the index in `folder` (holds one descriptor per file)."""

    def __init__(self, folder: Path, storage: Any, segment: Any) -> None:
        self.segment = segment
        self._folder = folder
        self._fds: dict[str, int] = {}
        self._ranges: dict[str, tuple[str, int, int]] = {}  # part name → (file, offset, length)
        if segment.is_compound():
            compound = segment.make_filename(segment.COMPOUND_EXT)
            directory = segment.open_compound_file(storage)
            try:
                for name in directory.list():
                    offset, length = directory.range(name)
                    self._ranges[name] = (compound, offset, length)
            finally:
                directory.close()

    def part(self, ext: str) -> Part | None:
        """The part named `<segment name><ext>` (ext like '.trm'), or None when absent."""
        name = self.segment.make_filename(ext)
        where = self._ranges.get(name)
        if where is None:
            path = self._folder / name
            if not path.is_file():
                return None
            where = (name, 0, path.stat().st_size)
        filename, offset, length = where
        fd = self._fds.get(filename)
        if fd is None:
            fd = self._fds[filename] = os.open(self._folder / filename, os.O_RDONLY)
        return Part(name, fd, offset, length)

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
