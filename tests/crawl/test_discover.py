"""Canonical URLs, trap guards, links, sitemaps, feeds and the frontier (pure functions)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crawl.discover import (
    canonical_url,
    is_pagination,
    parse_feed,
    parse_links,
    parse_sitemap,
    trap_reason,
)
from crawl.frontier import Frontier
from crawl.sites import generic_site
from indexer.config import Settings

BASE = "http://daksong.daknong.gov.vn"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (f"{BASE}/tin?utm_source=zalo&utm_medium=social", f"{BASE}/tin"),
        (f"{BASE}/tin?fbclid=IwAR0xq&id=5", f"{BASE}/tin?id=5"),
        (f"{BASE}/tin?zarsrc=31&gclid=abc", f"{BASE}/tin"),
        (f"{BASE}/tin;jsessionid=8F3A2C?id=5", f"{BASE}/tin?id=5"),
        (f"{BASE}/tin?PHPSESSID=ab12&sid=9", f"{BASE}/tin"),
        (f"{BASE}/tin?print=1", f"{BASE}/tin"),
        (f"{BASE}/tin?view=print&id=7", f"{BASE}/tin?id=7"),
        ("HTTP://DakSong.DakNong.gov.vn:80/Tin#binh-luan", f"{BASE}/Tin"),
        (f"{BASE}/tin?b=2&a=1", f"{BASE}/tin?a=1&b=2"),
        (f"{BASE}/tin-tức/bầu-cử", f"{BASE}/tin-t%E1%BB%A9c/b%E1%BA%A7u-c%E1%BB%AD"),
        (f"{BASE}", f"{BASE}/"),
        ("mailto:ubnd@daknong.gov.vn", None),
    ],
    ids=["utm", "fbclid", "zalo", "jsessionid", "phpsessid-sid", "print", "view-print",
         "case-port-fragment", "sorted-query", "vietnamese-path", "empty-path", "mailto"],
)
def test_canonical_url(url: str, canonical: str | None) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"{BASE}/lich-lam-viec?thang=6&nam=2021", "calendar"),
        (f"{BASE}/lich?month=13&year=2099", "calendar"),
        (f"{BASE}/lich?ngay=24/06/2021", "calendar"),
        (f"{BASE}/a/b/a/b/a/b", "repeated path segments"),
        (f"{BASE}/" + "x/" * 13, "deep path"),
        (f"{BASE}/tin-tuc?page=3", None),
        (f"{BASE}/2021/06/24/hoi-nghi-tong-ket", None),
    ],
    ids=["thang-nam", "month-year", "ngay", "loop", "deep", "pagination", "dated-article"],
)
def test_trap_reason(url: str, reason: str | None) -> None:
    assert trap_reason(url) == reason


def test_pagination() -> None:
    assert is_pagination(f"{BASE}/tin-tuc", f"{BASE}/tin-tuc/page/2")
    assert is_pagination(f"{BASE}/tin-tuc/page/2", f"{BASE}/tin-tuc/page/3")
    assert is_pagination(f"{BASE}/tin?cat=5", f"{BASE}/tin?cat=5&trang=2")
    assert not is_pagination(f"{BASE}/tin-tuc", f"{BASE}/tin-tuc/bai-viet")
    assert not is_pagination(f"{BASE}/tin?cat=5", f"{BASE}/tin?cat=6&trang=2")


def test_parse_links_base_canonical_feeds() -> None:
    html = f"""<html><head><base href="{BASE}/sub/">
    <link rel="canonical" href="{BASE}/bai-viet">
    <link rel="alternate" type="application/rss+xml" href="/rss.xml">
    </head><body><a href="./a">A</a><a href="a?utm_source=x">A again</a>
    <a href="javascript:void(0)">js</a><a href="#top">top</a>
    <a rel="next" href="/tin/page/2">Sau</a></body></html>"""
    links = parse_links(html, "http://127.0.0.1/irrelevant")
    assert links.links == [f"{BASE}/sub/a", f"{BASE}/tin/page/2"]
    assert links.canonical == f"{BASE}/bai-viet"
    assert links.feeds == ["http://127.0.0.1/rss.xml"]
    assert links.next_pages == [f"{BASE}/tin/page/2"]


def test_parse_sitemap_index_and_urlset() -> None:
    index = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>http://x.vn/s1.xml</loc></sitemap></sitemapindex>"""
    assert parse_sitemap(index) == ([], ["http://x.vn/s1.xml"])
    urlset = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>http://x.vn/a</loc><lastmod>2021-06-24T08:30:00+07:00</lastmod></url>
      <url><loc>http://x.vn/b</loc></url></urlset>"""
    pages, children = parse_sitemap(urlset)
    assert [u for u, _ in pages] == ["http://x.vn/a", "http://x.vn/b"] and children == []
    assert pages[0][1] is not None and pages[0][1].day == 24
    assert parse_sitemap(b"<html>not a sitemap") == ([], [])


def test_parse_feed_rss_and_atom() -> None:
    rss = b"""<?xml version="1.0" encoding="utf-8"?><rss><channel><item><title>Tin</title>
      <link>http://x.vn/a</link><pubDate>Thu, 24 Jun 2021 01:30:00 GMT</pubDate></item>
      </channel></rss>"""
    items = parse_feed(rss)
    assert [u for u, _ in items] == ["http://x.vn/a"] and items[0][1] is not None
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry>
      <link rel="alternate" href="http://x.vn/b"/><updated>2021-06-24T08:30:00Z</updated>
      </entry></feed>"""
    assert [u for u, _ in parse_feed(atom)] == ["http://x.vn/b"]


def test_frontier_guards() -> None:
    site = replace(generic_site(f"{BASE}/", Settings()), max_depth=2)
    f = Frontier(site)
    assert f.add(f"{BASE}/a")
    assert not f.add(f"{BASE}/a")  # once
    assert f.add("http://www.daksong.daknong.gov.vn/b")  # www. is the same site
    assert not f.add("http://daknong.gov.vn/c")
    assert not f.add(f"{BASE}/deep", depth=3)
    assert not f.add(f"{BASE}/file.PDF")
    assert not f.add(f"{BASE}/lich?thang=7&nam=2021")
    assert f.skipped == {"off-site": 1, "depth": 1, "file": 1, "calendar": 1}
    assert f.add(f"{BASE}/sitemap.xml", priority=0, kind="sitemap")
    first = f.pop()
    assert first is not None and first.kind == "sitemap"  # sitemaps before pages
    assert len(f) == 2
