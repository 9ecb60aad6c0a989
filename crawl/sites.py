"""Sites to crawl: generic ones from `--site URL`, tuned ones from sites.toml `[[site]]` tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from indexer.config import Settings
from indexer.errors import ConfigError

DAY = 86400.0
SELECTOR_KEYS = ("title", "body", "date", "author", "category", "remove")
SITE_KEYS = {
    "url", "name", "start_urls", "hosts", "sitemaps", "selectors", "delay", "max_pages",
    "max_depth", "revisit_listings_hours", "revisit_articles_days", "max_bytes", "timeout",
    "retries", "max_minutes",
}


@dataclass(frozen=True)
class Site:
    """One portal and how to crawl it."""

    name: str  # its key in crawl.sqlite and the reports: sites.toml `name`, else the host
    start_urls: tuple[str, ...]
    hosts: frozenset[str]
    selectors: Mapping[str, Any] = field(default_factory=dict)
    sitemaps: tuple[str, ...] = ()
    delay: float = 1.0  # seconds between requests; robots.txt Crawl-delay wins when longer
    max_pages: int = 5000  # requests per run, robots.txt and sitemaps included
    max_minutes: float = 60.0  # wall-clock minutes per run (fetching; the OCR budget is apart)
    max_depth: int = 6  # link hops from a start URL (pagination does not count)
    revisit_listings: float = 3600.0  # seconds: home, categories, feeds, sitemaps
    revisit_articles: float = 7 * DAY  # first revisit of an article; doubles while unchanged
    max_bytes: int = 5_000_000
    timeout: float = 20.0
    retries: int = 3
    label: str = ""  # the human name sites.toml gives ("Huyện Đắk Song"); else learned

    def allows_host(self, host: str | None) -> bool:
        """True when a URL on this host belongs to the site."""
        return bool(host) and host.lower() in self.hosts  # type: ignore[union-attr]


def host_variants(url: str) -> set[str]:
    """The host of a URL with and without 'www.'."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        raise ConfigError(f"not an absolute http(s) URL: {url!r}")
    bare = host.removeprefix("www.")
    return {bare, "www." + bare} if not _is_ip(bare) else {bare}


def _is_ip(host: str) -> bool:
    return host.replace(".", "").isdigit() or ":" in host


def _check_url(url: Any) -> str:
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise ConfigError(f"a site URL must be http(s): {url!r}")
    return url


def site_key(url: str) -> str:
    """A site's key by default: its host, with the port when it is not the scheme's own (two
    portals on one address are two sites)."""
    parts = urlsplit(url)
    host = (parts.hostname or url).lower()
    default = 443 if parts.scheme == "https" else 80
    return f"{host}:{parts.port}" if parts.port not in (None, default) else host


def generic_site(url: str, settings: Settings) -> Site:
    """A site known only by its start URL (generic mode)."""
    url = _check_url(url)
    return Site(
        name=site_key(url),
        start_urls=(url,),
        hosts=frozenset(host_variants(url)),
        delay=settings.crawl_delay,
        max_pages=settings.max_pages,
        max_minutes=settings.max_minutes,
    )


def site_from_table(table: Mapping[str, Any], settings: Settings) -> Site:
    """A `[[site]]` table of sites.toml → Site (unknown keys are an error, typos cost crawls)."""
    unknown = set(table) - SITE_KEYS
    if unknown:
        raise ConfigError(f"unknown keys in [[site]]: {', '.join(sorted(unknown))}")
    starts = [table["url"]] if "url" in table else []
    starts += list(table.get("start_urls", []))
    if not starts:
        raise ConfigError("a [[site]] needs a url or start_urls")
    starts = [_check_url(u) for u in starts]
    selectors = dict(table.get("selectors", {}))
    bad = set(selectors) - set(SELECTOR_KEYS)
    if bad:
        raise ConfigError(f"unknown selectors: {', '.join(sorted(bad))}")
    if isinstance(selectors.get("remove"), str):
        selectors["remove"] = (selectors["remove"],)
    hosts: set[str] = set()
    for u in starts:
        hosts |= host_variants(u)
    for h in table.get("hosts", []):
        hosts |= host_variants(f"http://{h}/")
    base = generic_site(starts[0], settings)
    try:
        return replace(
            base,
            name=str(table.get("name", base.name)),
            label=str(table.get("name", "")).strip(),
            start_urls=tuple(dict.fromkeys(starts)),
            hosts=frozenset(hosts),
            selectors=selectors,
            sitemaps=tuple(_check_url(u) for u in table.get("sitemaps", [])),
            delay=float(table.get("delay", base.delay)),
            max_pages=int(table.get("max_pages", base.max_pages)),
            max_minutes=float(table.get("max_minutes", base.max_minutes)),
            max_depth=int(table.get("max_depth", base.max_depth)),
            revisit_listings=float(table.get("revisit_listings_hours", 1)) * 3600,
            revisit_articles=float(table.get("revisit_articles_days", 7)) * DAY,
            max_bytes=int(table.get("max_bytes", base.max_bytes)),
            timeout=float(table.get("timeout", base.timeout)),
            retries=int(table.get("retries", base.retries)),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad value in [[site]] {starts[0]}: {exc}") from exc


def load_sites(
    settings: Settings, urls: Iterable[str] = (), max_pages: int | None = None
) -> list[Site]:
    """The sites of this run: the `--site` URLs (tuned by a matching table), else every table."""
    tables = [site_from_table(t, settings) for t in settings.sites]
    urls = list(urls)
    if urls:
        sites = []
        for url in urls:
            hosts = host_variants(_check_url(url))
            match = next((s for s in tables if s.hosts & hosts), None)
            sites.append(match if match is not None else generic_site(url, settings))
    else:
        sites = tables
    if not sites:
        raise ConfigError("no sites to crawl: give --site URL or [[site]] tables in --config")
    if max_pages is not None:
        sites = [replace(s, max_pages=max_pages) for s in sites]
    return list({s.name: s for s in sites}.values())
