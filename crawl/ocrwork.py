"""Working the OCR queue: N pages at a time, each in its own limited child, within a time budget.

One worker per data directory at a time (an flock on `<data-dir>/ocr.lock`): a second one finds
the lock taken and returns at once, as a crawl does when `tracuu ocr` is already running. The
worker first puts pages a killed predecessor left `running` back in the queue, then claims pages
until the budget is spent (pages already started are finished, each bounded by the OCR time
limit) or the queue is empty.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from crawl.archive import Archive
from crawl.ocr import DEFAULT_OCR, OcrFailed, OcrSettings, ocr_page
from crawl.ocrqueue import FileQueue

log = logging.getLogger(__name__)


@dataclass
class WorkReport:
    """What one pass over the queue did."""

    done: int = 0
    failed: int = 0
    left: int = 0
    seconds: float = 0.0
    recovered: int = 0  # pages a killed worker had left running
    busy: bool = False  # another worker holds the lock: nothing was done

    def summary(self) -> str:
        """One line for a terminal or a log."""
        if self.busy:
            return "ocr: another OCR worker is running on this data directory; nothing done"
        return (f"ocr: {self.done} pages done, {self.failed} failed, {self.left} left, "
                f"{self.seconds:.0f} s")


@contextmanager
def ocr_lock(path: Path) -> Iterator[bool]:
    """Hold the OCR lock if it is free; yields whether it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def work(queue_path: Path, archive: Archive, lock_path: Path, budget_seconds: float,
         workers: int = 1, settings: OcrSettings = DEFAULT_OCR) -> WorkReport:
    """OCR queued pages for up to budget_seconds with `workers` pages at a time."""
    report = WorkReport()
    start = time.monotonic()
    deadline = start + max(0.0, budget_seconds)
    with ocr_lock(lock_path) as held:
        if not held:
            report.busy = True
            return report
        with FileQueue(queue_path) as queue:
            report.recovered = queue.recover()
            if report.recovered:
                log.info("%d pages left running by a stopped worker are queued again",
                         report.recovered)
            db_lock = threading.Lock()

            def one_worker() -> None:
                while time.monotonic() < deadline:
                    with db_lock:
                        task = queue.claim()
                    if task is None:
                        return
                    t0 = time.monotonic()
                    try:
                        text = ocr_page(archive.path(task.stored), task.page, settings)
                    except (OcrFailed, ValueError) as exc:
                        reason = getattr(exc, "reason", str(exc))
                        with db_lock:
                            queue.fail(task, reason, time.monotonic() - t0)
                            report.failed += 1
                        log.warning("OCR failed: %s page %d: %s", task.stored, task.page + 1,
                                    reason)
                        continue
                    with db_lock:
                        queue.finish(task, text, time.monotonic() - t0)
                        report.done += 1
                    log.info("OCR %s page %d: %d characters in %.1f s", task.stored,
                             task.page + 1, len(text), time.monotonic() - t0)

            with ThreadPoolExecutor(max(1, workers)) as pool:
                for f in [pool.submit(one_worker) for _ in range(max(1, workers))]:
                    f.result()
            report.left = sum(c.get("pending", 0) for c in queue.counts().values())
    report.seconds = time.monotonic() - start
    return report
