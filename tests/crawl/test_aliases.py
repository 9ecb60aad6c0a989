"""One page, one stored article: redirects, canonical links, and canonical links that lie."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from crawl.run import crawl
from crawl.sites import generic_site
from indexer.config import Settings
from tests.crawl.test_portals import FAST, indexed
from tests.fixtures.portals.server import StaticPortal

TEXT = ("Ủy ban nhân dân huyện tổ chức hội nghị tổng kết công tác năm 2021, đánh giá kết quả "
        "thực hiện nhiệm vụ và đề ra phương hướng cho năm 2022. ")


def page(title: str, canonical: str | None = None, links: str = "") -> bytes:
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (f"<html lang='vi'><head><title>{title}</title>{head}</head><body>"
            f"<div class='tieu-de'><h1>{title}</h1></div><p>Ngày 24/12/2021</p>"
            f"<p>{TEXT * 3}</p>{links}</body></html>").encode()


def test_canonical_links_that_lie_are_not_followed(tmp_path: Path) -> None:
    links = "".join(f'<a href="/bai-{n}">Bài số {n} của huyện về công tác năm 2021</a>'
                    for n in range(6))
    pages = {"/": f"<html><body><h2>Tin tức</h2>{links}</body></html>".encode()}
    # Two pages name a page that does not exist as their canonical; four share one canonical
    # (a template's: every page says it is /trang-chu); none of them is an alias.
    for n in range(2):
        pages[f"/bai-{n}/"] = page(f"Hội nghị số {n} tổng kết năm 2021", "/khong-co")
    for n in range(2, 6):
        pages[f"/bai-{n}/"] = page(f"Hội nghị số {n} tổng kết năm 2021", "/trang-chu")
    pages["/trang-chu/"] = page("Trang chủ của huyện")
    with StaticPortal("aliases", pages=pages) as portal:
        settings = replace(Settings(), data_dir=tmp_path / "data", crawl_delay=0.0,
                           crawl_rate=0.0)
        report = crawl(settings, [generic_site(portal.url + "/", settings)],
                       policy_overrides=FAST)
    arts = indexed(settings)
    assert {f"/bai-{n}/" for n in range(6)} <= set(arts)
    statuses = [(r.path, r.status) for r in portal.requests]
    assert ("/khong-co", 404) in statuses  # asked once, found missing
    assert report.sites[0].failed is None


def test_a_slash_redirect_is_one_page_fetched_once(tmp_path: Path) -> None:
    links = "".join(f'<a href="/bai-{n}">Bài số {n} của huyện về công tác năm 2021</a>'
                    for n in range(5))
    pages = {"/": f"<html><body><h2>Tin tức</h2>{links}{links}</body></html>".encode()}
    for n in range(5):
        pages[f"/bai-{n}/"] = page(f"Hội nghị số {n} tổng kết năm 2021",
                                   links=f'<a href="/bai-{n}?utm_source=x">Bản in</a>')
    with StaticPortal("slash", pages=pages) as portal:
        settings = replace(Settings(), data_dir=tmp_path / "data", crawl_delay=0.0,
                           crawl_rate=0.0)
        crawl(settings, [generic_site(portal.url + "/", settings)], policy_overrides=FAST)
    assert set(indexed(settings)) == {f"/bai-{n}/" for n in range(5)}
    ok = [r.path for r in portal.requests if r.status == 200 and r.path.startswith("/bai")]
    assert sorted(ok) == [f"/bai-{n}/" for n in range(5)]  # each page's body fetched once
    redirects = [r.path for r in portal.requests if r.status == 301]
    assert len(redirects) == 3  # then the crawler asks with the slash the site wants
