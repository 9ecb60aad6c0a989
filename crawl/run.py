"""One crawl run: hold the data directory's lock, visit each site, update the index, write a report.

Per page the order is: store the article (committed, marked pending in the store), then record the
page in crawl.sqlite. A run killed between the two fetches the page again next time; a run killed
anywhere leaves pending rows that the next Store.sync() indexes. Nothing is lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit

import httpx

from crawl.address import is_loopback_site, site_origins
from crawl.discover import (
    FEEDS,
    HUBS,
    PAGES,
    Frontier,
    PageLinks,
    Task,
    canonical_url,
    is_pagination,
    looks_like_xml,
    page_series,
    parse_feed,
    parse_links,
    parse_sitemap,
)
from crawl.errors import Disallowed, FetchError, PageTooLarge
from crawl.fetch import Fetcher, Page, Policy
from crawl.report import RunReport, SiteReport, article_hash, write_report
from crawl.sites import Site
from crawl.state import ERROR_RETRY, GONE_RECHECK, HUB_KINDS, PageState, State, next_visit
from indexer.config import Settings
from indexer.document import VIETNAM, Article
from indexer.store import Store

log = logging.getLogger(__name__)

SYNC_EVERY = 100  # index what is pending every so many stored articles (long first crawls)
HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "")


class _Fetched(TypedDict):
    """The State.save arguments every fetched 200 shares."""

    status: int
    etag: str | None
    last_modified: str | None
    content_type: str | None
    raw: bytes | None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, VIETNAM).replace(tzinfo=None).isoformat(timespec="seconds")


def _html(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() in HTML_TYPES


def policy_for(site: Site, **overrides: Any) -> Policy:
    """The fetch policy of a site (tests shorten back-offs through overrides)."""
    base = Policy(delay=site.delay, read_timeout=site.timeout, deadline=site.timeout,
                  retries=site.retries, max_bytes=site.max_bytes,
                  origins=site_origins(site.start_urls, site.hosts),
                  allow_loopback=is_loopback_site(urlsplit(site.start_urls[0]).hostname or ""))
    return Policy(**{**asdict(base), **overrides})


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


class Extraction:
    """Thin adapter over crawl.extract: html → Article, or None for listings and bad pages."""

    def __init__(self, site: Site) -> None:
        from crawl.extract import SiteRules

        sel = dict(site.selectors)
        self.rules = SiteRules(**{**sel, "remove": tuple(sel.get("remove", ()))}) if sel else None
        self.site = site

    def article(self, html: str, url: str, now: float) -> tuple[Article | None, str | None]:
        """(article or None, canonical URL the page declares when it differs from url)."""
        from crawl.extract import extract, to_article

        ex = extract(html, url, self.rules)
        declared = canonical_url(ex.url) if ex.url else None
        if declared and declared != url and self.site.allows_host(urlsplit(declared).hostname):
            return None, declared
        if not ex.is_article:
            return None, None
        if any(is_pagination(url, link) for link in parse_links(html, url).links):
            return None, None  # a page with "next page" links is a listing, whatever its text
        article = to_article(ex, self.site.name, _iso(now))
        if article is not None:
            article.id = article.url = url  # ids are the canonical URL, whatever the page says
        return article, None


class SiteCrawl:
    """Visiting one site: a frontier, the fetcher, the state and the index."""

    def __init__(
        self, site: Site, fetcher: Fetcher, state: State, index: Indexer,
        clock: Callable[[], float], policy: Policy,
    ) -> None:
        self.site, self.fetcher, self.state, self.index = site, fetcher, state, index
        self.clock, self.policy = clock, policy
        self.report = SiteReport(site.name)
        self.frontier = Frontier(site)
        self.extraction = Extraction(site)
        self.series: dict[str, set[str]] = {}  # listing → links seen on its pages

    def run(self) -> SiteReport:
        started, before = time.monotonic(), self.fetcher.requests
        self.budget_end = before + self.site.max_pages
        try:
            self._crawl()
        except Exception as exc:  # one broken site must not stop the others
            log.exception("crawl of %s failed", self.site.name)
            self.report.failed = f"{type(exc).__name__}: {exc}"
        self.report.requests = self.fetcher.requests - before
        self.report.skipped = dict(self.frontier.skipped)
        self.report.seconds = round(time.monotonic() - started, 3)
        return self.report

    def _crawl(self) -> None:
        start = self.site.start_urls[0]
        robots = self.fetcher.robots(start, self.policy)
        if robots.disallow_all:
            self.report.failed = "robots.txt unreachable"
            return
        origin = start.split("/", 3)[:3]
        sitemaps = [*robots.sitemaps(), *self.site.sitemaps, "/".join(origin) + "/sitemap.xml"]
        for url in sitemaps:
            if (c := canonical_url(url)) is not None:
                self.frontier.add(c, priority=FEEDS, kind="sitemap")
        for url in self.site.start_urls:
            if (c := canonical_url(url)) is not None:
                self.frontier.add(c, priority=HUBS)
        # Known pages due again (articles that may have changed or gone, and are linked no more).
        for url, kind in self.state.due(self.site.name, self.clock()):
            self.frontier.add(url, depth=1, priority=HUBS if kind in HUB_KINDS else PAGES,
                              kind=kind if kind in ("sitemap", "feed") else "page")
        visited_ok = 0
        while (task := self.frontier.pop()) is not None:
            if self.fetcher.requests >= self.budget_end:
                self.report.budget_exhausted = True
                log.warning("%s: page budget of %d reached", self.site.name, self.site.max_pages)
                break
            try:
                visited_ok += self.visit(task)
            except Exception:  # a bad page is counted and logged, never raised out of a crawl
                log.exception("%s: cannot handle %s", self.site.name, task.url)
                self.report.bad_pages += 1
        if not visited_ok:
            self.report.failed = "no page of the site could be fetched"

    def visit(self, task: Task) -> int:
        """Visit one URL; returns 1 when the site answered it (any status below 500)."""
        url, now = task.url, self.clock()
        st = self.state.get(url)
        if st is not None and st.kind == "alias":
            self.report.duplicates += 1
            return 0
        if st is not None and not self._due(st, task, now):
            self.report.not_due += 1
            if st.kind in HUB_KINDS | {"listing"} and st.has_raw:
                self._follow_stored(st, task)
            return 1
        fresh = st is not None and st.has_raw
        try:
            page = self.fetcher.get(url, self.policy, st.etag if fresh and st is not None else None,
                                    st.last_modified if fresh and st is not None else None)
        except Disallowed:
            self.report.disallowed += 1
            return 0
        except (PageTooLarge, FetchError) as exc:
            log.warning("%s: %s", self.site.name, exc)
            self.report.errors += 1
            self.state.failed(url, self.site.name, now, None, now + ERROR_RETRY)
            return 0
        return self._answer(task, st, page, now)

    def _due(self, st: PageState, task: Task, now: float) -> bool:
        if st.next_visit <= now:
            return True
        # A sitemap or feed saying the page changed since we fetched it.
        return bool(task.lastmod and st.fetched_at and task.lastmod.timestamp() > st.fetched_at)

    def _answer(self, task: Task, st: PageState | None, page: Page, now: float) -> int:
        url, site = task.url, self.site.name
        final = canonical_url(page.final_url) or url
        if final != url and page.status < 400:
            self.report.duplicates += 1
            self.frontier.add(final, depth=task.depth, priority=task.priority, kind=task.kind)
            self.state.save(url, site, now, kind="alias", status=page.status, canonical=final,
                            visit=next_visit("article", now, 0, self.site))
            return 1
        if page.status == 304 and st is not None:
            self.report.not_modified += 1
            self.state.not_modified(url, now, next_visit(st.kind, now, st.unchanged + 1, self.site))
            if st.kind in HUB_KINDS | {"listing"}:
                self._follow_stored(st, task)
            return 1
        if page.status in (404, 410):
            self.report.gone += 1
            self._gone(url, st, page.status, now)
            return 1
        if page.status != 200:
            self.report.errors += 1
            self.state.failed(url, site, now, page.status, now + ERROR_RETRY)
            return 1 if page.status < 500 else 0
        self.report.downloaded += 1
        self._page(task, st, page, now)
        return 1

    def _gone(self, url: str, st: PageState | None, status: int, now: float) -> None:
        count = self.state.missing(url, self.site.name, now, status, now + GONE_RECHECK)
        if count < 2 or st is None or not st.article_id:
            return
        # Gone on two visits in a row: remove it, unless another live page still feeds it.
        if not self.state.article_fed_elsewhere(st.article_id, url):
            self.index.delete(st.article_id)
            self.report.removed += 1
            log.info("%s: removed %s (%d twice)", self.site.name, st.article_id, status)
        self.state.forget_article(url)

    def _page(self, task: Task, st: PageState | None, page: Page, now: float) -> None:
        url, site, ctype = task.url, self.site.name, page.content_type
        common: _Fetched = {"status": 200, "etag": page.etag, "last_modified": page.last_modified,
                  "content_type": ctype, "raw": page.body}
        if task.kind in ("sitemap", "feed") or looks_like_xml(page.body, ctype):
            kind = self._follow_xml(task, page.body)
            self.state.save(url, site, now, kind=kind, visit=next_visit(kind, now, 0, self.site),
                            **common)
            return
        if not _html(ctype):
            without_raw: _Fetched = {**common, "raw": None}
            self.state.save(url, site, now, kind="file", visit=now + 30 * 86400,
                            **without_raw)
            return
        html = _decode(page.body, ctype)
        try:
            article, declared = self.extraction.article(html, url, now)
        except Exception:  # a page extraction chokes on is counted, not fatal
            log.exception("%s: extraction failed on %s", site, url)
            self.report.bad_pages += 1
            article, declared = None, None
        if declared is not None:
            self.report.duplicates += 1
            self.frontier.add(declared, depth=task.depth, priority=PAGES)
            self.state.save(url, site, now, kind="alias", canonical=declared,
                            visit=next_visit("article", now, 0, self.site), **common)
            return
        links = parse_links(html, url)
        if article is None:
            self.report.listings += 1
            if st is not None and st.article_id:  # was an article, is not any more
                self.index.delete(st.article_id)
                self.report.removed += 1
            self.state.save(url, site, now, kind="listing",
                            visit=next_visit("listing", now, 0, self.site), **common)
            self._follow_links(links, url, task)
            return
        digest = article_hash(article)
        unchanged = st is not None and st.content_hash == digest and st.article_id == article.id
        if unchanged:
            self.report.not_modified += 1
        else:
            self.index.put(article)
            if st is not None and st.article_id:
                self.report.changed += 1
            else:
                self.report.new += 1
        streak = (st.unchanged + 1) if unchanged and st is not None else 0
        self.state.save(url, site, now, kind="article", content_hash=digest,
                        article_id=article.id, unchanged=streak,
                        visit=next_visit("article", now, streak, self.site), **common)
        self._follow_links(links, url, task)

    def _follow_stored(self, st: PageState, task: Task) -> None:
        raw = self.state.raw(st.url)
        if raw is None:
            return
        if st.kind in ("sitemap", "feed"):
            self._follow_xml(task, raw)
        else:
            self._follow_html(_decode(raw, st.content_type), st.url, task)

    def _follow_html(self, html: str, url: str, task: Task) -> None:
        self._follow_links(parse_links(html, url), url, task)

    def _follow_links(self, links: PageLinks, url: str, task: Task) -> None:
        for feed in links.feeds:
            self.frontier.add(feed, priority=FEEDS, kind="feed")
        pages, items = [], []
        for link in links.links:
            if is_pagination(url, link) or link in links.next_pages:
                pages.append(link)
            else:
                items.append(link)
                self.frontier.add(link, depth=task.depth + 1, priority=PAGES)
        # Pagination keeps the depth (page 40 of a listing is not 40 hops away) but is followed
        # only while a page shows links the listing's other pages did not: an endless ?page=N
        # that repeats itself stops there.
        known = self.series.setdefault(page_series(url), set())
        fresh = set(items) - known
        known.update(items)
        if fresh:
            for link in pages:
                self.frontier.add(link, depth=task.depth, priority=HUBS)

    def _follow_xml(self, task: Task, body: bytes) -> str:
        entries, children = parse_sitemap(body)
        for child in children:
            if (c := canonical_url(child)) is not None:
                self.frontier.add(c, priority=FEEDS, kind="sitemap")
        if entries or children:
            for loc, lastmod in entries:
                if (c := canonical_url(loc)) is not None:
                    self.frontier.add(c, depth=1, priority=PAGES, lastmod=lastmod)
            return "sitemap"
        for link, when in parse_feed(body):
            if (c := canonical_url(link)) is not None:
                self.frontier.add(c, depth=1, priority=PAGES, lastmod=when)
        return "feed"


def _decode(body: bytes, content_type: str | None) -> str:
    from crawl.encoding import decode_html

    return decode_html(body, content_type)[0]


def reextract(state: State, index: Indexer, sites: Iterable[Site], clock: Callable[[], float]
              ) -> list[SiteReport]:
    """Run extraction again over the stored pages of the sites; no request is made."""
    reports = []
    for site in sites:
        report, extraction, now = SiteReport(site.name), Extraction(site), clock()
        for st, raw in state.stored_pages([site.name]):
            if st.kind not in ("article", "listing", "page"):
                continue
            try:
                article, declared = extraction.article(_decode(raw, st.content_type), st.url, now)
            except Exception:
                log.exception("%s: extraction failed on %s", site.name, st.url)
                report.bad_pages += 1
                continue
            if article is None:
                if st.article_id:
                    index.delete(st.article_id)
                    report.removed += 1
                state.set_article(st.url, "alias" if declared else "listing", None, None)
                continue
            digest = article_hash(article)
            if digest != st.content_hash or article.id != st.article_id:
                index.put(article)
                report.changed += 1 if st.article_id else 0
                report.new += 0 if st.article_id else 1
                state.set_article(st.url, "article", article.id, digest)
        reports.append(report)
    return reports


def crawl(
    settings: Settings, sites: list[Site], *, reextract_only: bool = False,
    clock: Callable[[], float] = time.time, transport: httpx.BaseTransport | None = None,
    policy_overrides: dict[str, Any] | None = None,
) -> RunReport:
    """One run over the sites; raises IndexBusy (exit 75) when another run holds the lock."""
    started = time.monotonic()
    report = RunReport(started=_iso(clock()), mode="reextract" if reextract_only else "crawl")
    data_dir = Path(settings.data_dir)
    with Store(data_dir, procs=settings.index_procs) as store:
        index = Indexer(store)
        index.sync()  # a killed run's pending articles go in first
        with State(data_dir / "crawl.sqlite") as state:
            if reextract_only:
                report.sites = reextract(state, index, sites, clock)
            else:
                agent = settings.user_agent
                if settings.contact_url and settings.contact_url not in agent:
                    agent = f"{agent} (+{settings.contact_url})"
                with Fetcher(agent, transport=transport) as fetcher:
                    for site in sites:
                        policy = policy_for(site, **(policy_overrides or {}))
                        report.sites.append(
                            SiteCrawl(site, fetcher, state, index, clock, policy).run())
        report.indexed, report.removed_from_index = index.sync()
    report.finished = _iso(clock())
    report.seconds = round(time.monotonic() - started, 2)
    report.report_path = str(write_report(data_dir, report))
    return report
