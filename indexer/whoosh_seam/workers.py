"""The worker processes of a multi-process import, supervised: they die with their parent, and a
worker that dies makes the write fail (IndexWriteFailed) instead of committing without its part.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import queue
import signal
import sys
from pickle import dump
from typing import Any

from whoosh import multiproc as whoosh_multiproc
from whoosh.reading import SegmentReader
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from indexer.errors import IndexWriteFailed
from indexer.whoosh_seam.pool import BulkPool
from indexer.whoosh_seam.writer import BulkWriter

PR_SET_PDEATHSIG = 1  # linux/prctl.h
QUEUE_POLL = 0.5  # seconds between checks that the worker processes are still alive
# Niceness the indexing processes add to their own: a tier's merge (BackgroundMerge) and the
# process feeding them go first, and so does a search server on the same machine during a
# nightly import. The merge of a tier's last group is what an import waits for at its end
# (one process, ~260 CPU s at 450,000 articles): on a core of its own it is done sooner, and
# the indexing beside it takes the other core (bench/SCALE.md §14).
INDEXING_NICE = 10


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies (and die now if it already has).

    A worker outliving a killed import would wait on its job queue for ever, holding the
    inherited write locks: every later import would find the data directory busy.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


class _BulkSubWriterTask(whoosh_multiproc.SubWriterTask):  # type: ignore[misc]
    """MpWriter's worker process, writing its own segment with a BulkWriter."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.parent_pid = os.getpid()

    def run(self) -> None:
        # SubWriterTask.run for the multisegment case, with BulkWriter instead of the module's
        # SegmentWriter (rebinding that name would patch Whoosh for the whole process).
        _die_with_parent(self.parent_pid)
        with contextlib.suppress(OSError):
            os.nice(INDEXING_NICE)
        gc.disable()  # as paused_gc() in the parent: a process that only fills a pool and exits
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


class _MergeTask(multiprocessing.Process):
    """A process merging segments into a new one (BulkWriter.add_reader, then its flush) while
    the workers index: it reports the new segment's id when it starts (its files must outlive
    the commits made meanwhile), then hands back the segment and each merged one's new numbers."""

    def __init__(self, storage: Any, indexname: str, segments: list[Any], kwargs: Any) -> None:
        super().__init__()
        self.storage = storage
        self.indexname = indexname
        self.segments = segments  # as they were when the merge started (their deletions then)
        self.kwargs = kwargs
        self.started: Any = multiprocessing.Queue()
        self.resultqueue: Any = multiprocessing.Queue()
        self.parent_pid = os.getpid()

    def run(self) -> None:
        _die_with_parent(self.parent_pid)
        gc.disable()
        ix = self.storage.open_index(self.indexname)
        writer = BulkWriter(ix, _lk=False, **self.kwargs)
        self.started.put(writer.newsegment.segment_id(), timeout=60)
        for segment in self.segments:
            reader = SegmentReader(self.storage, writer.schema, segment)
            try:
                writer.add_reader(reader)
            finally:
                reader.close()
        numbers = [m.numbers for m in writer.merged]
        segment = writer._finalize_segment()
        self.resultqueue.put((segment, numbers), timeout=60)


class BackgroundMerge:
    """A tier's merge in a process of its own (_MergeTask), started when a multi-process writer
    opens, beside the indexing; collected by the first commit that finds it done, this
    writer's or a later one's (WritableIndex._policy), or waited for when the index closes.
    At 450,000 articles a tier's merge (~260 CPU s) outlasts a chunk's indexing (~90 s):
    collected at the commit of the chunk it started with, it ran on alone on one core while
    the other idled (bench/SCALE.md §14).

    Until it is collected its segments stay in the index as they are; deletions made in them
    meanwhile (re-imported articles) are carried over to the merged segment through each
    document's new number. Its files carry the merged segment's id, which the commits made
    meanwhile must not clean away (BulkWriter.keep_ids).
    """

    def __init__(self, ix: Any, segments: list[Any], kwargs: Any) -> None:
        self.order = [s.segment_id() for s in segments]
        self.documents = sum(s.doc_count_all() for s in segments)
        self.deleted = {s.segment_id(): set(s.deleted_docs()) for s in segments}
        self.task = _MergeTask(ix.storage, ix.indexname, segments, kwargs)
        self.task.start()
        self._segment_id: str | None = None

    def segment_id(self) -> str:
        """The merged segment's id (its files, being written)."""
        if self._segment_id is None:
            self._segment_id = self._get(self.task.started, True, "segment id")
        return self._segment_id

    def result(self, wait: bool) -> tuple[Any, list[Any]] | None:
        """(segment, new numbers of each merged segment's documents), or None while it runs
        and `wait` is false; IndexWriteFailed when the process died or ended without it."""
        got: tuple[Any, list[Any]] | None = self._get(self.task.resultqueue, wait, "segment")
        if got is not None:
            self.task.join()
        return got

    def _get(self, q: Any, wait: bool, what: str) -> Any:
        task = self.task
        while True:
            try:
                return q.get(timeout=QUEUE_POLL) if wait else q.get_nowait()
            except queue.Empty:
                if task.exitcode is None:
                    if wait:
                        continue
                    return None
                if task.exitcode != 0:
                    code = task.exitcode
                    how = f"signal {-code}" if code < 0 else f"exit code {code}"
                    msg = f"the merging process (pid {task.pid}) died ({how})"
                    raise IndexWriteFailed(msg) from None
                try:  # put just before the process exited
                    return q.get(timeout=QUEUE_POLL)
                except queue.Empty:
                    raise IndexWriteFailed(
                        f"the merging process ended without handing its {what}"
                    ) from None

    def merged(self, segment: Any, numbers: list[Any], current: dict[str, Any]) -> Any:
        """The merged segment with the deletions made in its sources since the merge started
        (`current`: the committing writer's segments by id), renumbered."""
        for sid, new in zip(self.order, numbers, strict=True):
            for doc in sorted(set(current[sid].deleted_docs()) - self.deleted[sid]):
                if new[doc] >= 0:
                    segment.delete_document(int(new[doc]))
        return segment

    def kill(self) -> None:
        """End the merging process (a failed write; the index closed without waiting)."""
        if self.task.is_alive():
            self.task.kill()
        self.task.join()


