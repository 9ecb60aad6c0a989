"""Writing an index: a segment writer that inverts documents in memory, in one or more processes.

Whoosh's SegmentWriter sends every posting through an external sort (a pickle.dump and a
pickle.load each when the pool spills) and then through the codec one posting at a time, with a
field-length lookup per posting. BulkWriter appends postings to per-term arrays as documents
come (already in docnum order) and writes each term's list in blocks. Everything else — stored
fields, length columns, deletions, merges, the table of contents — is Whoosh's SegmentWriter.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from collections.abc import Iterable
from hashlib import md5
from pathlib import Path
from pickle import dumps
from typing import Any, TypeAlias

from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from indexer.whoosh_seam.codec import InliningCodec
from indexer.whoosh_seam.storage import create_index, open_index

Postings: TypeAlias = "tuple[array[int], array[float], bytearray]"
INLINE_LIMIT = 4  # posting lists of up to this many documents live in the term table
BLOCK_LIMIT = 1024  # postings per block (search decodes whole lists and pays per block)
COMPRESSION = 3  # zlib level of posting blocks (whoosh3 W3PostingsWriter compresses them all)
POOL_MB = 256
_TERMINFO = struct.Struct("!BfIBBfII")  # whoosh3 W3TermInfo
_EXTENT = struct.Struct("!qi")
_INT = struct.Struct("!i")
_LENGTHS = struct.Struct("!ii")  # key and value length before each term table entry
_POSTINGS_MAGIC = b"W3Bl"


class BulkPool:
    """In-memory inverted lists of one segment: field → term bytes → (ids, weights, values)."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[bytes, Postings]] = {}

    def add(self, item: tuple[str, bytes, int, float, bytes]) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        entry = terms.get(tbytes)
        if entry is None:
            entry = terms[tbytes] = (array("I"), array("f"), bytearray())
        entry[0].append(docnum)
        entry[1].append(weight)
        if vbytes:
            entry[2].extend(vbytes)

    @property
    def fieldnames(self) -> set[str]:
        return set(self.fields)

    def cleanup(self) -> None:
        self.fields = {}


class BulkWriter(SegmentWriter):  # type: ignore[misc]
    """SegmentWriter with the in-memory pool and bulk posting lists."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.pool = BulkPool()

    def add_document(self, **fields: Any) -> None:
        """SegmentWriter.add_document with postings appended straight to the pool's arrays."""
        self._check_state()
        schema = self.schema
        docnum = self.docnum
        pool_fields = self.pool.fields
        perdocwriter = self.perdocwriter
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    boost = self._field_boost(fields, fieldname, docboost)
                    terms = pool_fields.get(fieldname)
                    if terms is None:
                        terms = pool_fields[fieldname] = {}
                    scorable = field.scorable
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if scorable:
                            length += freq
                        entry = terms.get(tbytes)
                        if entry is None:
                            entry = terms[tbytes] = (array("I"), array("f"), bytearray())
                        entry[0].append(docnum)
                        entry[1].append(weight * boost)
                        if vbytes:
                            entry[2].extend(vbytes)
                stored = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, stored if field.stored else None, length)
                column = field.column_type
                if column and stored is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(stored))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader()
        try:
            doccount = self.docnum
            fw = self.fieldwriter
            for fieldname in sorted(self.pool.fields):
                field = self.schema[fieldname]
                lengths = (
                    [pdr.doc_field_length(d, fieldname) for d in range(doccount)]
                    if field.scorable
                    else None
                )
                fixed = field.format.fixed_value_size()
                if fixed is None or fixed < 0:
                    raise ValueError(f"{fieldname}: the bulk writer needs fixed-size values")
                fw.start_field(fieldname, field)
                _write_terms(fw, self.pool.fields[fieldname], lengths, fixed)
                fw.finish_field()
            fw.close()
        finally:
            pdr.close()


