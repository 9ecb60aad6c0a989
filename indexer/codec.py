"""Whoosh fixes: a codec that really inlines short posting lists; segment files read in place.

whoosh3's W3PostingsWriter calls terminfo.set_inline(), a method W3TermInfo does not have (it is
set_inlined), so any inlinelimit above the default 1 crashes, and with 1 nothing is inlined. Most
bigram terms occur in one or two documents; writing each as its own compressed block costs ~40 µs
and ~100 bytes. This subclass fixes the call. Whoosh pickles the codec into the index: keep this
import path.
"""

from __future__ import annotations

import io
from array import array
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter
from whoosh.filedb.structfile import BufferFile


class InliningPostingsWriter(W3PostingsWriter):  # type: ignore[misc]
    """W3PostingsWriter with the inline call fixed."""

    def finish_postings(self) -> Any:
        terminfo: Any = self.__dict__["_terminfo"]  # set by start_postings (untyped Whoosh)
        if not self.written() and len(self) <= self._inlinelimit:
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
            self._terminfo = None
            return terminfo
        return super().finish_postings()

    def add_many(
        self, ids: array[int], weights: array[float], values: bytes, lengths: list[int] | None
    ) -> None:
        """Add a whole posting list (sorted ids) at once: the bulk path of indexer.bulk."""
        fixed = self._format.fixed_value_size()
        if fixed is None or fixed < 0:  # variable-size values: the one-by-one path
            raise ValueError("add_many needs a fixed-size posting format")
        limit = self._blocklimit
        n = len(ids)
        for start in range(0, n, limit):
            chunk = ids[start : start + limit]
            wchunk = weights[start : start + limit]
            self._ids = chunk
            self._weights = wchunk
            self._values = [values[start * fixed : (start + len(chunk)) * fixed]] if fixed else []
            self._maxweight = max(wchunk)
            if lengths is not None:
                lens = [lengths[d] for d in chunk]
                self._minlength = min(lens)
                self._maxlength = max(lens)
            if start + limit < n:
                self._write_block()


class InliningCodec(W3Codec):  # type: ignore[misc]
    """W3Codec whose posting lists of up to `inlinelimit` documents live in the term table."""

    def __init__(self, inlinelimit: int = 4, blocklimit: int = 1024, **kwargs: Any) -> None:
        # Big blocks: search.ranking decodes whole posting lists, and pays per block.
        super().__init__(inlinelimit=inlinelimit, blocklimit=blocklimit, **kwargs)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        return InliningPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


class _MemoryReader(io.RawIOBase):
    """A read-only, seekable file over a memoryview, without copying it."""

    def __init__(self, buf: memoryview) -> None:
        super().__init__()
        self._buf = buf
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._buf) if size is None or size < 0 else min(len(self._buf), self._pos + size)
        data = bytes(self._buf[self._pos : end])
        self._pos = end
        return data

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._buf)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


def _buffer_file_init(self: Any, buf: Any, name: str | None = None, onclose: Any = None) -> None:
    self._buf = buf
    self._name = name
    self.file = _MemoryReader(memoryview(buf))
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


# Whoosh opens each part of a memory-mapped compound segment as BufferFile(BytesIO(view)), and
# BytesIO copies the view: every searcher held a private copy of the whole term table and
# postings (~60 MB per searcher on the 3,000-article demo). Reading through the view instead
# keeps the pages shared with the page cache.
BufferFile.__init__ = _buffer_file_init
