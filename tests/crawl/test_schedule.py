"""What a run asks for: entry points every run, deep pages on schedule, listings never starving
articles of the budget (issues 12 and 13)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from crawl.run import crawl
from crawl.sites import generic_site
from indexer.config import Settings
from tests.crawl.test_run import FAST, check_article, check_index, stored
from tests.fixtures.portal.server import Portal

DELAY = 0.005


def run(settings: Settings, portal: Portal, refresh: bool = False) -> object:
    site = generic_site(portal.url + "/", settings)
    return crawl(settings, [site], clock=time.time, policy_overrides=FAST, refresh=refresh)


@pytest.fixture
def quick_portal() -> Iterator[Portal]:
    p = Portal(crawl_delay=DELAY).start()
    try:
        yield p
    finally:
        p.stop()


def test_endless_pagination_cannot_starve_articles(settings: Settings) -> None:
    # A photo gallery whose ?page=N never ends, every page with new links, linked from every
    # page before the articles; no sitemap and no feed to find the articles by. Before the
    # listings and pages took turns (and a listing chain had a cap), the gallery took the whole
    # budget: 123 of 150 requests and no article.
    portal = Portal(crawl_delay=DELAY, style="cms", endless=True, sitemaps=False).start()
    try:
        report = crawl(replace(settings, max_pages=150),
                       [generic_site(portal.url + "/", replace(settings, max_pages=150))],
                       policy_overrides=FAST)
    finally:
        portal.stop()
    arts = check_index(settings, portal)  # every article and document, nothing else
    for item in portal.live():
        check_article(arts[portal.article_url(item)], item)
    gallery = [r.path for r in portal.requests if r.path.startswith("/thu-vien-anh?")]
    site = report.sites[0]  # type: ignore[attr-defined]
    assert len(gallery) <= 1 + 20  # the first page, then the chain cap of a 150-request budget
    assert site.not_fetched.get("listing chain cap") == 1
    assert site.requests <= 150


def test_a_run_right_after_publication_finds_it(quick_portal: Portal, settings: Settings) -> None:
    portal = quick_portal
    run(settings, portal)
    portal.clear_log()
    item = portal.add()
    # Same clock: nothing is due by the schedule, yet the entry points are asked again.
    report = run(settings, portal)
    arts = stored(settings)
    check_article(arts[portal.article_url(item)], item)
    assert report.total("new") == 1  # type: ignore[attr-defined]
    fetched = {r.path for r in portal.requests if r.status == 200}
    # The home page, the listings showing it, the sitemaps and the feed changed; the article
    # itself is the only article page fetched.
    article_paths = {f"/{i.slug}" for i in portal.items}
    assert fetched & article_paths == {f"/{item.slug}"}
    assert "/" in fetched


def test_an_unchanged_site_answers_304s(quick_portal: Portal, settings: Settings) -> None:
    portal = quick_portal
    first = run(settings, portal)
    portal.clear_log()
    report = run(settings, portal)
    answers = [r for r in portal.requests if r.path != "/robots.txt"]
    assert answers and all(r.conditional for r in answers)
    assert {r.status for r in answers} == {304}
    assert report.total("new") == report.total("changed") == 0  # type: ignore[attr-defined]
    # Entry points only: the start URL, the sitemaps, the feed and the first page of each
    # listing; neither the articles nor the later pages of a listing.
    paths = {r.path for r in answers}
    assert "/" in paths and "/sitemap.xml" in paths and "/pages/rss.aspx" in paths
    assert not [p for p in paths if "/page/" in p]
    assert not paths & {f"/{i.slug}" for i in portal.items}
    assert len(answers) < first.total("requests") / 3  # type: ignore[attr-defined]


def test_refresh_asks_every_listing_page(quick_portal: Portal, settings: Settings) -> None:
    portal = quick_portal
    run(settings, portal)
    portal.clear_log()
    run(settings, portal, refresh=True)
    paths = {r.path for r in portal.requests}
    assert [p for p in paths if "/page/" in p]  # the later pages of the listings too
    assert all(r.status == 304 for r in portal.requests if "/page/" in r.path)
