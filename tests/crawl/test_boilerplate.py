"""crawl.boilerplate: Vietnamese portal widgets, related lists, controls and footers."""

import pytest
from bs4 import BeautifulSoup

from crawl.boilerplate import clean_lines, is_junk_line, remove_widgets

ARTICLE = [
    "UBND huyện Đắk Song tổ chức hội nghị tổng kết công tác năm 2021.",
    "Hôm nay, lãnh đạo huyện đã làm việc với các xã về chuyển đổi số.",
]
JUNK = ["In bài viết", "Gửi email", "Chia sẻ", "Lượt truy cập: 1.234.567", "Đang truy cập: 25",
        "Online: 12", "Liên kết website", "Thống kê", "Lên đầu trang"]


@pytest.mark.parametrize("line", JUNK, ids=JUNK)
def test_controls_and_counters_are_junk(line: str) -> None:
    assert is_junk_line(line)


WORDS = [*ARTICLE, "Hôm nay", "Online", "Tổng cộng 3 xã"]


@pytest.mark.parametrize("line", WORDS, ids=WORDS)
def test_article_words_are_not_counters(line: str) -> None:
    # "Hôm nay"/"Online" are widget labels only when a number follows them.
    assert not is_junk_line(line)


RELATED = ["Các tin khác", "Tin liên quan", "Tin cùng chuyên mục", "Bài viết liên quan"]


@pytest.mark.parametrize("heading", RELATED, ids=RELATED)
def test_cut_at_related_heading_and_drop_footer(heading: str) -> None:
    lines = [*ARTICLE, "In bài viết", heading, "Tin cũ về hội nghị (02/06/2021)",
             "Bản quyền thuộc UBND huyện Đắk Song"]
    assert clean_lines(lines) == ARTICLE


@pytest.mark.parametrize("heading", RELATED, ids=RELATED)
def test_remove_widget_blocks_keeps_article(heading: str) -> None:
    paras = "".join(f"<p>{p}</p>" for p in ARTICLE * 3)
    html = (f"<body><div id='main'><h1>Tiêu đề</h1>{paras}"
            f"<h3>{heading}</h3><ul><li><a href='/a'>Tin cũ</a></li></ul></div>"
            "<div class='box'><div class='t'>Liên kết website</div><a href='/x'>UBND tỉnh</a></div>"
            "<p><b>Hôm nay</b>, người dân xã Nam Bình đón Tết.</p></body>")
    soup = BeautifulSoup(html, "lxml")
    remove_widgets(soup.body)
    text = soup.get_text(" ")
    assert all(p in text for p in ARTICLE)
    assert "Tin cũ" not in text and heading not in text
    assert "Liên kết website" not in text and "UBND tỉnh" not in text
    assert "Hôm nay" in text  # a word inside a sentence is not a widget heading
