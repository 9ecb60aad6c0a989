"""Which URLs a site's pages lead to, and how to ask for them (the frontier's feeder).

Links are queued as the site's learned habits say (crawl.habits): with the slash the server
wants, with the reading of a relative link the site means, each with a fallback for a 404.
Pagination is followed while it shows new links, within the frontier's chain cap.
"""

from __future__ import annotations

from dataclasses import replace

from crawl.discover import (
    PageLinks,
    canonical_url,
    is_pagination,
    page_series,
    parse_feed,
    parse_links,
    parse_sitemap,
)
from crawl.frontier import FEEDS, HUBS, PAGES, Frontier, Task
from crawl.habits import LinkHabits


class Links:
    """One site's links on their way to its frontier."""

    def __init__(self, frontier: Frontier, habits: LinkHabits) -> None:
        self.frontier, self.habits = frontier, habits
        self.series: dict[str, set[str]] = {}  # listing → links seen on its pages

    def as_the_site_means(self, task: Task) -> Task:
        """The task as what the site taught since it was queued says to ask for it."""
        if task.as_is:
            return task
        if task.via == "final" and task.fallback and self.habits.prefers_asked_base():
            task = replace(task, url=task.fallback, fallback=task.url, via="asked")
        ask, plain = self.habits.rewrite(task.url)
        if ask != task.url and task.kind == "page":
            self.frontier.seen.add(ask)
            task = replace(task, url=ask, fallback=task.fallback or plain)
        return task

    def queue(self, link: str, depth: int, priority: int, alternate: str | None = None,
              chain: str | None = None, referrer: str = "") -> None:
        """Queue a link as the site's habits say to ask for it, with a fallback for a 404."""
        first, second, via = link, alternate, "final"
        if alternate is not None and self.habits.prefers_asked_base():
            first, second, via = alternate, link, "asked"
        ask, plain = self.habits.rewrite(first)
        fallback = self.habits.rewrite(second)[0] if second is not None else plain
        self.frontier.add(ask, depth=depth, priority=priority, chain=chain, fallback=fallback,
                          via=via if alternate is not None else "", referrer=referrer)

    def follow_page(self, html: str, url: str, task: Task, asked: str | None = None) -> None:
        """Queue what an HTML page links to (asked: the URL the server redirected to url)."""
        if asked is None and url.endswith("/") and self.habits.adds_slash():
            asked = url.rstrip("/")  # asked with the slash the site's links leave out
        self.follow(parse_links(html, url, asked), url, task)

    def follow(self, links: PageLinks, url: str, task: Task) -> None:
        for feed in links.feeds:
            self.frontier.add(feed, priority=FEEDS, kind="feed")
        pages, items = [], []
        for link in links.links:
            if is_pagination(url, link) or link in links.next_pages:
                pages.append(link)
            else:
                items.append(link)
                self.queue(link, task.depth + 1, PAGES, links.alternates.get(link), referrer=url)
        # Pagination keeps the depth (page 40 of a listing is not 40 hops away) but is followed
        # only while a page shows links the listing's other pages did not (an endless ?page=N
        # that repeats itself stops there), and for at most the frontier's chain cap.
        series = page_series(url)
        known = self.series.setdefault(series, set())
        fresh = set(items) - known
        known.update(items)
        if fresh:
            for link in pages:
                self.queue(link, task.depth, HUBS, links.alternates.get(link), chain=series)

    def follow_xml(self, task: Task, body: bytes) -> str:
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
