"""crawl.extract on real saved pages and on real article text inside a real portal page."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from crawl.encoding import decode_html
from crawl.extract import SiteRules, extract, to_article
from indexer.document import clean_body

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
EXPECTED = json.loads((PAGES / "expected.json").read_text("utf-8"))
SYNTHETIC = json.loads((PAGES / "synthetic.json").read_text("utf-8"))
# The SharePoint 2010 (LacViet web parts) layout of the Đắk Song portal, as sites.toml gives it.
DAKSONG = SiteRules(title="p.Title", body="#tableforprint", date="td.Time",
                    remove=(".htvb_Att_img",))
BOILERPLATE = [
    "Liên kết website", "Lượt truy cập", "Thống kê", "Online", "Đang truy cập", "Các tin khác",
    "Tin liên quan", "In bài viết", "Gửi email", "Chia sẻ", "TIN ĐÃ ĐƯA", "Đăk Song, tỉnh Đăk Nông",
    "Giấy phép", "Điện thoại", "Nhiệt liệt chào mừng", "Trang chủ",
]


def _html(name: str) -> str:
    text, _ = decode_html(gzip.decompress((PAGES / f"{name}.html.gz").read_bytes()))
    return text


@pytest.mark.parametrize("name", list(EXPECTED), ids=[e["id"] for e in EXPECTED.values()])
def test_real_pages(name: str) -> None:
    want = EXPECTED[name]
    ex = extract(_html(name), want["url"])
    assert ex.is_article is want["is_article"]
    for key in ("title", "published", "category", "author"):
        if key in want:
            assert getattr(ex, key) == want[key], key
    for url in want.get("attachments", []):
        assert url in [a["url"] for a in ex.attachments]
    for snippet in want.get("body_has", []):
        assert snippet in ex.body
    for snippet in want.get("body_lacks", []):
        assert snippet not in ex.body


def test_document_page_becomes_article_with_its_file() -> None:
    name = "daksong-tb-lich-tiep-cong-dan-2020"
    ex = extract(_html(name), EXPECTED[name]["url"], DAKSONG)
    article = to_article(ex, "daksong.daknong.gov.vn", "2024-01-01T00:00:00")
    assert article is not None
    assert article.published == "2020-01-13"
    assert [a.url for a in article.attachments] == EXPECTED[name]["attachments"]


@pytest.mark.parametrize("name", ["daksong-list-tcd-nam-binh", "vnexpress-home-2024-03"],
                         ids=["danh sách Nam Bình", "trang chủ VnExpress"])
def test_listings_are_not_articles(name: str) -> None:
    ex = extract(_html(name), EXPECTED[name]["url"])
    assert to_article(ex, None, None) is None


def _paragraphs(name: str) -> list[str]:
    return clean_body(SYNTHETIC[name]["body"]).split("\n")


def _widget_texts(html: str) -> list[str]:
    """The texts of the widgets around the article, read from the page itself."""
    soup = BeautifulSoup(html, "lxml")
    boxes = soup.select(".box-lienket, .box-thongke, .tools, .other-news, .breadcrumb")
    assert len(boxes) == 5
    return [li.get_text(strip=True) for box in boxes for li in box.find_all(["a", "div", "li"])]


@pytest.mark.parametrize("rules", [None, DAKSONG], ids=["chung", "theo trang"])
@pytest.mark.parametrize("name", list(SYNTHETIC), ids=[v["title"] for v in SYNTHETIC.values()])
def test_portal_boilerplate_stays_out_of_body(name: str, rules: SiteRules | None) -> None:
    html = _html(name)
    ex = extract(html, f"http://daksong.daknong.gov.vn/{name}/", rules)
    assert ex.is_article
    assert ex.title == SYNTHETIC[name]["title"]
    lines = ex.body.split("\n")
    for para in _paragraphs(name):
        assert para in lines
    for phrase in BOILERPLATE:
        assert phrase.lower() not in ex.body.lower(), phrase
    for other in SYNTHETIC[name]["others"]:
        assert other not in ex.body
    for text in _widget_texts(html):
        assert text not in lines


CASES = {
    "synthetic-daksong-signed": ("2021-06-24T08:30:00", "Nguyễn Văn A - Văn phòng HĐND-UBND",
                                 "Tin Kinh tế - Đời sống", None, None),
    "synthetic-daksong-tacgia": ("2021-07-05", "Trần Thị Bình", "Tin Chính trị - Xã hội",
                                 None, None),
    "synthetic-daksong-vanban": ("2021-03-12", None, "Văn bản của Huyện", "123/KH-UBND",
                                 "kế hoạch"),
}


@pytest.mark.parametrize("rules", [None, DAKSONG], ids=["chung", "theo trang"])
@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_portal_metadata(name: str, rules: SiteRules | None) -> None:
    published, author, category, number, doc_type = CASES[name]
    ex = extract(_html(name), f"http://daksong.daknong.gov.vn/{name}/", rules)
    assert (ex.published, ex.author, ex.category) == (published, author, category)
    assert (ex.doc_number, ex.doc_type) == (number, doc_type)
    if author:
        assert author not in ex.body


def test_document_attachment_is_absolute_with_its_link_text() -> None:
    ex = extract(_html("synthetic-daksong-vanban"), "http://daksong.daknong.gov.vn/vb/")
    assert {"url": "http://daksong.daknong.gov.vn/van-ban/123-KH-UBND.docx",
            "title": "Kế hoạch số 123/KH-UBND"} in ex.attachments


def test_canonical_url_same_host_only() -> None:
    page = ('<html><head><link rel="canonical" href="/tin/a-1.html"><title>{}</title></head>'
            "<body><h1>Huyện Đắk Song tổ chức hội nghị</h1><p>{}</p></body></html>")
    body = "Ủy ban nhân dân huyện tổ chức hội nghị tổng kết công tác năm. " * 10
    ex = extract(page.format("x", body), "http://daksong.gov.vn/tin/a-1.html?utm=1")
    assert ex.url == "http://daksong.gov.vn/tin/a-1.html"
    other = page.replace("/tin/a-1.html", "https://baodaknong.vn/a.html")
    ex = extract(other.format("x", body), "http://daksong.gov.vn/tin/a-1.html?utm=1")
    assert ex.url == "http://daksong.gov.vn/tin/a-1.html?utm=1"
