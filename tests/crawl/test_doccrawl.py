"""The document portal crawled (issue 10): attachments fetched and read in the crawl, scanned
pages queued and OCR'd within the crawl's budget, each document's header in its article, files
stored once, counted in the report, and asked with conditional GETs on the next run."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from crawl.report import RunReport
from crawl.run import crawl
from crawl.sites import DAY, site_from_table
from indexer.config import Settings
from indexer.document import Article
from indexer.officialdoc import number_key
from indexer.text import fold, normalize
from tests.crawl.test_run import FAST, stored
from tests.fixtures.docportal.server import DOCS, DocPortal

SCAN_PAGES = 31  # pages of the six real scans (truth.json: files whose text is OCR)


@dataclass
class Runs:
    """Two crawls of the document portal, eight days apart (`tracuu ocr` between them), and
    what each left."""

    settings: Settings
    first: RunReport
    second: RunReport
    after_first: dict[str, Article]
    after_ocr: dict[str, Article]
    after_second: dict[str, Article]
    first_log: list[Any]
    second_log: list[Any]
    truth: dict[str, Any]
    portal: DocPortal
    ocr_out: str = ""
    status: str = ""


def words(text: str) -> str:
    """Folded words, space-separated, padded (as the fixture's own tests compare phrases)."""
    return " " + " ".join(re.findall(r"[^\W_]+", fold(normalize(text)).lower())) + " "


def tracuu(data: Path, *args: str) -> str:
    """`tracuu --data-dir DATA ARGS` in a process of its own; its output."""
    done = subprocess.run([sys.executable, "-m", "indexer.cli", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=300, check=True)
    return done.stdout


def run_twice(portal: DocPortal, data: Path, ocr_minutes: float, ocr_between: bool) -> Runs:
    """Crawl; then `tracuu ocr` for the same budget (ocr_between); then crawl eight days
    later without OCR."""
    settings = replace(Settings(), data_dir=data, user_agent="tracuu/0.1", crawl_delay=0.0,
                       crawl_rate=0.0, ocr_budget_minutes=ocr_minutes, ocr_workers=1)
    sites = [site_from_table(t, settings) for t in portal.site_tables()]
    portal.clear_log()
    first = crawl(settings, sites, policy_overrides=FAST)
    after_first, first_log = stored(settings), portal.log()
    ocr_out = status = ""
    if ocr_between:
        ocr_out = tracuu(data, "ocr", "--budget-minutes", str(ocr_minutes))
        status = tracuu(data, "ocr", "--status")
    after_ocr = stored(settings)
    portal.clear_log()
    # Eight days on: the pages and their files are due for a conditional GET.
    second = crawl(replace(settings, ocr_budget_minutes=0), sites,
                   clock=lambda: time.time() + 8 * DAY, policy_overrides=FAST)
    return Runs(settings, first, second, after_first, after_ocr, stored(settings), first_log,
                portal.log(), portal.truth(), portal, ocr_out, status)


@pytest.fixture(scope="module")
def runs(docportal: DocPortal, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    # A budget that starts one OCR page (the first page claimed is finished, then the budget
    # is spent): one page in the crawl, one by `tracuu ocr`, two short scan pages in all.
    return run_twice(docportal, tmp_path_factory.mktemp("doccrawl") / "data", 0.01, True)


def article(runs: Runs, doc: dict[str, Any], second: bool = False) -> Article:
    arts = runs.after_second if second else runs.after_first
    return arts[runs.portal.url(doc["site"], doc["path"])]


def is_scan(runs: Runs, file: str) -> bool:
    return runs.truth["files"][file]["text"] != "text layer"


def test_every_document_page_has_its_attachments(runs: Runs) -> None:
    truth = runs.truth
    for doc in truth["documents"]:
        art = article(runs, doc)
        assert art.site == doc["site"]  # the name sites.toml gives
        want = {unquote(a["url"]) for a in doc["attachments"]}
        got = {"/" + unquote(a.url).split("/", 3)[3] for a in art.attachments}
        assert got == want, doc["path"]
        links = {unquote(a["url"]): a for a in doc["attachments"]}  # one file, two links
        for att in art.attachments:
            link = links["/" + unquote(att.url).split("/", 3)[3]]
            data = (DOCS / link["file"]).read_bytes()
            assert att.sha256 == hashlib.sha256(data).hexdigest()
            assert att.kind == truth["files"][link["file"]]["kind"]
            if link["style"] == "handler":  # no extension: Content-Disposition names it
                assert att.name == link["name"]
        # The page has no text of its own: no sidebar ("VĂN BẢN MỚI"), no "TIN ĐÃ ĐƯA" list.
        assert "VĂN BẢN MỚI" not in art.body and "TIN ĐÃ ĐƯA" not in art.body
        assert len(art.body) <= len(art.title) + 40, art.body
    news = {runs.portal.url(n["site"], n["path"]) for n in truth["news"]}
    assert news <= set(runs.after_first)
    assert len(runs.after_first) == len(truth["documents"]) + len(truth["news"])


def test_text_layers_are_read_in_the_crawl(runs: Runs) -> None:
    for doc in runs.truth["documents"]:
        text = words("\n".join(a.text for a in article(runs, doc).attachments))
        for phrase in doc["phrases"]:
            if not is_scan(runs, phrase["file"]):
                assert f" {phrase['folded']} " in text, (doc["path"], phrase["phrase"])


def test_the_document_header_fills_what_the_page_lacks(runs: Runs) -> None:
    readable = 0
    for doc in runs.truth["documents"]:
        art = article(runs, doc)
        scans = all(is_scan(runs, a["file"]) for a in doc["attachments"])
        if doc["number_in"]:  # the page's title or the attachment's header says it
            assert art.doc_number and number_key(art.doc_number) == number_key(doc["number"])
            assert art.doc_type == doc["doc_type"], doc["path"]
        else:
            assert art.doc_number is None
        if "attachment" in doc["number_in"] and not scans:
            readable += 1
            # The issuing body as the header names it (the truth may add its province).
            assert art.issuer and doc["issuer"].startswith(art.issuer), doc["path"]
        # The page's date cell wins; without one, the date the title or the header gives;
        # never a date of the "TIN ĐÃ ĐƯA" list under the page.
        if doc["date_cell"]:
            assert art.published and art.published[:10] == doc["posted"][:10]
        elif "page" in doc["signed_in"] or ("attachment" in doc["signed_in"] and not scans):
            assert art.published == doc["signed"], doc["path"]
        elif scans:
            assert art.published in (None, doc["signed"]), doc["path"]
    assert readable >= 20


def test_each_file_is_stored_once(runs: Runs) -> None:
    files = runs.settings.data_dir / "files"
    stored_files = [p for p in files.rglob("*") if p.is_file()]
    linked = {f for doc in runs.truth["documents"] for f in
              (a["file"] for a in doc["attachments"])}
    assert len(stored_files) == len(linked)
    digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in stored_files}
    assert digests == {hashlib.sha256((DOCS / f).read_bytes()).hexdigest() for f in linked}
    # Fetched once per site that links it, however many pages link it.
    fetched = Counter((r.site, r.path) for r in runs.first_log if r.path.startswith(
        ("/img/", "/Pages/DownloadFile")) and not r.path.endswith(".png"))
    assert set(fetched.values()) == {1}


def test_the_report_counts_files_and_ocr(runs: Runs) -> None:
    truth = runs.truth
    sites = {s.site: s for s in runs.first.sites}
    fetched = 0
    for key in ("krongno", "cujut"):
        distinct = {unquote(a["url"]) for d in truth["documents"] if d["site"] == key
                    for a in d["attachments"]}
        assert sites[key].files["fetched"] == len(distinct), sites[key].files
        assert set(sites[key].files) <= {"fetched", "known"}, sites[key].files
        fetched += len(distinct)
    ocr = {k: sum(s.ocr.get(k, 0) for s in runs.first.sites) for k in ("pending", "done",
                                                                       "failed")}
    assert ocr == {"pending": SCAN_PAGES - 1, "done": 1, "failed": 0}
    assert runs.first.ocr["done"] == 1 and runs.first.ocr["left"] == SCAN_PAGES - 1
    summary = runs.first.summary()
    assert f"files {fetched} fetched, 0 unchanged, 0 too large, 0 failed" in summary
    assert f"OCR 1 pages done, 0 failed, {SCAN_PAGES - 1} left" in summary


def scan_pages_read(runs: Runs, arts: dict[str, Article]) -> dict[str, int]:
    """Pages of each scan that have text, by file hash, as the stored articles hold them."""
    read: dict[str, int] = {}
    for doc in runs.truth["documents"]:
        art = arts[runs.portal.url(doc["site"], doc["path"])]
        for att in art.attachments:
            if att.kind == "pdf" and att.status in ("ocr-pending", ""):
                scan = is_scan(runs, next(a["file"] for a in doc["attachments"]
                                          if unquote(att.url).endswith(unquote(a["url"]))))
                if scan:
                    read[att.sha256] = sum(1 for p in att.pages if p)
    return read


def test_scans_wait_for_ocr_and_get_their_text(runs: Runs) -> None:
    """Scanned pages are queued, not read inline: the crawl's OCR budget covered one page,
    `tracuu ocr` one more; each reached the articles linking its file, and a first page's
    header filled what the page lacks (the issuing body)."""
    after_crawl = scan_pages_read(runs, runs.after_first)
    after_ocr = scan_pages_read(runs, runs.after_ocr)
    assert len(after_crawl) == 6 and sum(after_crawl.values()) == 1
    assert sum(after_ocr.values()) == 2
    assert "ocr: 1 pages done, 0 failed, 29 left" in runs.ocr_out
    assert "krongno: " in runs.status and "pending" in runs.status
    for doc in runs.truth["documents"]:
        art = article(runs, doc)
        first_pages = [a for a in art.attachments if a.pages and a.pages[0]
                       and a.sha256 in after_crawl]
        if first_pages:  # its scan's first page was OCR'd in the crawl
            assert art.issuer and fold(doc["issuer"]).startswith(fold(art.issuer)), art.issuer
    with sqlite3.connect(runs.settings.data_dir / "ocr.sqlite") as db:
        states = dict(db.execute("SELECT state, COUNT(*) FROM pages WHERE state != 'text' "
                                 "GROUP BY state").fetchall())
        attempts = db.execute("SELECT MAX(attempts) FROM pages").fetchone()[0]
    assert states == {"done": 2, "pending": SCAN_PAGES - 2}
    assert attempts == 1  # no page OCR'd twice


def test_second_run_asks_files_with_conditional_gets(runs: Runs) -> None:
    files = [r for r in runs.second_log if r.path.startswith(("/img/", "/Pages/DownloadFile"))
             and not r.path.endswith(".png")]
    first = [r for r in runs.first_log if r.path.startswith(("/img/", "/Pages/DownloadFile"))
             and not r.path.endswith(".png")]
    assert files and {r.status for r in files} == {304}
    assert sorted(r.path for r in files) == sorted(r.path for r in first)
    assert sum(s.files.get("unchanged", 0) for s in runs.second.sites) == len(first)
    assert sum(s.files.get("fetched", 0) for s in runs.second.sites) == 0
    assert runs.second.total("new") == runs.second.total("changed") == 0
    assert runs.second.ocr == {}  # this run's budget was 0: `tracuu ocr` does the work too
    assert runs.after_second == runs.after_ocr  # nothing read again, the OCR'd text kept


@pytest.mark.slow
def test_full_ocr_run_reads_every_scan(docportal: DocPortal, tmp_path: Path) -> None:
    """With budget enough, one crawl OCRs every scanned page: their phrases are found and
    their headers fill what the pages lack."""
    runs = run_twice(docportal, tmp_path / "data", 30.0, False)
    assert runs.first.ocr["done"] == SCAN_PAGES and runs.first.ocr["left"] == 0
    linking_scans = [d for d in runs.truth["documents"]
                     if any(is_scan(runs, a["file"]) for a in d["attachments"])]
    assert runs.first.delivered == len(linking_scans) == 7
    for doc in runs.truth["documents"]:
        art = article(runs, doc)
        text = words("\n".join(a.text for a in art.attachments))
        for phrase in doc["phrases"]:
            assert f" {phrase['folded']} " in text, (doc["path"], phrase["phrase"])
        assert all(a.status == "" for a in art.attachments), doc["path"]
        if "attachment" in doc["signed_in"] and not doc["date_cell"]:
            assert art.published == doc["signed"], doc["path"]
        if doc["issuer"]:  # from the header, OCR'd for the scans (OCR may miss a tone)
            assert art.issuer and fold(doc["issuer"]).startswith(fold(art.issuer)), art.issuer
    with sqlite3.connect(runs.settings.data_dir / "ocr.sqlite") as db:
        assert db.execute("SELECT MAX(attempts) FROM pages").fetchone()[0] == 1
