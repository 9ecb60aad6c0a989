"""One site's crawl: its frontier, its learned template and link habits, its files, its report.

Self-contained: a run crawls its sites side by side, one SiteCrawl per site in its own thread
(crawl.run), each with its own Fetcher and budgets (requests, minutes). Per page the order is:
read its files, store the article (committed, marked pending in the store), then record the
page in crawl.sqlite; a run killed between the two fetches the page again next time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TypedDict

import httpx

from crawl import change as changes
from crawl.attachments import DocStore
from crawl.change import Change, Seen
from crawl.discover import canonical_url, looks_like_xml
from crawl.errors import Disallowed, FetchError, OutOfTime
from crawl.fetch import Fetcher, Page, Policy
from crawl.frontier import PAGES, Frontier, Task
from crawl.habits import LinkHabits, is_slash_redirect
from crawl.links import Links
from crawl.reader import Reader, decode
from crawl.report import SiteReport, merge
from crawl.revisit import Revisits
from crawl.sitefiles import Indexing, SiteFiles
from crawl.sites import Site
from crawl.state import ERROR_RETRY, GONE_RECHECK, MAX_REVISIT, PageState, State, next_visit
from crawl.template import SiteTemplate

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "")


class _Fetched(TypedDict):
    """The State.save arguments every fetched 200 shares."""

    status: int
    etag: str | None
    last_modified: str | None
    content_type: str | None
    raw: bytes | None


def _html(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() in HTML_TYPES


class SiteCrawl:
    """Visiting one site: a frontier, the fetcher, the state, the index, what it learned."""

    def __init__(
        self, site: Site, fetcher: Fetcher, state: State, index: Indexing,
        clock: Callable[[], float], policy: Policy, refresh: bool = False,
        docs: DocStore | None = None, file_max_bytes: int = 50 * 2**20,
        stop: threading.Event | None = None,
    ) -> None:
        self.site, self.fetcher, self.state, self.index = site, fetcher, state, index
        self.clock, self.policy, self.refresh = clock, policy, refresh
        self.stop = stop or threading.Event()  # set: the run was interrupted (Ctrl-C)
        self.report = SiteReport(site.name)
        self.frontier = Frontier(site)
        template, habits = state.memory(site.name)
        self.reader = Reader(site, SiteTemplate.from_json(template), LinkHabits.from_json(habits))
        self.reader.label = site.label or state.name_of(site.name) or site.name
        self.links = Links(self.frontier, self.reader.habits)
        self.done: set[str] = set()  # URLs whose content this run has handled
        self.budget_end = fetcher.requests + site.max_pages
        self.files = None if docs is None else SiteFiles(
            site, state, docs, index, self.report, clock, fetcher, policy, file_max_bytes,
            can_fetch=self._can_fetch)
        origin = "/".join(site.start_urls[0].split("/", 3)[:3])
        self.home = {canonical_url(u) for u in (site.start_urls[0], origin + "/")}
        self.revisits = Revisits(site, state, self.frontier, clock)

    @property
    def template(self) -> SiteTemplate:
        return self.reader.template

    @property
    def habits(self) -> LinkHabits:
        return self.reader.habits

    def run(self) -> SiteReport:
        started, before = time.monotonic(), self.fetcher.requests
        self.budget_end = before + self.site.max_pages
        # The time budget: no request starts after it (the fetcher says OutOfTime).
        self.policy = replace(self.policy, until=self.fetcher.clock() + self.site.max_minutes * 60)
        if self.files is not None:
            self.files.policy = replace(self.files.policy or self.policy, until=self.policy.until)
        try:
            self._crawl()
        except Exception as exc:  # one broken site must not stop the others
            log.exception("crawl of %s failed", self.site.name)
            self.report.failed = f"{type(exc).__name__}: {exc}"
        finally:
            self.state.remember(self.site.name, self.template.to_json(), self.habits.to_json())
        self.report.name = self.reader.label
        self.report.requests = self.fetcher.requests - before
        self.report.skipped = dict(self.frontier.skipped)
        merge(self.frontier.skipped, self.report.not_fetched)
        if self.report.disallowed:
            self.report.not_fetched["disallowed"] = self.report.disallowed
        self.report.indexed = self.state.indexed(self.site.name)
        self.report.seconds = round(time.monotonic() - started, 3)
        log.info("%s: %s", self.site.name, self.report.settle_state())
        return self.report

    def _can_fetch(self) -> bool:
        """Budget left: requests, and time before the site's deadline."""
        return (self.fetcher.requests < self.budget_end and not self.report.time_exhausted
                and self.fetcher.clock() < self.policy.until)

    def _spent(self) -> bool:
        return (self.report.budget_exhausted or self.report.time_exhausted
                or self.stop.is_set())

    # -- the loop -------------------------------------------------------------------------
    def _crawl(self) -> None:
        start = self.site.start_urls[0]
        robots = self.fetcher.robots(start, self.policy)
        if robots.disallow_all:
            self.report.failed = f"robots.txt unreachable: {robots.reason or 'no answer'}"
            return
        self.revisits.entry_points(robots.sitemaps(), self.refresh)
        visited_ok = self._loop()
        # Pages decided at the end may name pages not visited yet (a canonical page), and pages
        # gone from the sitemap that answered 404 are asked once more: go on until nothing new
        # is queued.
        while True:
            self._settle()
            self.revisits.ask_again(self.done)
            if not len(self.frontier) or self._spent():
                break
            visited_ok += self._loop()
        if not visited_ok and not (self.report.time_exhausted or self.report.failed):
            self.report.failed = "no page of the site could be fetched"

    def _loop(self) -> int:
        """Visit what the frontier holds, within the budget; how many visits the site answered."""
        answered = 0
        while (task := self.frontier.pop()) is not None:
            if self.stop.is_set():
                self.report.failed = "interrupted"
                break
            if self.fetcher.requests >= self.budget_end:
                self.report.budget_exhausted = True
                self.report.not_fetched["budget"] = len(self.frontier) + 1
                log.warning("%s: page budget of %d reached", self.site.name, self.site.max_pages)
                break
            if self.report.time_exhausted or self.fetcher.clock() >= self.policy.until:
                self.report.time_exhausted = True
                self.report.not_fetched["time budget"] = len(self.frontier) + 1
                log.warning("%s: time budget of %g minutes reached", self.site.name,
                            self.site.max_minutes)
                break
            try:
                answered += self.visit(task)
            except Exception:  # a bad page is counted and logged, never raised out of a crawl
                log.exception("%s: cannot handle %s", self.site.name, task.url)
                self.report.bad_pages += 1
            self._keep_queue(task.url)
        self._keep_queue()
        return answered

    def _keep_queue(self, handled: str | None = None) -> None:
        """Record the links queued since last time (and that `handled` is no longer waiting)."""
        fresh = self.frontier.take_fresh()
        if fresh or handled:
            self.state.keep_queue(self.site.name, fresh, [handled] if handled else [],
                                  self.clock())

    def visit(self, task: Task) -> int:
        """Visit one URL; returns 1 when the site answered it (any status below 500)."""
        task = self.links.as_the_site_means(task)
        url, now = task.url, self.clock()
        if url in self.done:
            return 0
        st = self.state.get(url)
        if st is not None and st.kind == "queued":
            st = None  # only linked so far: a page never visited
        if task.kind == "attachment" or (st is not None and st.kind == "attachment"):
            self.done.add(url)
            if st is not None and not task.recheck and not self._due(st, task, now):
                self.report.not_due += 1
                return 1
            return self.files.revisit(url) if self.files is not None else 0
        if st is not None and st.kind == "alias" and not task.recheck:
            self.report.duplicates += 1
            if st.canonical and st.canonical not in self.done:
                self.frontier.add(st.canonical, depth=task.depth, priority=task.priority)
            return 0
        if st is not None and not task.recheck and not self._due(st, task, now):
            self.report.not_due += 1
            if st.kind in ("listing", "sitemap", "feed") and st.has_raw:
                self._follow_stored(st, task)
            return 1
        fresh = st is not None and st.has_raw
        try:
            page = self.fetcher.get(url, self.policy, st.etag if fresh and st is not None else None,
                                    st.last_modified if fresh and st is not None else None)
        except Disallowed:
            self.report.disallowed += 1
            return 0
        except OutOfTime:
            self.report.time_exhausted = True
            self.frontier.seen.discard(url)
            return 0
        except FetchError as exc:
            log.warning("%s: %s", self.site.name, exc)
            self.report.error(exc.kind)
            self.report.saw("error")
            self.state.failed(url, self.site.name, now, None, now + ERROR_RETRY)
            return 0
        return self._answer(task, st, page, now)

    def _due(self, st: PageState, task: Task, now: float) -> bool:
        if st.next_visit <= now:
            return True
        # A sitemap or feed saying the page changed since we fetched it.
        lastmod = self.frontier.lastmods.get(task.url, task.lastmod)
        return bool(lastmod and st.fetched_at and lastmod.timestamp() > st.fetched_at)

    def _answer(self, task: Task, st: PageState | None, page: Page, now: float) -> int:
        url, site = task.url, self.site.name
        final = canonical_url(page.final_url) or url
        self.habits.seen_answer(url, final, page.status)
        if page.status < 400 and task.via:
            self.habits.link_answered(task.via, True)
        if final != url and page.status < 400:
            # A redirect: url is another name of final, whose page is in hand already.
            self.report.duplicates += 1
            self.report.saw("alias")
            self.state.save(url, site, now, kind="alias", status=301, canonical=final,
                            visit=next_visit("alias", now, 0, self.site))
            self.done.add(url)
            if final in self.done or not self.site.allows_host(httpx.URL(final).host):
                return 1
            self.frontier.seen.add(final)
            asked = url if is_slash_redirect(url, final) else None
            return self._content(replace(task, url=final, fallback=None), self.state.get(final),
                                 page, now, asked)
        return self._content(task, st, page, now, None)

    def _content(self, task: Task, st: PageState | None, page: Page, now: float,
                 asked: str | None) -> int:
        url, site = task.url, self.site.name
        self.done.add(url)
        if page.status == 304 and st is not None:
            self.report.not_modified += 1
            self.report.saw("unchanged")
            self.state.not_modified(url, now, next_visit(st.kind, now, st.unchanged + 1,
                                                         self.site))
            if st.kind in ("listing", "sitemap", "feed"):
                self._follow_stored(st, task)
            return 1
        if page.status in (404, 410):
            self.report.gone += 1
            self.report.saw("gone")
            self._gone(task, st, page.status, now)
            return 1
        if page.status != 200:
            self.report.error(f"HTTP {page.status}")
            self.report.saw("error")
            self.state.failed(url, site, now, page.status, now + ERROR_RETRY)
            return 1 if page.status < 500 else 0
        self.report.downloaded += 1
        self._page(task, st, page, now, asked)
        return 1

    # -- one page -------------------------------------------------------------------------
    def _page(self, task: Task, st: PageState | None, page: Page, now: float,
              asked: str | None) -> None:
        url, site, ctype = task.url, self.site.name, page.content_type
        common: _Fetched = {"status": 200, "etag": page.etag, "last_modified": page.last_modified,
                            "content_type": ctype, "raw": page.body}
        if task.kind in ("sitemap", "feed") or looks_like_xml(page.body, ctype):
            before = self.state.raw(url) if st is not None and st.kind == "sitemap" else None
            kind = self.links.follow_xml(task, page.body)
            self._keep_queue()
            if before is not None:
                self.revisits.sitemap_changed(before, page.body)
            self.report.saw(kind)
            self.state.save(url, site, now, kind=kind, visit=next_visit(kind, now, 0, self.site),
                            **common)
            return
        if not _html(ctype):
            if self.files is not None and task.referrer and self.files.adopt(
                    url, page, task.referrer):
                self.report.saw("attachment")
                return
            self.report.saw("file")
            common["raw"] = None  # a file is not kept (its text comes with the attachments)
            self.state.save(url, site, now, kind="file", visit=now + MAX_REVISIT, **common)
            return
        html = decode(page.body, ctype)
        if url in self.home and (name := self.reader.learn_name(html)):
            self.state.set_name(self.site.name, name)
        self.links.follow_page(html, url, task, asked)
        self._keep_queue()  # before the page is saved: a kill between the two loses no link
        if not self.template.mature:
            # Too few pages seen to tell this site's template from a page's own text: count
            # the page in, decide it when the crawl of the site ends.
            self.reader.observe(url, html, keep=True)
            self.state.save(url, site, now, kind="pending", content_hash=st.content_hash if st
                            else None, article_id=st.article_id if st else None,
                            visit=next_visit("pending", now, 0, self.site), **common)
            return
        try:
            seen, _ = self.reader.read(html, url, now)
        except Exception:  # a page extraction chokes on is counted, not fatal
            log.exception("%s: extraction failed on %s", site, url)
            self.report.bad_pages += 1
            seen = Seen("empty")
        ch = changes.decide(st, seen)
        self._apply(url, seen, ch)
        self.state.save(url, site, now, kind=ch.kind, content_hash=ch.content_hash,
                        article_id=ch.article_id, unchanged=ch.streak, canonical=seen.canonical,
                        visit=next_visit(ch.kind, now, ch.streak, self.site), **common)

    def _apply(self, url: str, seen: Seen, ch: Change) -> None:
        """Index updates and counts of one decided page (its files read first)."""
        for article_id in ch.delete:
            self.index.delete(article_id)
        if ch.put is not None:
            article = ch.put
            if self.files is not None:
                article = self.files.attach(article, document=ch.kind == "document")
            else:
                self.report.files_found += len(article.attachments)
            self.index.put(article)
        self.report.decided(ch.kind, ch.outcome)
        if seen.canonical:
            self.report.duplicates += 1
            if seen.canonical not in self.done:
                self.frontier.add(seen.canonical, priority=PAGES)

    def _gone(self, task: Task, st: PageState | None, status: int, now: float) -> None:
        url = task.url
        if task.via == "final" and task.fallback:
            for form in {task.fallback, self.habits.rewrite(task.fallback)[0]}:
                known = self.state.get(form)
                if known is not None and known.fetched_at is not None:
                    self.habits.link_answered("asked", True)  # the link as written exists
                    break
        if task.fallback and task.fallback not in self.done:
            # The link as the site may have meant it: the other reading of a relative link, or
            # the address without the slash the crawler added.
            other = {"final": "asked", "asked": "final"}.get(task.via, "")
            self.frontier.retry(task.fallback, depth=task.depth, priority=task.priority,
                                via=other, referrer=task.referrer)
        for form in {url, url.rstrip("/")} & set(self.habits.canonicals):
            # Pages that named a missing page their canonical one are pages of their own.
            self.habits.bad_canonicals.add(form)
            self._redecide(self.state.aliases_of(form))
        never_found = st is None or st.fetched_at is None
        times = self.state.missing(url, self.site.name, now, status, now + (
            MAX_REVISIT if never_found and st is not None else GONE_RECHECK))
        self.revisits.gone(url, times)
        fed_elsewhere = bool(st and st.article_id and self.state.article_fed_elsewhere(
            st.article_id, url))
        ch = changes.decide_gone(st, times, fed_elsewhere)
        for article_id in ch.delete:
            self.index.delete(article_id)
        if ch.outcome == changes.REMOVED:
            self.report.removed += 1
            log.info("%s: removed %s (%d twice)", self.site.name, st and st.article_id, status)
            self.state.forget_article(url)

    # -- decisions left for the end -------------------------------------------------------
    def _settle(self) -> None:
        """Decide the pages kept pending while the template was young (and any a killed run
        left), now that the site's template has been learned from all of this run's pages."""
        pending = self.state.pages_of(self.site.name, ("pending",))
        self._redecide([st.url for st in pending], observe=True)
        self._redecide_distrusted()

    def _redecide_distrusted(self) -> None:
        """Pages taken for aliases of a canonical URL that many pages turned out to declare."""
        while self.reader.distrusted:
            self._redecide(self.state.aliases_of(self.reader.distrusted.pop()))

    def _redecide(self, urls: Iterable[str], observe: bool = False) -> None:
        urls = list(urls)
        now = self.clock()
        stored = []
        for url in urls:
            st, raw = self.state.get(url), self.state.raw(url)
            if st is None or raw is None:
                continue
            html = decode(raw, st.content_type)
            if observe:
                self.reader.observe(url, html)
            stored.append((st, html))
        for st, html in stored:
            try:
                seen, _ = self.reader.read(html, st.url, now)
            except Exception:
                log.exception("%s: extraction failed on %s", self.site.name, st.url)
                self.report.bad_pages += 1
                continue
            ch = changes.decide(st, seen)
            self._apply(st.url, seen, ch)
            self.state.set_article(st.url, ch.kind, ch.article_id, ch.content_hash,
                                   seen.canonical)

    # -- links ----------------------------------------------------------------------------
    def _follow_stored(self, st: PageState, task: Task) -> None:
        raw = self.state.raw(st.url)
        if raw is None:
            return
        if st.kind in ("sitemap", "feed"):
            self.links.follow_xml(task, raw)
        else:
            self.links.follow_page(decode(raw, st.content_type), st.url, task)
