"""The document portal crawled for real into a data directory, its scans' OCR text included.

`crawled_archive(portal, data, real_ocr=False)` crawls both sites of the fixture portal
(tests/fixtures/docportal) with crawl.run.crawl. Scanned pages are queued by the crawl as in
production; then either Tesseract reads them (`real_ocr`, about two minutes: the slow tests) or
the queue's pages are finished with the text the repository's own OCR made of those very pages
(stored beside the fixture's truth by make_truth.py --ocr), and `tracuu ocr`'s delivery step hands
the text to the articles and the index either way.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace
from pathlib import Path

from crawl.ocrcli import deliver
from crawl.ocrqueue import FileQueue
from crawl.run import crawl
from crawl.sites import site_from_table
from indexer.config import Settings
from indexer.layout import DataDir
from tests.crawl.test_run import FAST
from tests.fixtures.docportal.make_truth import PAGE_BREAK, TRUTH
from tests.fixtures.docportal.server import DOCS, DocPortal


def stored_ocr_pages(truth: dict[str, object]) -> dict[str, list[str]]:
    """SHA-256 of each scan → its pages as the repository's OCR read them."""
    files = truth["files"]
    assert isinstance(files, dict)
    out = {}
    for file, info in files.items():
        if info["text"] != "text layer":
            sha = hashlib.sha256((DOCS / file).read_bytes()).hexdigest()
            text = (TRUTH.parent / info["text"]).read_text(encoding="utf-8")
            out[sha] = text.removesuffix("\n").split(PAGE_BREAK)
    return out


def crawled_archive(portal: DocPortal, data: Path, real_ocr: bool = False) -> Settings:
    """A data directory holding both sites of the portal crawled, OCR text delivered."""
    settings = replace(Settings(), data_dir=data, user_agent="tracuu/0.1", crawl_delay=0.0,
                       crawl_rate=0.0, ocr_budget_minutes=30.0 if real_ocr else 0.0,
                       ocr_workers=1)
    sites = [site_from_table(t, settings) for t in portal.site_tables()]
    crawl(settings, sites, policy_overrides=FAST)
    if not real_ocr:
        pages = stored_ocr_pages(portal.truth())
        with FileQueue(DataDir(data).ocr_queue) as queue:
            while (task := queue.claim()) is not None:
                queue.finish(task, pages[task.sha256][task.page], 0.0)
    deliver(settings)
    time.sleep(0.01)
    return settings
