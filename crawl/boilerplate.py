"""Vietnamese portal boilerplate: widget headings, related-news blocks, share links, footers."""

from __future__ import annotations

import functools
import re
import unicodedata

from bs4 import BeautifulSoup, Tag

from indexer.text import fold


@functools.lru_cache(maxsize=8192)
def _key(text: str) -> str:
    """Compare labels folded, lower-cased, without punctuation or spacing."""
    text = fold(unicodedata.normalize("NFC", text)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


# Headings of lists of other articles: the block they head is not the article.
RELATED = {_key(s) for s in (
    "Các tin khác", "Tin khác", "Tin liên quan", "Tin cùng chuyên mục", "Bài viết liên quan",
    "Các bài viết khác", "Bài viết khác", "Bài liên quan", "Tin đã đưa", "Các tin đã đưa",
    "Tin bài khác", "Các tin bài khác", "Tin bài liên quan", "Tin tức liên quan",
    "Văn bản liên quan", "Văn bản khác", "Các văn bản khác", "Tin mới hơn", "Tin cũ hơn",
    "Tin mới", "Tin mới nhất", "Tin xem nhiều", "Tin đọc nhiều", "Đọc nhiều nhất", "Tin nổi bật",
    "Xem thêm", "Tin cùng loại", "Các tin cùng chuyên mục", "Tin tiếp theo",
)}
# Side widgets of district portals (counters, link boxes, polls).
WIDGETS = {_key(s) for s in (
    "Liên kết website", "Liên kết web", "Liên kết", "Website liên kết", "Lượt truy cập",
    "Tổng lượt truy cập", "Thống kê", "Thống kê truy cập", "Đang online", "Đang truy cập",
    "Thăm dò ý kiến", "Bình chọn", "Thư viện ảnh", "Thư viện video", "Video clip",
    "Bản đồ hành chính", "Lịch công tác", "Hỗ trợ trực tuyến", "Quảng cáo",
)}
# Counter labels: junk only as "label: number" lines, ordinary words elsewhere.
COUNTERS = WIDGETS | {_key(s) for s in (
    "Online", "Đang trực tuyến", "Trực tuyến", "Hôm nay", "Hôm qua", "Tuần này", "Tháng này",
    "Trong tháng", "Tất cả", "Tổng cộng", "Tổng", "Lượt xem", "Số lượt xem",
)}
# Lines that are controls, not text (share, print, back-to-top, download prompts).
CONTROLS = {_key(s) for s in (
    "In bài viết", "In bài", "In trang", "Bản in", "Gửi email", "Gửi bài viết", "Gửi cho bạn bè",
    "Email", "Chia sẻ", "Chia sẻ bài viết", "Chia sẻ Facebook", "Facebook", "Twitter", "Zalo",
    "Lên đầu trang", "Về đầu trang", "Đầu trang", "Quay lại", "Trở về", "Trở lại", "Lưu bài viết",
    "Nhấn vào để xem", "Nhấn vào để xem chi tiết", "Chi tiết", "Xem chi tiết", "Tải về",
    "Tải xuống", "Tải file", "Download", "Bình luận", "Ý kiến bạn đọc", "Gửi ý kiến",
    "Phản hồi", "Cỡ chữ", "Tweet", "Like", "Share", "Print",
)}
_COUNTER = re.compile(r"^(?P<label>[^\d:]{2,30})\s*[:\-]?\s*\d[\d.,\s]*$")
# Portal footers: publisher, licence, address, contact lines.
_FOOTER = re.compile(
    r"^(?:®|©|bản quyền|copyright|cơ quan chủ quản|cơ quan quản trị|chịu trách nhiệm|"
    r"giấy phép|địa chỉ|đia chỉ|điện thoại|fax|email|e-mail|trưởng ban biên tập|"
    r"ghi rõ nguồn|trang thông tin điện tử|cổng thông tin điện tử)",
    re.I,
)


def is_heading_of(text: str, names: set[str]) -> bool:
    """True when a short text is one of the given headings (case, accents, punctuation aside)."""
    return len(text) <= 60 and _key(text) in names


def is_junk_line(line: str) -> bool:
    """A widget counter or a share/print control standing alone on a line."""
    key = _key(line)
    if not key:
        return not any(ch.isalnum() for ch in line)
    if key in CONTROLS or key in WIDGETS:
        return True
    if len(line) > 60:
        return False
    m = _COUNTER.match(line.strip())
    return bool(m and _key(m.group("label")) in COUNTERS)


def is_footer_line(line: str) -> bool:
    """A portal footer line (copyright, publisher, address, telephone)."""
    return bool(_FOOTER.match(line.strip()))


def clean_lines(lines: list[str]) -> list[str]:
    """Drop controls and counters, cut at a related-news heading, drop a trailing footer."""
    out: list[str] = []
    for line in lines:
        if is_heading_of(line, RELATED) and out:
            break  # what follows lists other articles
        if is_heading_of(line, RELATED) or is_junk_line(line):
            continue
        out.append(line)
    while out and is_footer_line(out[-1]):
        out.pop()
    return out


def _link_text_len(tag: Tag) -> int:
    return sum(len(a.get_text(strip=True)) for a in tag.find_all("a"))


def _own_text_len(tag: Tag) -> int:
    """Text that is not inside links: what an article container has plenty of."""
    return len(tag.get_text(strip=True)) - _link_text_len(tag)


_BLOCKS = {"p", "div", "td", "th", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "caption",
           "legend", "section", "header", "table", "ul", "body"}


def _stands_alone(tag: Tag) -> bool:
    """True when the nearest block holding this element has no other text (a heading, not a
    word inside a sentence such as '<b>Hôm nay</b>, UBND huyện...')."""
    block: Tag | None = tag
    while block is not None and block.name not in _BLOCKS:
        block = block.parent
    return block is not None and _key(block.get_text()) == _key(tag.get_text())


def remove_widgets(root: Tag, keep: Tag | None = None) -> int:
    """Remove blocks headed by a related-news or widget heading; never one holding `keep`."""
    names = RELATED | WIDGETS
    heads = [
        t for t in root.find_all(string=True)
        if t.parent is not None and is_heading_of(t.strip(), names) and _stands_alone(t.parent)
    ]
    removed = 0
    for text in heads:
        # An earlier removal may already have taken this heading with it.
        node = getattr(text, "parent", None)
        if node is None or node.decomposed or node.parent is None:
            continue
        # Climb while the block adds links or little text: a widget box, not the article.
        while node.parent is not None and node.parent.name not in ("body", "html", "[document]"):
            parent = node.parent
            if keep is not None and (parent is keep or keep in parent.descendants):
                break
            if _own_text_len(parent) - _own_text_len(node) > 200:
                break
            node = parent
        if keep is not None and (node is keep or keep in node.descendants):
            continue
        # A heading inside the article container: its list follows as siblings.
        for sib in list(node.find_next_siblings()):
            if isinstance(sib, Tag) and _link_text_len(sib) > 0.5 * len(sib.get_text(strip=True)):
                sib.decompose()
                removed += 1
            else:
                break
        node.decompose()
        removed += 1
    return removed


def parse(html: str) -> BeautifulSoup:
    """Parse HTML with lxml through BeautifulSoup (forgiving, fast)."""
    return BeautifulSoup(html, "lxml")
