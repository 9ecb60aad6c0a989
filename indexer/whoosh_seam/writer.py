"""Writing an index: a segment writer that inverts documents in memory, in one or more processes.

Whoosh's SegmentWriter sends every posting through an external sort (a pickle.dump and a
pickle.load each when the pool spills) and then through the codec one posting at a time, with a
field-length lookup per posting. BulkWriter hands each document's field to the pool as a Counter
of its terms (pool.py: arrays, no Python step per posting), sorts each field's postings once at
commit and writes them with termfile.py, byte for byte what whoosh3 writes. Everything else —
stored fields, length columns, deletions, the table of contents — is Whoosh's SegmentWriter;
merges read each segment's lists as arrays (merging.py) into the same pool.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Container, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.columns import NumericColumn
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from indexer.errors import IndexWriteFailed
from indexer.whoosh_seam import merging
from indexer.whoosh_seam.codec import InliningCodec
from indexer.whoosh_seam.pool import BulkPool, counted, counts_of
from indexer.whoosh_seam.sidefile import SIDE_EXT, SideWriter
from indexer.whoosh_seam.storage import create_index, open_index
from indexer.whoosh_seam.tablefile import write_hashes
from indexer.whoosh_seam.termfile import INLINE_LIMIT, write_terms

POOL_MB = 256

log = logging.getLogger(__name__)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off while a writer fills its pool, as it was after.

    A pool holds millions of objects the collector would walk again and again (every 700
    allocations) and never free: ~10 % of an import's CPU. Reference counting still frees
    everything else.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class BulkWriter(SegmentWriter):  # type: ignore[misc]
    """SegmentWriter with the in-memory pool and bulk posting lists."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.pool = BulkPool()
        self.pool.schema = self.schema
        self.merged: list[merging.Merged] = []  # segments merged at flush (add_reader)
        self.keep_ids: set[str] = set()  # segments being written elsewhere (BackgroundMerge)

    def _commit_toc(self, segments: list[Any]) -> None:
        """SegmentWriter._commit_toc, keeping the files of the segments in `keep_ids`: Whoosh
        deletes every segment file the new table of contents does not name, and a merge in a
        process of its own is writing one."""
        from whoosh.index import TOC, clean_files

        TOC(self.schema, segments, self.generation).write(self.storage, self.indexname)
        kept = [_Named(sid) for sid in sorted(self.keep_ids)]
        clean_files(self.storage, self.indexname, self.generation, [*segments, *kept])

    def add_document(self, **fields: Any) -> None:
        """SegmentWriter.add_document with a document's terms handed to the pool per field."""
        self._check_state()
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
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
                    postings = pool.field(fieldname, field)
                    counts = counts_of(field, value)
                    if counts is not None:
                        postings.add_counts(docnum, counts, field.format.field_boost, boost)
                        if field.scorable:
                            length = sum(counts.values())
                    else:
                        scorable = field.scorable
                        for tbytes, freq, weight, vbytes in field.index(value):
                            if scorable:
                                length += freq
                            postings.add(docnum, tbytes, weight * boost, vbytes)
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

    def add_postings_to_pool(self, reader: Any, startdoc: int, docmap: Any) -> None:
        """SegmentWriter's (a merge): the segment is remembered with its documents' new numbers
        (renumbered by docmap, deleted ones -1), its lists streamed into the new segment's at
        flush (merging.merged_slabs), never held in the pool.

        Values are rebuilt from weights: pack_uint(freq) (Frequency, the text fields and
        num_part) with weight freq × field_boost, tracuu setting no document boosts, or empty
        (Existence, the id and key fields). Segments written before the inlined lists carried
        one value per posting (all values in one bytes object) merge the same: values are
        never read.
        """
        numbers = merging.new_numbers(reader.doc_count_all(), startdoc, docmap)
        self.merged.append(merging.Merged(reader.segment(), numbers))

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader()
        folder = Path(self.storage.folder)
        side = SideWriter(spool_dir=folder)  # long lists as arrays beside Whoosh's (sidefile.py)
        merged: list[merging.MergedSegment] = []
        try:
            for source in self.merged:  # in add_reader's order: their documents ascending
                merged.append(merging.MergedSegment(folder, self.storage, source))
            doccount = self.docnum
            fw = self.fieldwriter
            fw._tindex._write_hashes = partial(write_hashes, fw._tindex)
            names = set(self.pool.fields).union(*(m.fieldnames for m in merged))
            for fieldname in sorted(n for n in names if n in self.schema):
                field = self.schema[fieldname]
                fixed = field.format.fixed_value_size()
                if merged and fixed not in (0, 4):
                    raise ValueError(f"{fieldname}: values of {fixed} bytes cannot merge")
                streams: list[Iterator[merging.Piece]] = []
                postings = self.pool.fields.pop(fieldname, None)  # free each field once written
                if postings is not None and len(postings):
                    # A counted field is a TEXT field: its to_bytes is UTF-8 (str.encode, in C).
                    to_bytes = str.encode if counted(field) else _same
                    streams.append(merging.pieces_of(postings.sorted(to_bytes)))
                del postings  # its arrays, before the writing makes its own
                boost = field.format.field_boost
                streams += [m.pieces(fieldname, fixed or 0, boost) for m in merged]
                lengths = _length_bytes(pdr, fieldname, doccount) if field.scorable else None
                started = False
                for in_order in merging.merged_slabs(streams, fixed or 0):
                    if not started:  # as Whoosh: a field without postings gets no field id
                        fw.start_field(fieldname, field)
                        started = True
                    terms, offsets = write_terms(fw, in_order, lengths)
                    side.add_field(fieldname, in_order, terms, offsets)
                    del in_order
                del streams
                if started:
                    fw.finish_field()
            fw.close()
            # Before Whoosh assembles the compound file and commits: named after the segment,
            # it is part of it or, if the write dies, deleted with the rest of it.
            sidefile = self.get_segment().create_file(self.storage, SIDE_EXT)
            try:
                side.write(sidefile)
            finally:
                sidefile.close()
        finally:
            side.close()
            for opened in merged:
                opened.close()
            pdr.close()


