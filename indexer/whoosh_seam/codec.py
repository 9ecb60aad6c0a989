"""The codec tracuu writes with: whoosh3's, with short posting lists really inlined.

whoosh3's W3PostingsWriter calls terminfo.set_inline(), a method W3TermInfo does not have (it is
set_inlined), so any inlinelimit above the default 1 crashes, and with 1 nothing is inlined. Most
bigram terms occur in one or two documents; writing each as its own compressed block costs ~40 µs
and ~100 bytes. This subclass fixes the call (Whoosh's own writers use it when they merge
segments; writer.py writes new segments' lists itself, in the same layout). Whoosh pickles the
codec into the index's table of contents: keep this import path (indexes written before the
seam existed name indexer.codec, which re-exports it).
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter


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