def _write_terms(
    fw: Any, terms: dict[bytes, Postings], lengths: list[int] | None, fixed: int
) -> None:
    """Every term of one field: its posting list and its term table entry, as whoosh3 writes them.

    What W3FieldWriter, W3PostingsWriter and W3TermInfo do per term and per posting, done once
    per list: the same bytes (tests/indexer/test_whoosh_seam.py compares them with Whoosh's own
    writer's), a few microseconds per term instead of a few dozen.
    """
    postfile = fw._postfile
    table = _TableAppender(fw._tindex)
    key_prefix = fw._fieldid.to_bytes(2, "big")
    for tbytes in sorted(terms):
        ids, weights, values = terms[tbytes]
        n = len(ids)
        if n <= INLINE_LIMIT:
            lens = [lengths[d] for d in ids] if lengths is not None else None
            info = _TERMINFO.pack(
                1,
                sum(weights),
                n,
                length_to_byte(min(lens)) if lens else 0,
                length_to_byte(max(lens)) if lens else 0,
                max(weights),
                ids[0],
                ids[-1],
            )
            vals = (bytes(values),) if fixed else ()
            info += dumps((tuple(ids), tuple(weights), vals), 2)
            table.add(key_prefix + tbytes, info)
            continue
        start = postfile.tell()
        postfile.write(_POSTINGS_MAGIC)
        total, maxweight, minlen, maxlen = 0.0, 0.0, None, 0
        for b in range(0, n, BLOCK_LIMIT):
            chunk, wchunk = ids[b : b + BLOCK_LIMIT], weights[b : b + BLOCK_LIMIT]
            if wchunk.count(1.0) == len(wchunk):
                mini_weights: Any = None
            elif wchunk.count(wchunk[0]) == len(wchunk):
                mini_weights = wchunk[0]
            else:
                mini_weights = tuple(wchunk)
            deltas = tuple(d - p for d, p in zip(chunk, (0, *chunk[:-1]), strict=True))
            mini_values = bytes(values[b * fixed : (b + len(chunk)) * fixed]) if fixed else None
            data = zlib.compress(dumps((deltas, mini_weights, mini_values), 2), COMPRESSION)
            bmax = max(wchunk)
            if lengths is not None:
                lens = [lengths[d] for d in chunk]
                bmin_len: int | None = min(lens)
                bmax_len = max(lens)
            else:
                bmin_len, bmax_len = None, 0
            head = dumps(
                (
                    len(chunk),
                    chunk[-1],
                    bmax,
                    COMPRESSION,
                    length_to_byte(bmin_len),
                    length_to_byte(bmax_len),
                ),
                2,
            )
            size = len(head) + len(data)
            postfile.write(_INT.pack(-size if b + BLOCK_LIMIT >= n else size))
            postfile.write(head)
            postfile.write(data)
            total += sum(wchunk)
            maxweight = max(maxweight, bmax)
            if bmin_len is not None:
                minlen = bmin_len if minlen is None else min(minlen, bmin_len)
            maxlen = max(maxlen, bmax_len)
        info = _TERMINFO.pack(
            0,
            total,
            n,
            0 if minlen is None else length_to_byte(minlen),
            length_to_byte(maxlen),
            maxweight,
            ids[0],
            ids[-1],
        ) + _EXTENT.pack(start, postfile.tell() - start)
        table.add(key_prefix + tbytes, info)
    table.finish()


class _TableAppender:
    """OrderedHashWriter.add (whoosh.filedb.filetables) for keys known to come in order.

    The same bytes and bookkeeping: the entry (lengths, key, value) appended to the file, its
    position to the ordered index, (hash, position) to the hash bucket; without a tell(), a
    key comparison and three writes per call.
    """

    def __init__(self, tindex: Any) -> None:
        if tindex.hashtype != 0:
            raise ValueError("the term table writer hashes keys with md5 (hash type 0)")
        self._tindex = tindex
        self._write = tindex.dbfile.write
        self._pos: int = tindex.dbfile.tell()
        self._index_append = tindex.index.append
        self._buckets = tindex.buckets
        self._last: bytes | None = None

    def add(self, key: bytes, value: bytes) -> None:
        pos = self._pos
        self._index_append(pos)
        entry = _LENGTHS.pack(len(key), len(value)) + key + value
        self._write(entry)
        self._pos = pos + len(entry)
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")
        self._buckets[h & 255].append((h, pos))
        self._last = key

    def finish(self) -> None:
        if self._last is not None:
            self._tindex.lastkey = self._last


class WritableIndex:
    """An index folder opened for writing (the caller holds the data directory's write lock)."""

    def __init__(self, folder: Path, create: bool = False) -> None:
        self.folder = folder
        self._ix = create_index(folder) if create else open_index(folder, readonly=False)

    def doc_count(self) -> int:
        """Documents in the index, deleted ones not yet merged away included."""
        return int(self._ix.doc_count_all())

    def write(
        self, docs: Iterable[dict[str, Any]], delete_ids: Iterable[str] = (), procs: int = 1
    ) -> int:
        """Delete documents by id, add or replace documents (same id), commit; all or nothing.

        procs > 1 writes the new documents in that many processes (a segment each).
        """
        fresh = self.doc_count() == 0
        kwargs: dict[str, Any] = {"limitmb": POOL_MB, "codec": InliningCodec(INLINE_LIMIT)}
        if procs > 1:
            from indexer.whoosh_seam.workers import BulkMpWriter  # it builds on BulkWriter

            writer: Any = BulkMpWriter(self._ix, procs=procs, multisegment=True, **kwargs)
        else:
            writer = BulkWriter(self._ix, **kwargs)
        n = 0
        try:
            for article_id in delete_ids:
                writer.delete_by_term("id", article_id)
            for doc in docs:
                if fresh:  # nothing to replace: skip update_document's delete by id
                    writer.add_document(**doc)
                else:
                    writer.update_document(**doc)
                n += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return n

    def close(self) -> None:
        self._ix.close()