class _Named:
    """A segment as clean_files sees it: an id."""

    def __init__(self, segment_id: str) -> None:
        self._id = segment_id

    def segment_id(self) -> str:
        return self._id


def _same(term: bytes) -> bytes:
    return term


def _length_bytes(pdr: Any, fieldname: str, doccount: int) -> np.ndarray:
    """The length byte of `fieldname` in each document, as Whoosh's length column holds it."""
    reader = pdr._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if reader is None:
        return np.zeros(doccount, dtype=np.uint8)
    if isinstance(reader, NumericColumn.Reader) and reader._fixedlen == 1 and not reader._default:
        # The column's bytes at once (a Python call per document, before): the first _count
        # documents', the others the default 0.
        out = np.zeros(doccount, dtype=np.uint8)
        n = min(reader._count, doccount)
        out[:n] = np.frombuffer(reader._dbfile.get(reader._basepos, n), dtype=np.uint8)
        return out
    # None (length byte 0) and 0 (no length column) both mean byte 0.
    lengths = np.fromiter(
        (pdr.doc_field_length(d, fieldname) or 0 for d in range(doccount)), np.int64, doccount
    )
    lb = np.searchsorted(_BYTE_LENGTHS, lengths, side="left")  # length_to_byte: a bisect_left
    lb[lengths >= _LONGEST] = 255
    return lb.astype(np.uint8)


_BYTE_LENGTHS = np.array([byte_to_length(i) for i in range(256)], dtype=np.int64)
_LONGEST = 106374  # whoosh.util.numeric.length_to_byte: this and longer → 255


