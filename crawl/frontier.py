"""The URLs of one site still to visit: each once, within the site's hosts, depth and traps.

Three queues: feeds and sitemaps (cheap, complete) first; then listings and pages in turn, so
that neither starves the other: an endless `?page=N` cannot take the budget from the articles,
and a listing chain (the pages of one listing) is followed for at most `chain_cap` pages a run.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from crawl.discover import skip_extension, trap_reason
from crawl.sites import Site

# Priorities: sitemaps and feeds, listings (start URLs, pagination, known listings), the rest.
FEEDS, HUBS, PAGES = 0, 1, 2
CHAIN_SHARE = 20  # a listing chain may take 1/CHAIN_SHARE of the budget (at least MIN_CHAIN)
MIN_CHAIN = 20


@dataclass(order=True)
class Task:
    """A URL waiting to be visited."""

    priority: int
    depth: int
    seq: int
    url: str = field(compare=False)
    kind: str = field(compare=False, default="page")  # page | sitemap | feed | attachment
    lastmod: datetime | None = field(compare=False, default=None)
    recheck: bool = field(compare=False, default=False)  # an entry point: ask whatever is due
    fallback: str | None = field(compare=False, default=None)  # try this if the URL is 404
    via: str = field(compare=False, default="")  # 'final'/'asked': the base a relative link used
    as_is: bool = field(compare=False, default=False)  # a fallback: ask exactly this URL
    referrer: str = field(compare=False, default="")  # the page whose link queued it


class Frontier:
    """The queue of one site's crawl, and why URLs were left out."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.seen: set[str] = set()
        self.skipped: Counter[str] = Counter()
        self._queues: dict[int, list[Task]] = {FEEDS: [], HUBS: [], PAGES: []}
        self._served: Counter[int] = Counter()
        self._chains: Counter[str] = Counter()
        self._retried: set[str] = set()
        self.chain_cap = max(MIN_CHAIN, site.max_pages // CHAIN_SHARE)
        self._seq = 0
        # The newest date a sitemap or feed gave each URL: a feed may queue a page before the
        # sitemap says it changed since.
        self.lastmods: dict[str, datetime] = {}
        # Pages queued since the caller last took them (crawl.state keeps them, so that a run
        # killed before visiting them leaves them due for the next run).
        self.fresh: list[str] = []

    def add(
        self, url: str, *, depth: int = 0, priority: int = PAGES, kind: str = "page",
        lastmod: datetime | None = None, chain: str | None = None, recheck: bool = False,
        fallback: str | None = None, via: str = "", as_is: bool = False, referrer: str = "",
    ) -> bool:
        """Queue a canonical URL unless seen, off-site, too deep, a file, a trap or one page too
        many of its listing chain."""
        if lastmod is not None:
            known = self.lastmods.get(url)
            try:
                newer = known is None or lastmod.timestamp() > known.timestamp()
            except (OverflowError, OSError, ValueError):
                newer = False
            if newer:
                self.lastmods[url] = lastmod
        if url in self.seen:
            return False
        reason = None
        if not self.site.allows_host(urlsplit(url).hostname):
            reason = "off-site"
        elif depth > self.site.max_depth:
            reason = "depth"
        elif kind == "page" and skip_extension(url):
            reason = "file"
        elif chain is not None and self._chains[chain] >= self.chain_cap:
            reason = "listing chain cap"
        else:
            reason = trap_reason(url)
        self.seen.add(url)
        if reason:
            self.skipped[reason] += 1
            return False
        if chain is not None:
            self._chains[chain] += 1
        self._seq += 1
        heapq.heappush(self._queues[priority],
                       Task(priority, depth, self._seq, url, kind, lastmod, recheck, fallback,
                            via, as_is, referrer))
        if kind == "page" and not recheck:
            self.fresh.append(url)
        return True

    def take_fresh(self) -> list[str]:
        """The pages queued since the last call."""
        fresh, self.fresh = self.fresh, []
        return fresh

    def retry(self, url: str, *, depth: int, priority: int = PAGES, via: str = "",
              referrer: str = "") -> bool:
        """Queue the fallback form of a link that answered 404: a URL seen (perhaps asked in
        another form) but never tried as such. Once."""
        if url in self._retried:
            return False
        self._retried.add(url)
        self.seen.discard(url)
        return self.add(url, depth=depth, priority=priority, via=via, as_is=True,
                        referrer=referrer)

    def pop(self) -> Task | None:
        """Feeds first; then listings and pages in turn while both wait."""
        if self._queues[FEEDS]:
            return heapq.heappop(self._queues[FEEDS])
        hubs, pages = self._queues[HUBS], self._queues[PAGES]
        if not hubs and not pages:
            return None
        turn = HUBS if hubs and (not pages or self._served[HUBS] <= self._served[PAGES]) else PAGES
        self._served[turn] += 1
        return heapq.heappop(self._queues[turn])

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())
