"""Article, document, listing or empty: decided from the evidence on the page and the site's
template, whatever related-headline lists surround the page."""

from __future__ import annotations

import pytest

from crawl.extract import extract
from crawl.markup import parse
from crawl.template import SiteTemplate, page_keys

SITE = "http://huyen.example.vn"
BANNER = "<h1>HUYỆN KRÔNG NÔ - ĐOÀN KẾT, ĐỔI MỚI, PHÁT TRIỂN</h1>"
SIDEBAR = ("<div class='hop'><h3>Thông báo mới</h3><p>Lịch tiếp công dân định kỳ của lãnh đạo "
           "UBND huyện vào thứ Năm hằng tuần tại trụ sở tiếp công dân.</p></div>"
           "<div class='chan'><p>Cơ quan chủ quản: UBND huyện Krông Nô, tỉnh Đắk Nông</p></div>")
RELATED = ("<div><p>TIN ĐÃ ĐƯA</p><ul>" + "".join(
    f"<li><a href='/tin-{n}'>Huyện tổ chức hội nghị sơ kết công tác quý {n} năm 2021 "
    f"tại hội trường UBND</a> (0{n}/04/2021)</li>" for n in range(1, 6)) + "</ul></div>")
TEXT = ("UBND huyện Krông Nô tổ chức hội nghị tổng kết công tác cải cách hành chính năm 2021 và "
        "triển khai nhiệm vụ năm 2022 với sự tham dự của lãnh đạo các phòng, ban, ngành. ")


def page(main: str, title: str = "Cổng thông tin điện tử huyện Krông Nô") -> str:
    return (f"<html lang='vi'><head><title>{title}</title></head><body>{BANNER}"
            f"<div class='giua'>{main}</div>{SIDEBAR}</body></html>")


def learned(*pages: tuple[str, str]) -> SiteTemplate:
    """A site template learned from (path, html) pages."""
    template = SiteTemplate()
    for path, html in pages:
        markup = parse(html, SITE + path)
        template.observe(path, page_keys(markup.lines, markup.page_title))
    return template


ARTICLE = page("<h2>Krông Nô tổng kết cải cách hành chính năm 2021</h2><p>Thứ Sáu, 24/12/2021 "
               f"08:30</p><p>{TEXT * 4}</p>{RELATED}",
               "Krông Nô tổng kết cải cách hành chính năm 2021 - Cổng thông tin điện tử")
NOTICE = page("<h2>Thông báo lịch tiếp công dân tháng 1/2022</h2><p>Ngày 05/01/2022</p>"
              "<p>Xem chi tiết <a href='/img/tb-01.pdf'>tại đây</a></p>" + RELATED)
LISTING = page("<h2>Tin hoạt động</h2>" + "".join(
    f"<div><h3><a href='/tin-{n}'>Huyện tổ chức hội nghị sơ kết công tác quý {n} năm 2021 tại "
    f"hội trường</a> <span>(0{n}/04/2021)</span></h3><p>{TEXT[:120]}</p></div>"
    for n in range(1, 7)))
TITLE_ONLY = page("<h2>Tin tiếp dân đang được xây dựng nội dung</h2>")
SOFT_404 = page("<h2>Không tìm thấy trang</h2><p>Trang bạn yêu cầu không tồn tại hoặc đã bị "
                "xóa, vui lòng quay lại trang chủ.</p>")
TEMPLATE = learned(*[(f"/p{n}", page(f"<h2>Bài số {n} của trang</h2><p>{TEXT}</p>"))
                     for n in range(12)])


def test_banner_h1_is_never_the_title() -> None:
    ex = extract(ARTICLE, SITE + "/krong-no-tong-ket-cai-cach-hanh-chinh-nam-2021", None,
                 TEMPLATE)
    assert ex.kind == "article"
    assert ex.title == "Krông Nô tổng kết cải cách hành chính năm 2021"
    assert ex.published == "2021-12-24T08:30:00"
    assert ("HUYỆN KRÔNG NÔ - ĐOÀN KẾT, ĐỔI MỚI, PHÁT TRIỂN", "template (on 12 of 12 pages)") in (
        ex.rejected_titles)
    # Related headlines and the sidebar are not the body.
    assert "sơ kết" not in ex.body and "Lịch tiếp công dân" not in ex.body
    assert ex.body.startswith("UBND huyện Krông Nô tổ chức hội nghị")


def test_short_notice_with_related_list_is_a_document() -> None:
    ex = extract(NOTICE, SITE + "/thong-bao-lich-tiep-cong-dan-thang-1-2022", None, TEMPLATE)
    assert (ex.kind, ex.why) == ("document", "its own title and date")
    assert ex.published == "2022-01-05"
    assert [a["url"] for a in ex.attachments] == [SITE + "/img/tb-01.pdf"]
    assert ex.evidence.related_lines >= 5  # the TIN ĐÃ ĐƯA list was seen and set aside


def test_heading_over_links_is_a_listing() -> None:
    ex = extract(LISTING, SITE + "/tin-hoat-dong", None, TEMPLATE)
    assert ex.kind == "listing"
    assert ex.body == ""  # a listing's text is never extracted


@pytest.mark.parametrize("html", [TITLE_ONLY, SOFT_404], ids=["a title alone", "soft 404"])
def test_pages_without_content_are_empty(html: str) -> None:
    assert extract(html, SITE + "/tin-tiep-dan", None, TEMPLATE).kind == "empty"


def test_the_template_is_what_tells_the_banner_from_the_title() -> None:
    # One page alone, with nothing naming its headline (no <title>, no slug): the banner is
    # a heading like any other, and the first. The site's other pages show it is the banner.
    bare = ARTICLE.replace("Krông Nô tổng kết cải cách hành chính năm 2021 - Cổng thông tin "
                           "điện tử", "")
    alone = extract(bare, SITE + "/bai-1")
    assert alone.title == "HUYỆN KRÔNG NÔ - ĐOÀN KẾT, ĐỔI MỚI, PHÁT TRIỂN"
    learned_site = extract(bare, SITE + "/bai-1", None, TEMPLATE)
    assert learned_site.title == "Krông Nô tổng kết cải cách hành chính năm 2021"


def test_template_counts_lines_once_per_page_and_round_trips() -> None:
    template = TEMPLATE
    assert template.pages == 12
    assert template.is_template("Cơ quan chủ quản: UBND huyện Krông Nô, tỉnh Đắk Nông")
    assert not template.is_template("Bài số 3 của trang")
    assert not template.observe("/p3", {"x:anything"})  # a page counts once
    again = SiteTemplate.from_json(template.to_json())
    assert again.pages == 12 and again.counts == template.counts
    assert again.elements == template.elements
