"""A segment's long posting lists as plain arrays, in a side file written with the segment.

Whoosh's posting lists are pickled, zlib-compressed blocks: reading one costs a pread, a
decompress, a pickle load and a conversion per block. When a segment is written, every list of
at least SIDE_MIN postings is also written here, its document numbers (int32) and weights
(uint16 when every weight is a whole number below 65,536, else float32) contiguous, with an
index keyed by the list's offset in the postings part (which the term table gives). The file
is memory-mapped: a list is two array views, read from the OS page cache, shared by every
process. It also holds, per field of MARGIN_FIELDS, the summed doc frequency of the terms
starting with each word and a space (search/vocab.py's margins), so they need no prefix scan,
and every term of VOCABULARY_FIELDS with its doc frequency (the vocabulary a generation reads
when it opens), two arrays instead of a walk through the term table.

The file is named after its segment (`<segment id>.spl`) and written before Whoosh assembles the
segment's compound file and commits its table of contents: a segment killed mid-write leaves
no side file that is ever read, and Whoosh deletes it with the rest of the segment. On open,
the header, the index and the margins are checked against their CRC and the file's size; each
list read is checked against the term table's doc frequency and first and last document.

Layout (little-endian): 8 bytes magic, a uint64 header length, the JSON header, then 8-aligned
sections (offsets int64[n], starts int64[n + 1], ids int32[P], weights, margin words joined by
newlines, margin sums int64[m], vocabulary terms joined by newlines, their doc frequencies
uint32) whose positions the header gives. A field whose terms hold a newline gets no margins or
vocabulary (readers then scan the term table, as for segments written before side files).
"""

from __future__ import annotations

import json
import mmap
import struct
import tempfile
import threading
import zlib
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from indexer.errors import IndexFormatError
from indexer.whoosh_seam.files import Part
from indexer.whoosh_seam.pool import SortedPostings

SIDE_EXT = ".spl"
SIDE_MIN = 64  # lists of at least this many postings are copied into the side file
MARGIN_FIELDS = ("text_bi",)
VOCABULARY_FIELDS = ("text",)
_MAGIC = b"TRSPL\x00\x01\x00"
_HEAD = struct.Struct("<8sQ")
_ALIGN = 8
# The sections under the CRC: all but the lists (checked per read).
_CHECKED = ("offsets", "starts", "margin_words", "margin_sums", "vocab_words", "vocab_dfs")


