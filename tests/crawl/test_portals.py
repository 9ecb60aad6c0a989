"""The four real portals of tests/fixtures/portals, served on 127.0.0.1, crawled in generic mode.

Truth comes from each page's own markup (tests.fixtures.portals.truth knows the platform's
title, date and body elements; tracuu does not): every article and document page a visitor can
reach from the home page must be indexed, once, with its title and date; nothing else may be;
no text the site repeats on many pages may stand in a body.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from lxml import html

from crawl.run import crawl
from crawl.sites import generic_site
from indexer.cli import main
from indexer.config import Settings
from indexer.document import Article
from indexer.store import ArticleDB, Paths
from tests.fixtures.portals.server import SITES, StaticPortal, load_pages
from tests.fixtures.portals.truth import Truth, reachable, read

FAST = {"backoff": 0.01, "jitter": 0.0}
SHARE = 0.98
TEMPLATE_SHARE = 0.3  # a text block on this share of a site's pages is its template


@functools.cache
def truths(name: str) -> dict[str, Truth]:
    return {path: read(path, html) for path, html in load_pages(name).items()}


@functools.cache
def template_texts(name: str) -> frozenset[str]:
    """Texts of leaf blocks (p, div, td, li, h1-h6...) standing on many of the site's pages."""
    counts: Counter[str] = Counter()
    pages = load_pages(name)
    leaf = ("//*[self::p or self::div or self::td or self::li or self::h1 or self::h2 or "
            "self::h3 or self::span][not(.//p or .//div or .//td or .//li or .//table)]")
    for page in pages.values():
        doc = html.document_fromstring(page.decode("utf-8", "replace"))
        for junk in doc.xpath("//script|//style|//select"):
            junk.drop_tree()
        seen = set()
        for block in doc.xpath(leaf):
            text = re.sub(r"\s+", " ", " ".join(block.itertext())).strip()
            if len(text) >= 15:
                seen.add(text)
        counts.update(seen)
    return frozenset(t for t, n in counts.items() if n >= TEMPLATE_SHARE * len(pages))


def indexed(settings: Settings) -> dict[str, Article]:
    """Stored articles by page path ('/slug/')."""
    db = ArticleDB(Paths(settings.data_dir).db, readonly=True)
    try:
        out = {}
        for art in db.iter_all():
            path = unquote(urlsplit(art.id).path)
            out[path if path.endswith("/") else path + "/"] = art
        return out
    finally:
        db.close()


def date_right(truth: Truth, art: Article) -> bool:
    if truth.date is None:
        return art.published is None  # a page that shows no date has none
    return art.published is not None and art.published.startswith(truth.date)


@pytest.fixture(params=SITES)
def portal(request: pytest.FixtureRequest) -> StaticPortal:
    site = StaticPortal(request.param).start()
    request.addfinalizer(site.stop)
    return site


def test_real_portal_crawled_completely(portal: StaticPortal, tmp_path: Path) -> None:
    settings = replace(Settings(), data_dir=tmp_path / "data", user_agent="tracuu/0.1",
                       crawl_delay=0.001, max_pages=1000, crawl_rate=0.0)
    report = crawl(settings, [generic_site(portal.url + "/", settings)], policy_overrides=FAST)
    site = report.sites[0]
    truth = truths(portal.name)
    want = {p for p in reachable(portal.pages, truth) if truth[p].kind == "article"}
    arts = indexed(settings)

    found = want & set(arts)
    assert len(found) >= SHARE * len(want), sorted(want - set(arts))
    # Nothing but article and document pages: no listing, home, placeholder or alias.
    assert {p for p in arts if truth.get(p) is None or truth[p].kind != "article"} == set()
    titles = [p for p in found if arts[p].title == truth[p].title]
    dates = [p for p in found if date_right(truth[p], arts[p])]
    assert len(titles) >= SHARE * len(found), {p: (truth[p].title, arts[p].title)
                                               for p in found - set(titles)}
    assert len(dates) >= SHARE * len(found), {p: (truth[p].date, arts[p].published)
                                              for p in found - set(dates)}
    template = template_texts(portal.name)
    # No text the site repeats may stand in a body: as a line, or inside one when it is long
    # (a menu's "Công đoàn cơ sở" may well be words of an article; the body of a notice with no
    # text of its own is its title, which a menu may show too: not that).
    def leaked(art: Article, text: str) -> bool:
        if text in art.title:
            return False
        return text in art.body if len(text) >= 40 else text in art.body.split("\n")

    leaks = {p: {t for t in template if leaked(arts[p], t)} for p in found}
    assert {p: t for p, t in leaks.items() if t} == {}

    # Every page fetched once: a page path answered 200 at most once (its /slug alias is a 301).
    ok = Counter(unquote(urlsplit(r.path).path).removesuffix("index.html")
                 for r in portal.requests if r.status == 200)
    assert [p for p, n in ok.items() if n > 1] == []
    assert any(r.status == 301 for r in portal.requests)  # the links omit the slash
    # Coverage in the report: pages by kind, articles indexed, what was left and why.
    assert site.kinds.get("article", 0) + site.kinds.get("document", 0) == len(arts)
    assert site.indexed == len(arts)
    assert site.not_fetched.get("off-site", 0) > 0
    assert report.sites[0].failed is None


def test_explain_and_reextract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with StaticPortal("stp") as portal:
        data = tmp_path / "data"
        settings = replace(Settings(), data_dir=data, crawl_delay=0.0, max_pages=500,
                           crawl_rate=0.0)
        crawl(settings, [generic_site(portal.url + "/", settings)], policy_overrides=FAST)
        before = indexed(settings)
        portal.clear_log()
        assert main(["--data-dir", str(data), "crawl", "--explain",
                     portal.url + "/tin-lich-tiep-cong-dan"]) == 0
        out = capsys.readouterr().out
        assert "kind: article — its own title and date" in out
        assert "title: 'Tin lịch tiếp công dân'" in out
        assert f"{portal.url}/tin-lich-tiep-cong-dan/\n" in out  # the page the slashless URL is
        assert "date: 2019-07-05T16:05:00" in out
        assert main(["--data-dir", str(data), "crawl", "--explain", portal.url + "/"]) == 0
        assert "kind: listing" in capsys.readouterr().out
        assert portal.requests == []  # both read from the stored copies
        assert main(["--data-dir", str(data), "crawl", "--site", portal.url + "/",
                     "--reextract"]) == 0
        assert portal.requests == []
        assert indexed(settings).keys() == before.keys()
