"""Writing an index: a segment writer that inverts documents in memory, in one or more processes.

Whoosh's SegmentWriter sends every posting through an external sort (a pickle.dump and a
pickle.load each when the pool spills) and then through the codec one posting at a time, with a
field-length lookup per posting. BulkWriter appends postings to per-term arrays as documents
come (already in docnum order) and writes each term's list in blocks. Everything else — stored
fields, length columns, deletions, merges, the table of contents — is Whoosh's SegmentWriter.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeAlias

from whoosh import multiproc as whoosh_multiproc
from whoosh.writing import SegmentWriter

from indexer.whoosh_seam.codec import InliningCodec
from indexer.whoosh_seam.storage import create_index, open_index

Postings: TypeAlias = "tuple[array[int], array[float], bytearray]"
INLINE_LIMIT = 4  # posting lists of up to this many documents live in the term table
POOL_MB = 256


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
                fw.start_field(fieldname, field)
                terms = self.pool.fields[fieldname]
                for tbytes in sorted(terms):
                    ids, weights, values = terms[tbytes]
                    fw.start_term(tbytes)
                    fw._postwriter.add_many(ids, weights, bytes(values), lengths)
                    fw.finish_term()
                fw.finish_field()
            fw.close()
        finally:
            pdr.close()


class _BulkSubWriterTask(whoosh_multiproc.SubWriterTask):  # type: ignore[misc]
    """MpWriter's worker process, writing its own segment with a BulkWriter."""

    def run(self) -> None:
        # SubWriterTask.run for the multisegment case, with BulkWriter instead of the module's
        # SegmentWriter (rebinding that name would patch Whoosh for the whole process).
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = BulkWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        fieldnames = writer.pool.fieldnames  # before the flush empties the pool
        segment = writer._finalize_segment()
        self.resultqueue.put((None, fieldnames, segment), timeout=5)


class _BulkMpWriter(whoosh_multiproc.MpWriter):  # type: ignore[misc]
    """Whoosh's MpWriter (one segment per worker process) with BulkWriter in the workers."""

    def _new_task(self) -> Any:
        task = _BulkSubWriterTask(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        self.tasks.append(task)
        task.start()
        return task


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
            writer = _BulkMpWriter(self._ix, procs=procs, multisegment=True, **kwargs)
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