class SideWriter:
    """A segment's side file, gathered field by field (a field in one or more slabs of its terms,
    in term order) as the segment's lists are written.

    The lists' ids and weights are spooled to temporary files (in `spool_dir`, beside the
    segment) and copied into the side file at the end, so a merged segment of any size costs
    the memory of one slab; the vocabulary too. The weights are spooled as float32 and
    converted while copying (uint16 when every one turned out whole and below 65,536).
    """

    def __init__(self, side_min: int | None = None, spool_dir: Path | None = None) -> None:
        self.side_min = SIDE_MIN if side_min is None else side_min
        self._spool_dir = spool_dir
        self._offsets: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._ids = _Spool(spool_dir)
        self._weights = _Spool(spool_dir)
        self._whole = True  # every weight so far a whole number ≥ 0 below 65,536
        self._margins: dict[str, dict[bytes, int] | None] = {}  # None: a term held a newline
        self._vocab: dict[str, tuple[_Spool, _Spool, int] | None] = {}
        self._last_field: str | None = None

    def add_field(
        self, fieldname: str, postings: SortedPostings, terms: np.ndarray, offsets: np.ndarray
    ) -> None:
        """The lists of `terms` (indexes into postings, written at `offsets` of the postings
        part) that are long enough; the field's margins and vocabulary when it has them. A
        field may come in several calls (slabs of its terms, in term order)."""
        counts = np.diff(postings.starts)
        first_slab = fieldname != self._last_field
        self._last_field = fieldname
        newline = any(b"\n" in t for t in postings.terms)  # the word sections' separator
        if fieldname in MARGIN_FIELDS:
            if first_slab:
                self._margins[fieldname] = {}
            sums = self._margins[fieldname]
            if newline:
                self._margins[fieldname] = None
            elif sums is not None:
                _add_margins(sums, postings.terms, counts)
        if fieldname in VOCABULARY_FIELDS:
            if first_slab:
                self._vocab[fieldname] = (_Spool(self._spool_dir), _Spool(self._spool_dir), 0)
            vocab = self._vocab[fieldname]
            if newline:
                self._vocab[fieldname] = None
            elif vocab is not None and postings.terms:
                words, dfs, n = vocab
                words.write((b"\n" if n else b"") + b"\n".join(postings.terms))
                dfs.write(counts.astype("<u4").tobytes())
                self._vocab[fieldname] = (words, dfs, n + len(postings.terms))
        keep = counts[terms] >= self.side_min
        terms, offsets = terms[keep], offsets[keep]
        if not len(terms):
            return
        n = counts[terms]
        first = postings.starts[terms]
        # The postings of the kept terms, in term order: each term's run start..start + n.
        runs = np.repeat(first - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
        self._offsets.append(offsets.astype(np.int64))
        self._counts.append(n.astype(np.int64))
        self._ids.write(postings.docs[runs].astype("<i4").tobytes())
        weights = postings.weights[runs].astype("<f4")
        if self._whole:
            self._whole = bool(
                np.all(weights == np.floor(weights))
                and (weights >= 0).all()
                and weights.max() < 1 << 16
            )
        self._weights.write(weights.tobytes())

    def write(self, f: BinaryIO) -> None:
        """The side file, whole, to a file open for writing (the spools are closed after)."""
        try:
            self._write(f)
        finally:
            self.close()

    def close(self) -> None:
        """Drop the spooled lists (the temporary files)."""
        for spool in (self._ids, self._weights):
            spool.close()
        for vocab in self._vocab.values():
            if vocab is not None:
                vocab[0].close()
                vocab[1].close()

    def _write(self, f: BinaryIO) -> None:
        offsets = np.concatenate(self._offsets) if self._offsets else np.zeros(0, np.int64)
        if (np.diff(offsets) <= 0).any():
            raise ValueError("posting lists of a segment must be written in offset order")
        counts = np.concatenate(self._counts) if self._counts else np.zeros(0, np.int64)
        starts = np.concatenate([[0], np.cumsum(counts)]).astype("<i8")
        postings = int(starts[-1])
        wdtype = "<u2" if self._whole else "<f4"
        sections: dict[str, _Section] = {
            "offsets": _Section(offsets.astype("<i8").tobytes()),
            "starts": _Section(starts.tobytes()),
            "ids": _Section(self._ids),
            "weights": _Section(self._weights, "<f4", wdtype),
        }
        if self._ids.size != postings * 4 or self._weights.size != postings * 4:
            raise ValueError("the spooled lists do not add up to their counts")
        margins: dict[str, Any] = {}
        for field, sums in sorted(self._margins.items()):
            if sums is None:
                continue
            words = sorted(sums)
            margins[field] = len(words)
            sections[f"margin_words:{field}"] = _Section(b"\n".join(words))
            sections[f"margin_sums:{field}"] = _Section(
                np.array([sums[w] for w in words], dtype="<i8").tobytes()
            )
        vocabulary: dict[str, int] = {}
        for field, vocab in sorted(self._vocab.items()):
            if vocab is None:
                continue
            words_spool, dfs_spool, n = vocab
            vocabulary[field] = n
            sections[f"vocab_words:{field}"] = _Section(words_spool)
            sections[f"vocab_dfs:{field}"] = _Section(dfs_spool)
        layout: dict[str, list[int]] = {}
        pos = 0
        for name, section in sections.items():
            layout[name] = [pos, section.size]
            pos = _aligned(pos + section.size)
        header: dict[str, Any] = {
            "lists": len(offsets),
            "postings": postings,
            "side_min": self.side_min,
            "weights": wdtype,
            "margins": margins,
            "vocabulary": vocabulary,
            "sections": layout,
        }
        crc = 0
        for name in sorted(sections):
            if name.split(":", 1)[0] in _CHECKED:
                for chunk in sections[name].chunks():
                    crc = zlib.crc32(chunk, crc)
        header["crc"] = crc
        head = json.dumps(header, sort_keys=True).encode()
        head += b" " * (_aligned(_HEAD.size + len(head)) - _HEAD.size - len(head))
        f.write(_HEAD.pack(_MAGIC, len(head)) + head)
        written = 0
        for name, section in sections.items():
            f.write(b"\0" * (layout[name][0] - written))
            for chunk in section.chunks():
                f.write(chunk)
            written = layout[name][0] + section.size
        f.write(b"\0" * (_aligned(written) - written))


_SPOOL_CHUNK = 1 << 22  # bytes copied at a time from a spool


class _Spool:
    """Bytes appended to an anonymous temporary file (deleted when closed or the process
    dies), read back in chunks; opened on the first write."""

    def __init__(self, folder: Path | None) -> None:
        self._folder = folder
        self._file: BinaryIO | None = None
        self.size = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(dir=self._folder)  # noqa: SIM115 (kept open)
        self._file.write(data)
        self.size += len(data)

    def chunks(self, size: int = _SPOOL_CHUNK) -> Iterator[bytes]:
        if self._file is None:
            return
        self._file.flush()
        self._file.seek(0)
        while chunk := self._file.read(size):
            yield chunk

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _Section:
    """One section of the side file: bytes in memory or a spool, its dtype converted (the
    weights) chunk by chunk."""

    def __init__(self, data: bytes | _Spool, dtype: str = "", to: str = "") -> None:
        self.data = data
        self.dtype, self.to = dtype, to
        scale = np.dtype(to).itemsize / np.dtype(dtype).itemsize if to else 1
        size = len(data) if isinstance(data, bytes) else data.size
        self.size = int(size * scale)

    def chunks(self) -> Iterator[bytes]:
        if isinstance(self.data, bytes):
            yield self.data
            return
        for chunk in self.data.chunks():
            if self.to and self.to != self.dtype:
                chunk = np.frombuffer(chunk, dtype=self.dtype).astype(self.to).tobytes()
            yield chunk


def _aligned(pos: int) -> int:
    return (pos + _ALIGN - 1) // _ALIGN * _ALIGN


def _crc(sections: dict[str, Any]) -> int:
    """CRC-32 of the index and margin sections (the lists themselves are checked per read)."""
    crc = 0
    for name in sorted(sections):
        if name.split(":", 1)[0] in _CHECKED:
            crc = zlib.crc32(sections[name], crc)
    return crc


def _add_margins(sums: dict[bytes, int], terms: list[bytes], counts: np.ndarray) -> None:
    """To each word that starts a term followed by a space, the summed doc frequency of the
    terms it starts so: what a prefix scan of 'word ' adds up."""
    for term, df in zip(terms, counts.tolist(), strict=True):
        word, space, _ = term.partition(b" ")
        if space:
            sums[word] = sums.get(word, 0) + df


class SideFile:
    """A segment's side file, memory-mapped: long lists as array views, margins by word."""

    def __init__(self, part: Part) -> None:
        self.name = part.name
        if part.length < _HEAD.size:
            raise IndexFormatError(f"{part.name}: a side file of {part.length} bytes")
        self._map = mmap.mmap(part.fd, 0, access=mmap.ACCESS_READ)  # the (compound) file
        if part.offset + part.length > len(self._map):
            raise IndexFormatError(f"{part.name}: the side file runs past its file")
        buf = memoryview(self._map)[part.offset : part.offset + part.length]
        magic, head_len = _HEAD.unpack_from(buf)
        if magic != _MAGIC or _HEAD.size + head_len > part.length:
            raise IndexFormatError(f"{part.name}: not a side file this version writes")
        try:
            header = json.loads(bytes(buf[_HEAD.size : _HEAD.size + head_len]))
            base = _HEAD.size + head_len
            layout = {name: (base + a, n) for name, (a, n) in header["sections"].items()}
            end = max((a + n for a, n in layout.values()), default=base)
            self.lists = int(header["lists"])
            postings = int(header["postings"])
            self.side_min = int(header["side_min"])
            wdtype = np.dtype(header["weights"])
            margins: dict[str, int] = header["margins"]
            vocabulary: dict[str, int] = header["vocabulary"]
            crc = int(header["crc"])
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexFormatError(f"{part.name}: a damaged side file header ({exc})") from exc
        if _aligned(end) != part.length:
            raise IndexFormatError(f"{part.name}: {part.length} bytes, its header says {end}")
        sections = {name: buf[a : a + n] for name, (a, n) in layout.items()}
        if _crc(sections) != crc:
            raise IndexFormatError(f"{part.name}: the side file's index fails its checksum")

        def array(name: str, dtype: Any, count: int) -> np.ndarray:
            data = sections[name]
            if len(data) != count * np.dtype(dtype).itemsize:
                raise IndexFormatError(f"{part.name}: section {name} has {len(data)} bytes")
            return np.frombuffer(data, dtype=dtype, count=count)

        self.offsets = array("offsets", "<i8", self.lists)
        self.starts = array("starts", "<i8", self.lists + 1)
        if self.lists and (int(self.starts[-1]) != postings or (np.diff(self.starts) <= 0).any()):
            raise IndexFormatError(f"{part.name}: list starts do not add up to {postings}")
        self.ids = array("ids", "<i4", postings)
        self.weights = array("weights", wdtype, postings)
        self._margin_sums = {f: array(f"margin_sums:{f}", "<i8", m) for f, m in margins.items()}
        self._margin_raw = {f: sections[f"margin_words:{f}"] for f in margins}
        self._margin_words: dict[str, list[bytes]] = {}
        self._vocab_dfs = {f: array(f"vocab_dfs:{f}", "<u4", m) for f, m in vocabulary.items()}
        self._vocab_raw = {f: sections[f"vocab_words:{f}"] for f in vocabulary}
        self._lock = threading.Lock()

    def lookup(self, offset: int, doc_frequency: int, first: int, last: int) -> slice | None:
        """Where the list at `offset` of the postings part lies in ids and weights, or None when
        it is too short to be here. Checked against what the term table says of it."""
        if doc_frequency < self.side_min:
            return None
        i = int(self.offsets.searchsorted(offset))
        if i == self.lists or int(self.offsets[i]) != offset:
            raise IndexFormatError(f"{self.name}: no list at offset {offset} in the side file")
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        if b - a != doc_frequency or int(self.ids[a]) != first or int(self.ids[b - 1]) != last:
            raise IndexFormatError(f"{self.name}: the list at offset {offset} is not the term's")
        return slice(a, b)

    def margin(self, field: str, word: bytes) -> int | None:
        """The summed doc frequency of the field's terms starting with `word` and a space; None
        when this file holds no margins of the field."""
        sums = self._margin_sums.get(field)
        if sums is None:
            return None
        with self._lock:
            words = self._margin_words.get(field)
            if words is None:
                raw = bytes(self._margin_raw[field])
                words = self._margin_words[field] = raw.split(b"\n") if len(sums) else []
        i = bisect_left(words, word)
        return int(sums[i]) if i < len(words) and words[i] == word else 0

    def vocabulary(self, field: str) -> list[tuple[str, int]] | None:
        """(term, doc frequency) of every term of the field (UTF-8), in term order; None when
        this file holds no vocabulary of the field."""
        dfs = self._vocab_dfs.get(field)
        if dfs is None:
            return None
        raw = bytes(self._vocab_raw[field])
        try:
            words = raw.decode("utf-8").split("\n") if len(dfs) else []
        except UnicodeDecodeError as exc:
            raise IndexFormatError(f"{self.name}: vocabulary of {field} is not UTF-8") from exc
        if len(words) != len(dfs):
            raise IndexFormatError(f"{self.name}: {len(words)} terms, {len(dfs)} frequencies")
        return list(zip(words, dfs.tolist(), strict=True))
