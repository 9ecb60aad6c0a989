"""One crawl run: hold the data directory's lock, crawl each site, update the index, report.

A run killed anywhere leaves pending rows in the store that the next Store.sync() indexes, and
pages it had not recorded in crawl.sqlite are fetched again: nothing is lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from crawl import change as changes
from crawl.address import is_loopback_site, site_origins
from crawl.fetch import Fetcher, Policy
from crawl.habits import LinkHabits
from crawl.reader import Reader, decode, iso
from crawl.report import RunReport, SiteReport, write_report
from crawl.sitecrawl import SiteCrawl
from crawl.sites import Site
from crawl.state import State
from crawl.template import SiteTemplate
from indexer.config import Settings
from indexer.document import Article
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


# The crawl's paths in a data directory, in one place (indexer.layout will own them).
def crawl_db(data_dir: Path) -> Path:
    """Where the crawl state lives in a data directory."""
    return data_dir / "crawl.sqlite"


def reports_dir(data_dir: Path) -> Path:
    """Where the JSON run reports go."""
    return data_dir / "reports"


class Indexer:
    """The store side of a run: put, delete, and sync now and then."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.since_sync = 0

    def put(self, article: Article) -> None:
        self.store.put([article])
        self._tick()

    def delete(self, article_id: str) -> None:
        self.store.delete([article_id])
        self._tick()

    def _tick(self) -> None:
        self.since_sync += 1
        if self.since_sync >= SYNC_EVERY:
            self.sync()

    def sync(self) -> tuple[int, int]:
        self.since_sync = 0
        return self.store.sync()


def reextract(state: State, index: Indexer, sites: Iterable[Site], clock: Callable[[], float]
              ) -> list[SiteReport]:
    """Run extraction again over the stored pages of the sites; no request is made."""
    reports = []
    for site in sites:
        template, habits = state.memory(site.name)
        reader = Reader(site, SiteTemplate.from_json(template), LinkHabits.from_json(habits))
        report, now = SiteReport(site.name), clock()
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
                index.put(ch.put)
            report.saw(ch.kind)
            report.new += ch.outcome == changes.NEW
            report.changed += ch.outcome == changes.CHANGED
            report.removed += ch.outcome == changes.REMOVED
            state.set_article(st.url, ch.kind, ch.article_id, ch.content_hash, seen.canonical)
        state.remember(site.name, reader.template.to_json(), reader.habits.to_json())
        report.indexed = state.indexed(site.name)
        reports.append(report)
    return reports


def crawl(
    settings: Settings, sites: list[Site], *, reextract_only: bool = False, refresh: bool = False,
    clock: Callable[[], float] = time.time, transport: httpx.BaseTransport | None = None,
    policy_overrides: dict[str, Any] | None = None,
) -> RunReport:
    """One run over the sites; raises IndexBusy (exit 75) when another run holds the lock."""
    started = time.monotonic()
    report = RunReport(started=iso(clock()), mode="reextract" if reextract_only else "crawl")
    data_dir = Path(settings.data_dir)
    with Store(data_dir, procs=settings.index_procs) as store:
        index = Indexer(store)
        index.sync()  # a killed run's pending articles go in first
        with State(crawl_db(data_dir)) as state:
            if reextract_only:
                report.sites = reextract(state, index, sites, clock)
            else:
                with Fetcher(user_agent(settings), transport=transport) as fetcher:
                    for site in sites:
                        policy = policy_for(site, **(policy_overrides or {}))
                        report.sites.append(SiteCrawl(site, fetcher, state, index, clock,
                                                      policy, refresh).run())
        report.indexed, report.removed_from_index = index.sync()
    report.finished = iso(clock())
    report.seconds = round(time.monotonic() - started, 2)
    report.report_path = str(write_report(reports_dir(data_dir), report))
    return report
