"""crawl.sqlite bookkeeping, revisit schedule, and sites.toml loading."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from crawl.sites import DAY, generic_site, load_sites
from crawl.state import MAX_REVISIT, State, next_visit
from indexer.config import Settings
from indexer.errors import ConfigError

URL = "http://daksong.daknong.gov.vn/bai-viet"
PAGE = "<p>Huyện Đắk Song tổ chức Hội nghị tổng kết công tác năm 2021</p>".encode() * 50


def test_page_roundtrip_and_counts(tmp_path: Path) -> None:
    with State(tmp_path / "crawl.sqlite") as st:
        st.save(URL, "daksong", 100.0, kind="article", status=200, visit=200.0, etag='"v1"',
                last_modified="Wed, 21 Oct 2015 07:28:00 GMT", content_type="text/html",
                content_hash="h1", article_id=URL, raw=PAGE)
        page = st.get(URL)
        assert page is not None and page.etag == '"v1"' and page.has_raw
        assert st.raw(URL) == PAGE
        blob = st.conn.execute("SELECT length(raw) FROM pages").fetchone()[0]
        assert blob < len(PAGE) / 5  # stored compressed
        st.not_modified(URL, 300.0, 400.0)
        assert st.get(URL).unchanged == 1  # type: ignore[union-attr]
        assert st.due("daksong", 399.0) == [] and st.due("daksong", 400.0) == [(URL, "article")]
        assert st.missing(URL, "daksong", 500.0, 404, 600.0) == 1
        assert st.missing(URL, "daksong", 700.0, 410, 800.0) == 2
        assert not st.article_fed_elsewhere(URL, URL)
        st.forget_article(URL)
        assert st.get(URL).article_id is None  # type: ignore[union-attr]
        assert st.counts() == {"page": 1}


def test_a_200_resets_the_gone_count(tmp_path: Path) -> None:
    with State(tmp_path / "crawl.sqlite") as st:
        st.missing(URL, "daksong", 1.0, 404, 2.0)
        st.save(URL, "daksong", 3.0, kind="article", status=200, visit=4.0, raw=PAGE)
        assert st.get(URL).not_found == 0  # type: ignore[union-attr]


def test_listings_often_articles_rarely() -> None:
    site = generic_site(URL, Settings())
    assert next_visit("listing", 0, 5, site) == 3600
    assert next_visit("article", 0, 0, site) == 7 * DAY
    assert next_visit("article", 0, 1, site) == 14 * DAY  # unchanged: come back later
    assert next_visit("article", 0, 30, site) == MAX_REVISIT


def test_sites_toml(tmp_path: Path) -> None:
    toml = tmp_path / "sites.toml"
    toml.write_text(
        """
[tracuu]
user_agent = "tracuu/0.1"
crawl_delay = 2.0
max_minutes = 45
crawl_concurrency = 4
crawl_rate = 5.5

[[site]]
url = "https://daksong.daknong.gov.vn/"
name = "Đắk Song"
delay = 5
max_pages = 300
max_minutes = 20
start_urls = ["https://daksong.daknong.gov.vn/tin-tuc-su-kien"]
revisit_articles_days = 30
[site.selectors]
title = "p.Title"
body = "div[class^=ExternalClass]"
remove = ".css_linkstoweb"

[[site]]
url = "https://krongno.daknong.gov.vn/"
""", encoding="utf-8")
    settings = Settings.load(env={}, config_file=toml)
    sites = load_sites(settings)
    assert [s.name for s in sites] == ["Đắk Song", "krongno.daknong.gov.vn"]
    ds = sites[0]
    assert ds.delay == 5 and ds.max_pages == 300 and ds.revisit_articles == 30 * DAY
    assert ds.max_minutes == 20 and sites[1].max_minutes == 45  # the global max_minutes
    assert (settings.crawl_concurrency, settings.crawl_rate) == (4, 5.5)
    assert ds.label == "Đắk Song" and sites[1].label == ""  # unnamed: learned from the site
    assert ds.selectors["remove"] == (".css_linkstoweb",)
    assert len(ds.start_urls) == 2 and ds.allows_host("www.daksong.daknong.gov.vn")
    assert sites[1].delay == 2.0  # the global crawl_delay
    # --site picks the matching table; an unknown URL is crawled generically.
    picked = load_sites(settings, ["https://daksong.daknong.gov.vn/", "http://xa.vn/"], 10)
    assert [s.name for s in picked] == ["Đắk Song", "xa.vn"]
    assert {s.max_pages for s in picked} == {10}


@pytest.mark.parametrize(
    "table",
    [{"url": "ftp://x.vn/"}, {"url": "http://x.vn/", "dealy": 3}, {"name": "no url"},
     {"url": "http://x.vn/", "selectors": {"titel": "h1"}}],
    ids=["not-http", "typo", "no-url", "bad-selector"],
)
def test_bad_site_tables(table: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        load_sites(replace(Settings(), sites=(table,)))


def test_no_sites() -> None:
    with pytest.raises(ConfigError, match="no sites"):
        load_sites(Settings())


def test_two_portals_on_one_address_are_two_sites() -> None:
    settings = Settings()
    sites = load_sites(settings, ["http://127.0.0.1:8001/", "http://127.0.0.1:8002/",
                                  "https://xa.vn:443/"])
    assert [s.name for s in sites] == ["127.0.0.1:8001", "127.0.0.1:8002", "xa.vn"]


def test_a_state_file_of_an_older_release_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    old = sqlite3.connect(path)
    old.executescript("CREATE TABLE sites (site TEXT PRIMARY KEY, template TEXT, habits TEXT);"
                      "INSERT INTO sites VALUES ('daksong', '{}', '{}');")
    old.commit()
    old.close()
    with State(path) as st:
        assert st.memory("daksong") == ("{}", "{}") and st.name_of("daksong") is None
        st.set_name("daksong", "Huyện Đắk Song")
        st.remember("daksong", "{\"t\": 1}", "{}")
        assert st.name_of("daksong") == "Huyện Đắk Song"  # a new template keeps the name


def test_file_links_and_files_wanted_later(tmp_path: Path) -> None:
    pdf = "http://xa.vn/img/ke-hoach.pdf"
    with State(tmp_path / "crawl.sqlite") as st:
        st.link_file(pdf, URL)
        st.link_file(pdf, URL)  # once
        st.link_file(pdf, URL + "-2")
        assert st.files_of(URL) == [pdf] and st.pages_linking(pdf) == [URL, URL + "-2"]
        st.want_file(pdf, "xa", 10.0, 10.0)  # the budget ran out: ask on the next run
        assert st.due("xa", 10.0) == [(pdf, "attachment")]
        st.unlink_file(pdf)
        assert st.files_of(URL) == []
