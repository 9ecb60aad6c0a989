"""`tracuu ocr [--budget-minutes N] [--workers N] [--status]`: work the OCR queue.

OCRs queued attachment pages for up to the budget, then puts the text of every finished file
into the articles that link it (and re-indexes them). Exit 0 when it ran (pages that failed are
recorded with their reason, not an error), 75 when another OCR worker or a writer holds the data
directory, so cron simply runs it again next time.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from crawl.attachments import DocPaths, DocStore
from crawl.ocr import OcrSettings
from crawl.ocrwork import work
from indexer.config import Settings
from indexer.errors import IndexBusy

log = logging.getLogger(__name__)
EX_TEMPFAIL = 75


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `tracuu ocr`."""
    parser.add_argument("--budget-minutes", type=float, metavar="N",
                        help="stop starting new pages after N minutes (default: until empty)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="pages at once, one process each (default: ocr_workers, 1)")
    parser.add_argument("--dpi", type=int, metavar="N", help="render resolution (300)")
    parser.add_argument("--engine", choices=("tesserocr", "cli"), default="tesserocr",
                        help="libtesseract in-process (default) or the tesseract command")
    parser.add_argument("--status", action="store_true",
                        help="only print pending / done / failed per site")
    parser.add_argument("--json", action="store_true", help="print the status as JSON")


def status(paths: DocPaths) -> dict[str, object]:
    """Per site page counts, and the latest failures with their reasons."""
    with DocStore(paths) as docs:
        return {
            "sites": docs.queue.counts(),
            "failures": [
                {"site": s, "file": f, "page": p, "reason": r}
                for s, f, p, r in docs.queue.failures(20)
            ],
        }


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Work the queue within the budget, then deliver finished text to the index."""
    paths = DocPaths(settings.data_dir)
    if args.status:
        st = status(paths)
        if args.json:
            print(json.dumps(st, ensure_ascii=False, indent=2))
        else:
            for site, counts in sorted(st["sites"].items()):  # type: ignore[attr-defined]
                print(f"{site or '-'}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
            for f in st["failures"]:  # type: ignore[attr-defined]
                page = f" page {f['page']}" if f["page"] else ""
                print(f"  failed: {f['file']}{page}: {f['reason']}")
        return 0
    ocr = OcrSettings(
        dpi=args.dpi or settings.ocr_dpi,
        engine=args.engine,
        memory_mb=settings.ocr_memory_mb,
        timeout=settings.ocr_page_seconds,
    )
    budget = args.budget_minutes * 60 if args.budget_minutes is not None else float("inf")
    with DocStore(paths) as docs:
        archive = docs.archive
    report = work(paths.queue, archive, paths.lock, budget,
                  args.workers or settings.ocr_workers, ocr)
    print(report.summary())
    if report.busy:
        return EX_TEMPFAIL
    try:
        changed = deliver(settings)
    except IndexBusy as exc:
        print(f"tracuu: {exc}; the OCR text goes into the index on the next run", file=sys.stderr)
        return EX_TEMPFAIL
    if changed:
        print(f"ocr: {changed} articles updated with attachment text")
    return 0


def deliver(settings: Settings) -> int:
    """Hand OCR text to the stored articles (document pages read their header from it) and
    re-index them."""
    from crawl.run import crawl_db
    from crawl.sitefiles import deliver as hand_on
    from crawl.state import State
    from indexer.store import Store

    with DocStore.open(settings.data_dir) as docs:
        if not docs.queue.undelivered():
            return 0
        with Store(settings.data_dir, procs=1) as store:
            path = crawl_db(settings.data_dir)
            state = State(path) if path.exists() else None  # imported articles: no pages
            try:
                changed = hand_on(docs, state, store.db.get, store.put)
            finally:
                if state is not None:
                    state.close()
            if changed:
                store.sync()
    return changed