class WritableIndex:
    """An index folder opened for writing (the caller holds the data directory's write lock).

    A tier's merge runs in a process of its own from the multi-process write that finds a
    tier's worth of small segments (workers.BackgroundMerge) and may span several writes: each
    commit collects the merges it finds done, close() waits for the others and commits them.
    """

    def __init__(self, folder: Path, create: bool = False, merge_tier: int | None = None) -> None:
        self.folder = folder
        # Documents of a merged segment (merging.tiered): TRACUU_MERGE_TIER or merging.TIER (0:
        # Whoosh's MERGE_SMALL alone).
        self.merge_tier = merging.tier_size() if merge_tier is None else merge_tier
        self._ix = create_index(folder) if create else open_index(folder, readonly=False)
        self._merges: list[Any] = []  # workers.BackgroundMerge, oldest first

    def doc_count(self) -> int:
        """Documents in the index, deleted ones not yet merged away included."""
        return int(self._ix.doc_count_all())

    def write(
        self,
        docs: Iterable[dict[str, Any]],
        delete_ids: Iterable[str] = (),
        procs: int = 1,
        new_ids: Container[str] = (),
    ) -> int:
        """Delete documents by id, add or replace documents (same id), commit; all or nothing.

        procs > 1 writes the new documents in that many processes (a segment each). A document
        whose id is in `new_ids` (looked up when it comes) is in no segment, the caller vouches:
        it is added without deleting by id first. A write that fails also ends the merges
        running in the background (their segments stay as they were; a later write merges).
        """
        fresh = self.doc_count() == 0
        kwargs = self._writer_args()
        if procs > 1:
            from indexer.whoosh_seam.workers import BackgroundMerge, BulkMpWriter

            writer: Any = BulkMpWriter(self._ix, procs=procs, multisegment=True, **kwargs)
            # A tier's merge starts now, in a process of its own, beside the indexing: at
            # commit it would run alone on one core (bench/SCALE.md §12, §14).
            busy = self._merging()
            idle = [s for s in writer.segments if s.segment_id() not in busy]
            early = merging.tier_group(idle, self.merge_tier)
            if early:
                try:
                    self._merges.append(BackgroundMerge(self._ix, early, writer.subargs))
                except BaseException:
                    writer.cancel()
                    raise
        else:
            writer = BulkWriter(self._ix, **kwargs)
        n = 0
        with paused_gc():
            try:
                for article_id in delete_ids:
                    writer.delete_by_term("id", article_id)
                for doc in docs:
                    # Nothing to replace (an empty index, an id new to it): no delete by id.
                    if fresh or doc["id"] in new_ids:
                        writer.add_document(**doc)
                    else:
                        writer.update_document(**doc)
                    n += 1
            except BaseException:
                writer.cancel()
                self._end_merges()
                raise
            try:
                writer.commit(mergetype=self._policy(wait=False))
            except BaseException:
                # A process that died (IndexWriteFailed): the writer's files and lock go too.
                with contextlib.suppress(Exception):
                    writer.cancel()
                self._end_merges()
                raise
        return n

    def _writer_args(self) -> dict[str, Any]:
        return {"limitmb": POOL_MB, "codec": InliningCodec(INLINE_LIMIT)}

    def _merging(self) -> set[str]:
        """Ids of the segments the background merges are merging."""
        return {sid for m in self._merges for sid in m.order}

    def _policy(self, wait: bool) -> Any:
        """The merge policy of a commit (Whoosh's `mergetype`): merging.tiered on the segments
        no background merge holds; each background merge done (or, with `wait`, every one)
        replaces its segments by the merged one. A merge that failed is logged and dropped:
        its segments stay as they are and a later write merges them."""
        tiered = merging.tiered(self.merge_tier)

        def policy(writer: Any, segments: list[Any]) -> list[Any]:
            busy = self._merging()
            out = tiered(writer, [s for s in segments if s.segment_id() not in busy])
            current = {s.segment_id(): s for s in segments}
            for merge in list(self._merges):
                sources = [current[sid] for sid in merge.order if sid in current]
                try:
                    done = merge.result(wait)
                    if done is None:  # running: its segments stay, its files too
                        writer.keep_ids.add(merge.segment_id())
                except IndexWriteFailed as exc:
                    log.error(
                        "%s: its %d segments (%d documents) stay as they are, all searchable; "
                        "a later write merges them",
                        exc.what,
                        len(merge.order),
                        merge.documents,
                    )
                    self._merges.remove(merge)
                    out += sources
                    continue
                if done is None:
                    out += sources
                    continue
                self._merges.remove(merge)
                if len(sources) == len(merge.order):
                    out.append(merge.merged(*done, current))
                else:  # never: only this index's writers commit, and none merges them
                    log.error("segments merged in the background left the index meanwhile")
                    out += sources
            return out

        return policy

    def _end_merges(self) -> None:
        for merge in self._merges:
            merge.kill()
        self._merges = []

    def close(self) -> None:
        """Wait for the background merges and commit their segments, then close."""
        try:
            if self._merges:
                running = [m for m in self._merges if m.task.is_alive()]
                if running:
                    log.info(
                        "waiting for the merge of %d documents into one segment",
                        sum(m.documents for m in running),
                    )
                writer = BulkWriter(self._ix, **self._writer_args())
                try:
                    writer.commit(mergetype=self._policy(wait=True))
                except BaseException:
                    with contextlib.suppress(Exception):
                        writer.cancel()
                    raise
        finally:
            self._end_merges()
            self._ix.close()
