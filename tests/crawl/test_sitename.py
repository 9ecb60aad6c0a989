"""Portal names from home pages; pages a sitemap drops; file links; the run's summary line."""

from __future__ import annotations

from collections.abc import Collection

import pytest
from bs4 import BeautifulSoup

from crawl.metadata import is_file_link
from crawl.report import RunReport, SiteReport
from crawl.revisit import dropped
from crawl.sitename import name_from_page, name_from_title


@pytest.mark.parametrize(("title", "name"), [
    ("Trang Thông Tin Điện Tử huyện Đăk Song - tỉnh Đăk Nông", "Huyện Đăk Song"),
    ("Trang chủ - Cổng thông tin điện tử huyện Krông Nô (lưu trữ)", "Huyện Krông Nô (lưu trữ)"),
    ("CỔNG THÔNG TIN ĐIỆN TỬ HUYỆN KRÔNG NÔ", "Huyện Krông Nô"),
    ("CỔNG THÔNG TIN ĐIỆN TỬ THỊ XÃ GIA NGHĨA - TỈNH ĐẮK NÔNG", "Thị xã Gia Nghĩa"),
    ("UBND HUYỆN CƯ JÚT", "UBND huyện Cư Jút"),
    ("Trang chủ - Website Thanh tra tỉnh ĐắkNông", "Thanh tra tỉnh ĐắkNông"),
    ("Sở Tư pháp | Trang chủ", "Sở Tư pháp"),
    ("Trang chủ", None),
    ("", None),
], ids=["trang-ttdt-tinh", "trang-chu-cong", "banner-hoa", "thi-xa", "ubnd-hoa", "website",
        "trang-chu-sau", "chi-trang-chu", "rong"])
def test_name_from_title(title: str, name: str | None) -> None:
    assert name_from_title(title) == name


def test_name_from_page_prefers_the_site_name_then_title_then_banner() -> None:
    og = ('<html><head><meta property="og:site_name" content="Cổng TTĐT huyện Tuy Đức">'
          "<title>Tin tức - Trang chủ</title></head><body></body></html>")
    assert name_from_page(og) == "Huyện Tuy Đức"
    banner = ("<html><head><title>Trang chủ</title></head><body><h1>Tin mới</h1>"
              "<h1>CỔNG THÔNG TIN ĐIỆN TỬ HUYỆN ĐẮK MIL</h1></body></html>")
    assert name_from_page(banner) == "Huyện Đắk Mil"
    assert name_from_page("<html><head><title>Trang chủ</title></head></html>") is None


SITEMAP = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           "{}</urlset>")


def sitemap(n: int, skip: Collection[int] = ()) -> bytes:
    return SITEMAP.format("".join(f"<url><loc>http://xa.vn/bai-{i}</loc></url>"
                                  for i in range(n) if i not in skip)).encode()


def test_pages_a_sitemap_drops() -> None:
    assert dropped(sitemap(20), sitemap(20, {3})) == {"http://xa.vn/bai-3"}
    assert dropped(sitemap(20), sitemap(20)) == set()
    # Too many at once, or an empty sitemap: a broken sitemap, not deletions.
    assert dropped(sitemap(20), sitemap(20, set(range(5, 15)))) == set()
    assert dropped(sitemap(20), sitemap(0)) == set()


@pytest.mark.parametrize(("link", "is_file"), [
    ('<a href="/img/Kế hoạch 12.PDF">Kế hoạch</a>', True),
    ('<a href="/img/ct-03.odt">Chỉ thị</a>', True),
    ('<a href="/img/hd-12.rtf?v=2">Hướng dẫn</a>', True),
    ('<a href="/Pages/DownloadFile.aspx?FileID=1207">Tải về</a>', True),
    ('<a href="/vb?id=3">Tải về</a>', True),
    ('<a href="/anh/hoi-nghi.jpg">Tải về</a>', False),
    ('<a href="/tin-tuc/hoi-nghi">Hội nghị tổng kết</a>', False),
    ('<a href="javascript:void(0)">Tải về</a>', False),
], ids=["pdf-hoa", "odt", "rtf-query", "handler", "tai-ve", "anh", "trang", "javascript"])
def test_file_links(link: str, is_file: bool) -> None:
    a = BeautifulSoup(link, "html.parser").a
    assert a is not None and is_file_link(a) is is_file


def test_summary_gives_each_site_state() -> None:
    ok = SiteReport("a.vn", requests=10, new=2)
    slow = SiteReport("b.vn", requests=3, time_exhausted=True)
    full = SiteReport("c.vn", requests=50, budget_exhausted=True)
    dead = SiteReport("d.vn", failed="robots.txt unreachable: ConnectError")
    for s in (ok, slow, full, dead):
        s.settle_state()
    ok.file("fetched")
    ok.file("failed", "http://a.vn/x.pdf", "corrupt PDF")
    run = RunReport(started="", mode="crawl", sites=[ok, slow, full, dead],
                    ocr={"done": 2, "failed": 0, "left": 5})
    line = run.summary()
    assert line.startswith("crawl FAILED on d.vn (robots.txt unreachable: ConnectError): "
                           "4 site(s), 1 ok, b.vn: time budget exhausted, c.vn: budget "
                           "exhausted;")
    assert "files 1 fetched, 0 unchanged, 0 too large, 1 failed; OCR 2 pages done" in line
    assert ok.file_failures == ["http://a.vn/x.pdf: corrupt PDF"]
    assert [s.state for s in run.sites] == ["ok", "time budget exhausted", "budget exhausted",
                                            "failed: robots.txt unreachable: ConnectError"]