class BulkMpWriter(whoosh_multiproc.MpWriter):  # type: ignore[misc]
    """Whoosh's MpWriter (one segment per worker process) with BulkWriter in the workers.

    Supervised, unlike Whoosh's: a worker that dies (the OOM killer, a SIGKILL) fails the write
    with IndexWriteFailed instead of committing without its documents, a full job queue is
    never waited on for ever, and cancel() ends the workers.

    A tier's merge runs in a process of its own (BackgroundMerge, started by WritableIndex
    when the writer opens). Other merges (MERGE_SMALL, or a tier's when none was started)
    happen at commit in the parent, into a segment of its own streamed as BulkWriter's flush
    does, while the workers write theirs. Whoosh's own merge asserts every value is bytes and
    fails on the empty values of this index's Existence fields (ids, keys).
    """

    segments: list[Any]  # the index's segments when the writer opened (Whoosh's)

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.pool = BulkPool()
        self.pool.schema = self.schema
        self.merged: list[Any] = []  # segments merged at flush (BulkWriter.add_postings_to_pool)
        self.keep_ids: set[str] = set()  # segments being written elsewhere (BulkWriter's)

    add_postings_to_pool = BulkWriter.add_postings_to_pool
    _flush_segment = BulkWriter._flush_segment
    _commit_toc = BulkWriter._commit_toc

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

    def _check_workers(self) -> None:
        """Raise IndexWriteFailed when a worker process has died before handing its segment."""
        for task in self.tasks:
            code = task.exitcode
            if code is not None and code != 0:
                how = f"signal {-code}" if code < 0 else f"exit code {code}"
                raise IndexWriteFailed(f"an indexing process (pid {task.pid}) died ({how})")

    def _put_job(self, job: Any) -> None:
        while True:
            try:
                self.jobqueue.put(job, timeout=QUEUE_POLL)
                return
            except queue.Full:
                self._check_workers()

    def _enqueue(self) -> None:
        # MpWriter._enqueue, with a job queue put that notices dead workers.
        docbuffer: list[Any] = self.docbuffer
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in docbuffer:
                dump(item, f, 2)
        self._check_workers()
        if len(self.tasks) < self.procs:
            self._new_task()
        self._put_job((filename, len(docbuffer)))
        self.docbuffer: list[Any] = []

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        # MpWriter._commit for the multisegment case; every worker must hand its segment.
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put_job(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        # The merge streams the merged segments' lists into this process's segment at its
        # flush: done now, while the workers write theirs (listed after them, as Whoosh does).
        own = self._finalize_segment() if self._added else None
        results: list[Any] = []
        while len(results) < len(self.tasks):
            try:
                results.append(self.resultqueue.get(timeout=QUEUE_POLL))
            except queue.Empty:
                self._check_workers()
                if all(task.exitcode == 0 for task in self.tasks):
                    try:  # a segment put just before its worker exited
                        results.append(self.resultqueue.get(timeout=QUEUE_POLL))
                    except queue.Empty:
                        raise IndexWriteFailed(
                            "an indexing process ended without handing its segment"
                        ) from None
        for task in self.tasks:
            task.join()
        self._check_workers()
        finalsegments += [segment for _, _, segment in results]
        if own is not None:
            finalsegments.append(own)
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def cancel(self) -> None:
        """Stop the workers (they may be waiting on the job queue), then drop the segment."""
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.kill()
                task.join()
        finally:
            SegmentWriter.cancel(self)
