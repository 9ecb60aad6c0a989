"""One crawl run: hold the data directory's lock, crawl the sites side by side, spend the OCR
budget on the queue, put finished attachment text into the articles, update the index, report.

A run killed anywhere leaves pending rows in the store that the next Store.sync() indexes, and
pages it had not recorded in crawl.sqlite are fetched again: nothing is lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from crawl import change as changes
from crawl.address import is_loopback_site, site_origins
from crawl.attachments import DocStore
from crawl.fetch import Fetcher, Policy
from crawl.habits import LinkHabits
from crawl.ocr import OcrSettings
from crawl.ocrwork import work
from crawl.reader import Reader, decode, iso
from crawl.report import MAX_LISTED, RunReport, SiteReport, write_report
from crawl.sitecrawl import SiteCrawl
from crawl.sitefiles import SiteFiles, deliver
from crawl.sites import Site
from crawl.state import State
from crawl.template import SiteTemplate
from crawl.throttle import HostGates, TokenBucket
from indexer.config import Settings
from indexer.document import Article
from indexer.layout import DataDir
from indexer.store import Store

log = logging.getLogger(__name__)

SYNC_EVERY = 100  # index what is pending every so many stored articles (long first crawls)
DECIDED_KINDS = ("article", "document", "listing", "empty", "alias", "page", "pending")


def policy_for(site: Site, **overrides: Any) -> Policy:
    """The fetch policy of a site (tests shorten back-offs through overrides)."""
    base = Policy(delay=site.delay, read_timeout=site.timeout, deadline=site.timeout,
                  retries=site.retries, max_bytes=site.max_bytes,
                  origins=site_origins(site.start_urls, site.hosts),
                  allow_loopback=is_loopback_site(urlsplit(site.start_urls[0]).hostname or ""))
    return Policy(**{**asdict(base), **overrides})


def user_agent(settings: Settings) -> str:
    """The User-Agent: the configured one, with the contact URL when there is one."""
    agent = settings.user_agent
    if settings.contact_url and settings.contact_url not in agent:
        agent = f"{agent} (+{settings.contact_url})"
    return agent


def crawl_db(data_dir: Path) -> Path:
    """Where the crawl state lives in a data directory (indexer.layout owns every path)."""
    return DataDir(Path(data_dir)).crawl_db


def reports_dir(data_dir: Path) -> Path:
    """Where the JSON run reports go."""
    return DataDir(Path(data_dir)).reports


class Indexer:
    """The store side of a run: get, put, delete, and sync now and then (thread-safe: the
    sites of a run share it; one lock serializes the store's statements)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.since_sync = 0
        self.lock = threading.RLock()

    def get(self, article_id: str) -> Article | None:
        with self.lock:
            return self.store.db.get(article_id)

    def put(self, article: Article) -> None:
        self.put_many([article])

    def put_many(self, articles: Iterable[Article]) -> None:
        with self.lock:
            n = self.store.put(articles)
            self._tick(n)

    def delete(self, article_id: str) -> None:
        with self.lock:
            self.store.delete([article_id])
            self._tick(1)

    def _tick(self, n: int) -> None:
        self.since_sync += n
        if self.since_sync >= SYNC_EVERY:
            self.sync()

    def sync(self) -> tuple[int, int]:
        with self.lock:
            self.since_sync = 0
            return self.store.sync()


def reextract(state: State, index: Indexer, docs: DocStore, sites: Iterable[Site],
              clock: Callable[[], float]) -> list[SiteReport]:
    """Run extraction again over the stored pages of the sites; no request is made (files are
    read from what earlier runs stored)."""
    reports = []
    for site in sites:
        template, habits = state.memory(site.name)
        reader = Reader(site, SiteTemplate.from_json(template), LinkHabits.from_json(habits))
        reader.label = site.label or state.name_of(site.name) or site.name
        report, now = SiteReport(site.name, name=reader.label), clock()
        files = SiteFiles(site, state, docs, index, report, clock)
        stored = [(st, decode(raw, st.content_type)) for st, raw in state.stored_pages(
            [site.name]) if st.kind in DECIDED_KINDS]
        for st, html in stored:  # a template learned before this version, or never stored
            reader.observe(st.url, html)
        for st, html in stored:
            try:
                seen, _ = reader.read(html, st.url, now)
            except Exception:
                log.exception("%s: extraction failed on %s", site.name, st.url)
                report.bad_pages += 1
                continue
            ch = changes.decide(st, seen)
            for article_id in ch.delete:
                index.delete(article_id)
            if ch.put is not None:
                index.put(files.attach(ch.put, document=ch.kind == "document"))
            report.saw(ch.kind)
            report.new += ch.outcome == changes.NEW
            report.changed += ch.outcome == changes.CHANGED
            report.removed += ch.outcome == changes.REMOVED
            state.set_article(st.url, ch.kind, ch.article_id, ch.content_hash, seen.canonical)
        state.remember(site.name, reader.template.to_json(), reader.habits.to_json())
        report.indexed = state.indexed(site.name)
        report.settle_state()
        reports.append(report)
    return reports


def crawl_sites(settings: Settings, sites: list[Site], state: State, index: Indexer,
                docs: DocStore, clock: Callable[[], float], refresh: bool = False,
                transport: httpx.BaseTransport | None = None,
                policy_overrides: dict[str, Any] | None = None) -> list[SiteReport]:
    """Crawl the sites side by side: `crawl_concurrency` at a time, each in its own thread with
    its own Fetcher; the Fetchers share the host gates (one request in flight per host) and the
    run's rate cap (`crawl_rate` requests per second)."""
    gates = HostGates()
    bucket = TokenBucket(settings.crawl_rate) if settings.crawl_rate > 0 else None
    stop = threading.Event()

    def one(site: Site) -> SiteReport:
        try:
            with Fetcher(user_agent(settings), transport=transport, gates=gates,
                         bucket=bucket) as fetcher:
                policy = policy_for(site, **(policy_overrides or {}))
                return SiteCrawl(site, fetcher, state, index, clock, policy, refresh, docs,
                                 settings.attachment_max_bytes, stop).run()
        except Exception as exc:  # a site that cannot even start fails alone
            log.exception("crawl of %s failed", site.name)
            report = SiteReport(site.name, failed=f"{type(exc).__name__}: {exc}")
            report.settle_state()
            return report

    workers = max(1, min(settings.crawl_concurrency, len(sites)))
    with ThreadPoolExecutor(workers, thread_name_prefix="crawl") as pool:
        futures = [pool.submit(one, site) for site in sites]
        try:
            return [f.result() for f in futures]
        except KeyboardInterrupt:  # Ctrl-C: the sites stop after their request in flight
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def ocr_pass(settings: Settings, docs: DocStore) -> dict[str, float]:
    """Spend the run's OCR budget on the queue (`ocr_budget_minutes`); what it did."""
    if settings.ocr_budget_minutes <= 0 or not docs.queue.pending():
        return {}
    ocr = OcrSettings(dpi=settings.ocr_dpi, memory_mb=settings.ocr_memory_mb,
                      timeout=settings.ocr_page_seconds)
    done = work(docs.paths.queue, docs.archive, docs.paths.lock,
                settings.ocr_budget_minutes * 60, settings.ocr_workers, ocr)
    log.info("%s", done.summary())
    return {"done": done.done, "failed": done.failed, "left": done.left,
            "seconds": round(done.seconds, 1), "busy": int(done.busy)}


def crawl(
    settings: Settings, sites: list[Site], *, reextract_only: bool = False, refresh: bool = False,
    clock: Callable[[], float] = time.time, transport: httpx.BaseTransport | None = None,
    policy_overrides: dict[str, Any] | None = None,
) -> RunReport:
    """One run over the sites; raises IndexBusy (exit 75) when another run holds the lock."""
    started = time.monotonic()
    report = RunReport(started=iso(clock()), mode="reextract" if reextract_only else "crawl")
    data_dir = Path(settings.data_dir)
    with Store(
        data_dir, procs=settings.index_procs, multiprocess_min=settings.index_multiprocess_min
    ) as store:
        index = Indexer(store)
        index.sync()  # a killed run's pending articles go in first
        with State(crawl_db(data_dir)) as state, DocStore.open(data_dir) as docs:
            if reextract_only:
                report.sites = reextract(state, index, docs, sites, clock)
            else:
                report.sites = crawl_sites(settings, sites, state, index, docs, clock, refresh,
                                           transport, policy_overrides)
                report.ocr = ocr_pass(settings, docs)
            report.delivered = deliver(docs, state, index.get, index.put_many)
            counts, failures = docs.queue.counts(), docs.queue.failures(200)
            for site_report in report.sites:
                site_report.ocr = {k: n for k, n in counts.get(site_report.site, {}).items()
                                   if k != "text"}
                site_report.ocr_failures = [
                    f"{file}{f' page {page}' if page else ''}: {reason}"
                    for site, file, page, reason in failures if site == site_report.site
                ][:MAX_LISTED]
        report.indexed, report.removed_from_index = index.sync()
    report.finished = iso(clock())
    report.seconds = round(time.monotonic() - started, 2)
    report.report_path = str(write_report(reports_dir(data_dir), report))
    return report
