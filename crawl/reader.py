"""A site's pages read with what the crawler learned of the site: the one place a fetched page
becomes a `Seen` (article, document, listing, empty, alias). Shared by the crawl, `--reextract`
and `--explain`.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from crawl.change import Seen
from crawl.discover import canonical_url
from crawl.extract import Extracted, SiteRules, extract, to_article
from crawl.habits import LinkHabits
from crawl.markup import Markup
from crawl.markup import parse as parse_markup
from crawl.metadata import file_links
from crawl.sitename import name_from_page
from crawl.sites import Site
from crawl.template import SiteTemplate, page_keys
from indexer.document import VIETNAM


def iso(ts: float) -> str:
    """A timestamp as Vietnam local time, ISO 8601 to the second."""
    return datetime.fromtimestamp(ts, VIETNAM).replace(tzinfo=None).isoformat(timespec="seconds")


def decode(body: bytes, content_type: str | None) -> str:
    from crawl.encoding import decode_html

    return decode_html(body, content_type)[0]


def rules_of(site: Site) -> SiteRules | None:
    """The CSS selectors a sites.toml entry gives, as extraction rules."""
    sel = dict(site.selectors)
    return SiteRules(**{**sel, "remove": tuple(sel.get("remove", ()))}) if sel else None


class Reader:
    """A site's pages read with what the crawler learned of the site: extraction, template,
    canonical links. Shared by the crawl and `--reextract`."""

    def __init__(self, site: Site, template: SiteTemplate, habits: LinkHabits) -> None:
        self.site, self.template, self.habits = site, template, habits
        self.label = site.label or site.name  # Article.site: the site's human name
        self.rules = rules_of(site)
        self.parsed: dict[str, Markup] = {}  # pages observed, kept parsed until read
        self.distrusted: list[str] = []  # canonicals found shared by many pages since last asked

    def learn_name(self, html: str) -> str | None:
        """The site's human name from its home page, when neither sites.toml nor an earlier
        run gave one (then kept: a name is learned once)."""
        if self.site.label or self.label != self.site.name:
            return None
        name = name_from_page(html)
        if name:
            self.label = name
        return name

    def observe(self, url: str, html: str, keep: bool = False) -> None:
        """Count a page into the site's template without extracting it (keep: hold the parse
        for read, the page is read later)."""
        if url not in self.template.seen:
            markup = parse_markup(html, url)
            self.template.observe(url, page_keys(markup.lines, markup.page_title,
                                                 file_links(markup)))
            if markup.canonical and (declared := canonical_url(markup.canonical)):
                self._declared(declared, url)
            if keep:
                self.parsed[url] = markup

    def _declared(self, canonical: str, url: str) -> None:
        trusted = self.habits.trusts(canonical)
        self.habits.declared(canonical, url)
        if trusted and not self.habits.trusts(canonical):
            self.distrusted.append(canonical)

    def read(self, html: str, url: str, now: float) -> tuple[Seen, Extracted]:
        """What the page at url is (an alias when it names another page its canonical one)."""
        ex = extract(html, url, self.rules, self.template, parsed=self.parsed.pop(url, None))
        self.template.observe(url, ex.template_keys)
        declared = canonical_url(ex.declared_canonical) if ex.declared_canonical else None
        if declared:
            self._declared(declared, url)
        if (declared and declared != url and self.habits.trusts(declared)
                and self.site.allows_host(httpx.URL(declared).host)):
            return Seen("alias", canonical=declared), ex
        article = to_article(ex, self.label, iso(now)) if ex.is_article else None
        if article is not None:
            article.id = article.url = url  # ids are the URL the page answers at
            return Seen(ex.kind, article), ex
        return Seen(ex.kind if not ex.is_article else "empty"), ex
