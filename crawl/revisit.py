"""What a run asks again of a site it knows, so that a run right after a portal changes finds it.

Every run: the start URLs, sitemaps, feeds and the first page of every known listing (with
conditional GETs), and the known pages whose next visit has come (articles, attached files).
A sitemap entry whose `lastmod` is newer than the copy in hand is asked whatever its schedule
(crawl.sitecrawl). A page the site's sitemap listed last time and lists no more is asked now
(it may be gone); when it answers 404/410 it is asked once more at the end of the run, and the
second answer confirms it gone — the site said so twice, and its sitemap agrees. A sitemap that
drops more than a fifth of its entries at once is not trusted to say so (a broken sitemap).
"""

from __future__ import annotations

from collections.abc import Callable

from crawl.discover import canonical_url, paginated, parse_sitemap
from crawl.frontier import FEEDS, HUBS, PAGES, Frontier
from crawl.sites import Site
from crawl.state import State

DROP_SHARE = 0.2  # at most this share of a sitemap's entries may drop out and count as news
MIN_DROP = 3  # ...or this many, for small sitemaps


def sitemap_entries(body: bytes) -> set[str]:
    """The page URLs a sitemap lists, canonical."""
    entries, _ = parse_sitemap(body)
    return {c for loc, _ in entries if (c := canonical_url(loc)) is not None}


def dropped(before: bytes, after: bytes) -> set[str]:
    """Pages a sitemap no longer lists; empty when too many dropped to be believed."""
    old, new = sitemap_entries(before), sitemap_entries(after)
    gone = old - new
    if not new or len(gone) > max(MIN_DROP, DROP_SHARE * len(old)):
        return set()
    return gone


class Revisits:
    """One site's run: what to ask again, and the pages its sitemap dropped."""

    def __init__(self, site: Site, state: State, frontier: Frontier,
                 clock: Callable[[], float]) -> None:
        self.site, self.state, self.frontier, self.clock = site, state, frontier, clock
        self.dropped: set[str] = set()  # known pages the sitemap stopped listing
        self.confirm: set[str] = set()  # of those, pages that answered a first 404/410
        self.confirmed: set[str] = set()

    def entry_points(self, robots_sitemaps: list[str], refresh: bool) -> None:
        """Queue the entry points and the known pages that are due."""
        origin = "/".join(self.site.start_urls[0].split("/", 3)[:3])
        for url in [*robots_sitemaps, *self.site.sitemaps, origin + "/sitemap.xml"]:
            if (c := canonical_url(url)) is not None:
                self.frontier.add(c, priority=FEEDS, kind="sitemap", recheck=True)
        for url in self.site.start_urls:
            if (c := canonical_url(url)) is not None:
                self.frontier.add(c, priority=HUBS, recheck=True)
        for st in self.state.pages_of(self.site.name, ("sitemap", "feed", "listing")):
            if st.kind == "listing" and paginated(st.url) and not refresh:
                continue  # a deep page of a listing: on its schedule
            kind = st.kind if st.kind in ("sitemap", "feed") else "page"
            self.frontier.add(st.url, depth=1, priority=FEEDS if kind != "page" else HUBS,
                              kind=kind, recheck=True)
        # Known pages due again (articles that may have changed or gone, and are linked no
        # more), and attached files due for a conditional GET.
        for url, kind in self.state.due(self.site.name, self.clock()):
            self.frontier.add(url, depth=1, priority=HUBS if kind == "listing" else PAGES,
                              kind=kind if kind in ("sitemap", "feed", "attachment") else "page")

    def sitemap_changed(self, before: bytes, after: bytes) -> None:
        """Queue the known pages a re-fetched sitemap dropped, to be asked now."""
        for url in dropped(before, after):
            st = self.state.get(url)
            if st is not None and st.article_id:
                self.dropped.add(url)
                self.frontier.add(url, depth=1, priority=PAGES, recheck=True)

    def gone(self, url: str, times: int) -> None:
        """A page answered 404/410 (`times` visits in a row)."""
        if times == 1 and url in self.dropped and url not in self.confirmed:
            self.confirm.add(url)

    def ask_again(self, done: set[str]) -> None:
        """Queue the second ask of the dropped pages that answered a first 404."""
        for url in self.confirm:
            self.confirmed.add(url)
            done.discard(url)
            self.frontier.seen.discard(url)
            self.frontier.add(url, depth=1, priority=PAGES, recheck=True, as_is=True)
        self.confirm.clear()
