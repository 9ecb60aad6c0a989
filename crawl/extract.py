"""HTML of one page → article fields (title, body, date, author, category, document data)."""

from __future__ import annotations

import itertools
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import trafilatura
from bs4 import BeautifulSoup, Tag

from crawl import boilerplate as bp
from crawl.dates import parse_vietnamese_date
from indexer.document import (
    Article,
    clean_body,
    doc_type_from_number,
    find_doc_number,
)
from indexer.errors import InvalidArticle

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteRules:
    """Per-site CSS selectors from a sites.toml entry; every field optional."""

    title: str | None = None
    body: str | None = None
    date: str | None = None
    author: str | None = None
    category: str | None = None
    remove: tuple[str, ...] = ()


@dataclass
class Extracted:
    """What one page yields before it becomes an Article."""

    url: str
    title: str | None
    body: str
    published: str | None
    author: str | None
    category: str | None
    doc_number: str | None
    doc_type: str | None
    attachments: list[dict[str, str]] = field(default_factory=list)
    is_article: bool = False


_VI_LETTERS = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)
_ATTACHMENT = re.compile(r"\.(pdf|docx?|xlsx?|rar|zip)(?:$|[?#])", re.I)
_ATTACHMENT_LINK = re.compile(r"\.(pdf|docx?|xlsx?)(?:$|[?#&])", re.I)
_TITLE_CLASS = re.compile(
    r"^(title|tieude|tieu-de|tieu_de|news-title|newstitle|article-title|post-title|entry-title|"
    r"headline|detail-title|title-detail|titlenews|title_detail|newsdetail-title|art-title)$",
    re.I,
)
_DATE_CLASS = re.compile(r"date|time|ngay|publish|created|post-?meta|thoigian", re.I)
_BREADCRUMB = re.compile(r"breadcrumb|bread-crumb|duongdan|duong-dan|path-way|pathway", re.I)
_NAV_CLASS = re.compile(
    r"(^|[-_ ])(menu|nav|navbar|footer|sidebar|breadcrumb|share|social|related|tinkhac|"
    r"lienquan|comment)([-_ ]|$)",
    re.I,
)
# SharePoint 2010's site-structure popout looks like a breadcrumb but is hidden chrome.
_SHAREPOINT_POPOUT = re.compile(r"s4-breadcrumb|ms-popoutMenu", re.I)
# Class or id tokens (lower case, '-' and '_' dropped) of category headings: a category word alone,
# or with a title/name word before or after it. SharePoint's news web parts call it FolderTitle.
_CATEGORY_TOKEN = re.compile(
    r"^(?:category|chuyenmuc|danhmuc|"
    r"(?:cat|cate|category|chuyenmuc|danhmuc|chuyende|folder|section|zone)"
    r"(?:title|name|heading|header|label)|"
    r"(?:title|ten|tieude|name|heading)(?:cat|cate|category|chuyenmuc|danhmuc|chuyende|folder))$"
)
_HOME_CRUMBS = {"trang chu", "home", "trang nhat", "trang chinh"}
_AUTHOR_LINE = re.compile(
    r"^\s*(?:tác giả|người viết|bài viết|bài và ảnh|bài, ảnh|tin, ảnh|tin và ảnh|bài|tin)\s*:\s*"
    r"(?P<name>.{2,80}?)\s*$",
    re.I,
)
# A closing name line: 'Nguyễn Văn A - Văn phòng HĐND-UBND', 'Thu Hà (TTVH)'.
_NAME_LINE = re.compile(r"^[A-ZĐÀ-Ỹ][\wÀ-ỹ.]*(?:\s+[A-ZĐÀ-Ỹ][\wÀ-ỹ.]*){0,5}(?:\s*[-–(,].{0,60})?$")
_FIELD_NUMBER = {"so ky hieu", "so hieu", "ky hieu", "so van ban", "so hieu van ban",
                 "so ky hieu van ban", "so"}
_FIELD_TYPE = {"loai van ban", "hinh thuc van ban", "the loai"}
_FIELD_DATE = {"ngay ban hanh", "ngay ky", "ngay dang", "ngay xuat ban"}
_FIELD_TITLE = {"trich yeu", "trich yeu noi dung", "tieu de"}
_ARTICLE_TYPES = {"article", "newsarticle", "blogposting", "report", "reportagenewsarticle",
                  "analysisnewsarticle", "webpage-article", "legislation"}
_LISTING_PATH = re.compile(r"/(?:page|trang)/\d+/?$|[?&](?:page|p|trang)=\d+", re.I)


def _text(node: Tag | None) -> str:
    if node is None:
        return ""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", node.get_text(" "))).strip()


def _select(soup: BeautifulSoup, selector: str | None) -> Tag | None:
    if not selector:
        return None
    try:
        return soup.select_one(selector)
    except Exception:  # soupsieve raises its own error types for bad selectors
        log.warning("bad CSS selector %r", selector)
        return None


def _all_tags(root: Tag) -> list[Tag]:
    """Every element under root in document order: one walk that the readers below share.

    Plain Python filters over this list are several times faster than bs4's find_all, which
    walked the whole tree again for every meta name, class pattern and heading looked for."""
    return [t for t in root.descendants if isinstance(t, Tag)]


def _metas(tags: list[Tag]) -> dict[str, str]:
    """Content of the page's <meta> tags by property, name and itemprop (first one wins)."""
    found: dict[str, str] = {}
    for tag in tags:
        if tag.name != "meta":
            continue
        content = str(tag.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            if key := str(tag.get(attr) or ""):
                found.setdefault(key, unicodedata.normalize("NFC", content))
    return found


def _meta(metas: dict[str, str], *names: str) -> str | None:
    return next((metas[n] for n in names if n in metas), None)


def _json_ld(tags: list[Tag]) -> list[dict[str, Any]]:
    """Objects of the page's JSON-LD scripts, flattened (@graph included)."""
    found: list[dict[str, Any]] = []
    for script in tags:
        if script.name != "script" or script.get("type") != "application/ld+json":
            continue
        try:
            data = json.loads(script.string or "")
        except (ValueError, TypeError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                found.append(item)
                stack.extend(x for x in item.get("@graph", []) if isinstance(x, dict))
            elif isinstance(item, list):
                stack.extend(item)
    return found


def _ld_types(objs: list[dict[str, Any]]) -> set[str]:
    types: set[str] = set()
    for obj in objs:
        t = obj.get("@type")
        for name in t if isinstance(t, list) else [t]:
            if isinstance(name, str):
                types.add(name.lower())
    return types


def _canonical_url(tags: list[Tag], url: str) -> str:
    link = next((t for t in tags if t.name == "link" and "canonical" in (t.get("rel") or [])),
                None)
    href = str(link.get("href") or "").strip() if link is not None else ""
    if not href:
        return url
    absolute = urljoin(url, href)
    # A canonical on another host is a syndication hint, not this page's address.
    if urlsplit(absolute).hostname != urlsplit(url).hostname:
        return url
    return absolute


def _in_chrome(tag: Tag) -> bool:
    """True inside navigation, header, footer, sidebars and similar page furniture."""
    for parent in [tag, *tag.parents]:
        if parent.name in ("nav", "footer", "header", "aside", "menu"):
            return True
        ident = " ".join([*(parent.get("class") or []), str(parent.get("id") or "")])
        if ident and _NAV_CLASS.search(ident):
            return True
    return False


def _find_title(soup: BeautifulSoup, rules: SiteRules, metas: dict[str, str],
                tags: list[Tag]) -> tuple[str | None, Tag | None]:
    """The headline and the element holding it (for finding the date and author near it)."""
    if (node := _select(soup, rules.title)) and _text(node):
        return _text(node), node
    og = _meta(metas, "og:title", "twitter:title", "headline")
    h1s = [h for h in tags if h.name == "h1" and len(_text(h)) >= 8 and not _in_chrome(h)]
    if og:
        for h in h1s:
            if _text(h) and (_text(h) in og or og in _text(h)):
                return _text(h), h
    if len(h1s) == 1:
        return _text(h1s[0]), h1s[0]
    for tag in tags:
        if not any(_TITLE_CLASS.search(c) for c in tag.get("class") or ()):
            continue
        text = _text(tag)
        if 8 <= len(text) <= 400 and tag.name != "a" and not _in_chrome(tag):
            return text, tag
    if og:
        return og, None
    page_title = _text(soup.title)
    if page_title:
        # '<headline> - <site name>': keep the longest part.
        parts = re.split(r"\s+[-|–—]\s+", page_title)
        return max(parts, key=len), None
    return None, None


def _doc_fields(tags: list[Tag]) -> dict[str, str]:
    """Label → value pairs of a document metadata table ('Số ký hiệu', 'Loại văn bản'...)."""
    fields: dict[str, str] = {}
    wanted = _FIELD_NUMBER | _FIELD_TYPE | _FIELD_DATE | _FIELD_TITLE
    for row in tags:
        if row.name not in ("tr", "dl"):
            continue
        cells = row.find_all(["td", "th", "dt", "dd"], recursive=False)
        if row.name == "tr" and cells and len(cells) < 2:
            continue
        for label, value in itertools.pairwise(cells):
            key = bp._key(_text(label))
            if key in wanted and key not in fields and (val := _text(value)):
                fields[key] = val
    return fields


def _dates_near(tags: list[Tag], anchor: Tag | None) -> str | None:
    """The date in a date-like element closest to the headline (before or after it)."""
    at = next((i for i, t in enumerate(tags) if t is anchor), 0) if anchor is not None else 0
    best: tuple[float, str] | None = None
    for i, tag in enumerate(tags):
        ident = " ".join([*(tag.get("class") or []), str(tag.get("id") or ""), tag.name])
        if not _DATE_CLASS.search(ident) or tag.name in ("script", "style", "html", "body"):
            continue
        dist = i - at
        # Dates after the headline belong to the article more often than those before it.
        cost = dist if dist >= 0 else -dist * 1.5
        if best is not None and cost >= best[0]:
            continue
        text = str(tag.get("datetime") or "") or _text(tag)
        if len(text) > 120 or _in_chrome(tag):
            continue
        if found := parse_vietnamese_date(text):
            best = (cost, found)
    return best[1] if best else None


def _find_date(soup: BeautifulSoup, rules: SiteRules, title_node: Tag | None,
               ld: list[dict[str, Any]], fields: dict[str, str],
               metas: dict[str, str], tags: list[Tag]) -> str | None:
    if (node := _select(soup, rules.date)) and (found := parse_vietnamese_date(_text(node))):
        return found
    for obj in ld:
        if isinstance(obj.get("datePublished"), str) and (
            found := parse_vietnamese_date(obj["datePublished"])
        ):
            return found
    meta = _meta(metas, "article:published_time", "og:published_time", "datePublished",
                 "pubdate", "publishdate", "dc.date.issued", "DC.date.issued", "date")
    if meta and (found := parse_vietnamese_date(meta)):
        return found
    if found := _dates_near(tags, title_node):
        return found
    for key in _FIELD_DATE:
        if key in fields and (found := parse_vietnamese_date(fields[key])):
            return found
    if title_node is not None and title_node.parent is not None:
        return parse_vietnamese_date(_text(title_node.parent)[:2000])
    return None


def _crumb_text(text: str, title: str | None) -> str | None:
    text = text.strip(" >»/|›:")
    if not text or len(text) > 80 or text == title or bp._key(text) in _HOME_CRUMBS:
        return None
    return text


def _is_category_box(tag: Tag) -> bool:
    """A category heading by its class or id: 'cat-title', 'ten-chuyen-muc', 'FolderTitle'."""
    tokens = [*(tag.get("class") or []), str(tag.get("id") or "")]
    return any(_CATEGORY_TOKEN.match(re.sub(r"[-_]", "", t.lower())) for t in tokens if t)


def _find_category(soup: BeautifulSoup, rules: SiteRules, title: str | None,
                   title_node: Tag | None, ld: list[dict[str, Any]],
                   metas: dict[str, str], tags: list[Tag]) -> str | None:
    """Site selector, then the breadcrumb's last crumb, then the page's declared section, then
    the category heading standing nearest before the headline."""
    if (node := _select(soup, rules.category)) and (text := _text(node)):
        return text
    by_class, by_id, by_label, by_type = [], [], [], []
    for tag in tags:
        if any(_BREADCRUMB.search(c) for c in tag.get("class") or ()):
            by_class.append(tag)
        if _BREADCRUMB.search(str(tag.get("id") or "")):
            by_id.append(tag)
        if "breadcrumb" in str(tag.get("aria-label") or "").lower():
            by_label.append(tag)
        if "breadcrumblist" in str(tag.get("itemtype") or "").lower():
            by_type.append(tag)
    for trail in by_class + by_id + by_label + by_type:
        if any(_SHAREPOINT_POPOUT.search(" ".join(t.get("class") or []))
               for t in [trail, *trail.parents]):
            continue
        crumbs = [_text(a) for a in trail.find_all("a")] or [_text(li) for li in
                                                            trail.find_all("li")]
        kept = [c for c in (_crumb_text(c, title) for c in crumbs) if c]
        if kept:
            return kept[-1]
    sections = [obj["articleSection"] for obj in ld if isinstance(obj.get("articleSection"), str)]
    for text in [*sections, _meta(metas, "article:section") or ""]:
        if found := _crumb_text(unicodedata.normalize("NFC", text), title):
            return found
    # The listing's heading repeated above the article (SharePoint 'td.FolderTitle', 'cat-title',
    # 'ten-chuyen-muc'...): the nearest one before the headline, outside the menus.
    if title_node is not None:
        at = next((i for i, t in enumerate(tags) if t is title_node), len(tags))
        boxes = [t for t in reversed(tags[:at]) if _is_category_box(t)]
    else:
        boxes = [t for t in tags if _is_category_box(t)]
    for box in boxes[:20]:
        found = _crumb_text(_text(box), title)
        if found and parse_vietnamese_date(found) is None and not _in_chrome(box):
            return found
    return None


def _find_author(soup: BeautifulSoup, rules: SiteRules, ld: list[dict[str, Any]]) -> str | None:
    if (node := _select(soup, rules.author)) and (text := _text(node)):
        m = _AUTHOR_LINE.match(text)
        return m.group("name") if m else text
    for obj in ld:
        author = obj.get("author")
        for a in author if isinstance(author, list) else [author]:
            name = a.get("name") if isinstance(a, dict) else a
            if isinstance(name, str) and name.strip() and "://" not in name:
                return unicodedata.normalize("NFC", name.strip())
    return None


# Elements that start a new line of body text; table cells of one row share a line.
_LINE_BLOCKS = (bp._BLOCKS - {"td", "th"}) | {"tr", "dd", "blockquote", "article", "pre",
                                              "figure", "figcaption", "ol"}


def _block_lines(node: Tag) -> list[str]:
    """Text of an element as lines, one per block element (p, div, li, tr, br...)."""
    lines: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        line = re.sub(r"\s+", " ", "".join(buf)).strip()
        if line:
            lines.append(line)
        buf.clear()

    def walk(tag: Tag) -> None:
        for child in tag.children:
            if isinstance(child, Tag):
                if child.name in ("script", "style", "noscript", "template", "iframe"):
                    continue
                if child.name == "br":
                    flush()
                    continue
                block = child.name in _LINE_BLOCKS
                if child.name in ("td", "th"):
                    buf.append(" | " if buf else "")
                if block:
                    flush()
                walk(child)
                if block:
                    flush()
            elif type(child).__name__ in ("NavigableString", "CData"):
                buf.append(str(child))

    walk(node)
    flush()
    return lines


def _author_from_lines(lines: list[str], node: Tag | None) -> tuple[str | None, list[str]]:
    """'Tác giả: X' anywhere, or a closing bold/right-aligned name line; removed from the body."""
    for i, line in enumerate(lines):
        m = _AUTHOR_LINE.match(line)
        if m and len(line) <= 100:
            return m.group("name").strip(), lines[:i] + lines[i + 1:]
    if len(lines) >= 2 and node is not None:
        last = lines[-1]
        if len(last) <= 90 and _NAME_LINE.match(last) and _looks_signed(node, last):
            return last, lines[:-1]
    return None, lines


def _looks_signed(node: Tag, line: str) -> bool:
    """True when the line sits in a right-aligned or all-bold block (a signature)."""
    for tag in node.find_all(["p", "div", "strong", "b", "span", "em", "i", "td"]):
        if _text(tag) != line:
            continue
        for el in [tag, *tag.parents]:
            if el is node:
                break
            style = str(el.get("style") or "").lower().replace(" ", "")
            if ("text-align:right" in style or str(el.get("align") or "").lower() == "right"
                    or el.name in ("strong", "b") or "font-weight:bold" in style):
                return True
        inner = tag.find(["strong", "b"])
        if inner is not None and _text(inner) == line:
            return True
    return False


def _attachments(root: Tag, base: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    seen: set[str] = set()
    for a in root.find_all("a", href=True):
        href = str(a["href"]).strip()
        if not _ATTACHMENT_LINK.search(href) or _in_chrome(a):
            continue
        absolute = urljoin(base, href)
        if absolute in seen:
            continue
        seen.add(absolute)
        title = _text(a).strip(" :")
        if len(title) < 4 or bp.is_junk_line(title):
            title = str(a.get("title") or "").strip() or absolute.rsplit("/", 1)[-1]
        found.append({"url": absolute, "title": unicodedata.normalize("NFC", title)})
    return found


def _unwrap_layout_tables(root: Tag) -> None:
    """Turn layout tables (cells holding paragraphs or tables) into divs.

    SharePoint and DotNetNuke portals lay whole pages out in tables; trafilatura would flatten a
    cell's paragraphs into one table row."""

    def unwrap(tag: Tag) -> None:
        for child in tag.children:
            if isinstance(child, Tag) and child.name in _TABLE_PARTS:
                child.name = "div"  # a row or cell of this table, not of a nested one
                unwrap(child)
            elif isinstance(child, Tag) and child.name != "table":
                unwrap(child)

    # Outer tables first (document order), so a nested table is judged on its own.
    for table in [t for t in root.descendants if isinstance(t, Tag) and t.name == "table"]:
        if not any(isinstance(d, Tag) and d.name in _LAYOUT_CONTENT for d in table.descendants):
            continue  # a data table: keep it
        table.name = "div"
        unwrap(table)


_TABLE_PARTS = {"thead", "tbody", "tfoot", "tr", "td", "th"}
_LAYOUT_CONTENT = {"p", "div", "table", "ul"}


def _after_headline(lines: list[str], title_node: Tag | None) -> list[str]:
    """Drop leading lines that are text from before the headline (banners, header rows)."""
    if title_node is None:
        return lines
    before = " ".join(
        re.sub(r"\s+", " ", str(s)) for s in title_node.find_all_previous(string=True)
    )
    out = list(lines)
    while out and all(cell and cell in before for cell in out[0].split(" | ")):
        out.pop(0)
    return out


def _generic_body(html: str) -> str:
    """Main text by trafilatura, tuned on bench/extract (precision mode, tables kept)."""
    text = trafilatura.extract(
        html, output_format="txt", include_comments=False, include_tables=True,
        favor_precision=True, deduplicate=False,
    )
    return text or ""


def _table_line(line: str) -> str:
    """trafilatura writes table rows as '| a | b |': keep the cells, drop layout padding."""
    if "|" not in line:
        return line
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    return " | ".join(c for c in cells if c)


_CHROME_TAGS = {"nav", "footer", "header", "aside", "menu"}
_NOT_TEXT = {"script", "style", "noscript", "template", "iframe", "select", "option", "svg",
             "button", "textarea"}
# Inline wrappers a portal may put a whole paragraph in, straight in a table cell or a div.
_INLINE = {"b", "strong", "em", "i", "span", "font"}
_LEAD_CLASS = re.compile(r"sapo|lead|description|summary|tom-?tat|trich-?dan|mo-?ta|intro", re.I)
_LEAD_TAGS = _INLINE | {"div"}
_HOLDS_BLOCKS = {"p", "div", "table", "ul", "ol", "li", "h1", "h2", "h3"}
_PARAGRAPHISH = {"p", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "caption",
                 "pre", "blockquote", "figcaption"}
# Listing shape: a headline link is an in-site link whose text reads like a headline; prose is a
# block of at least _PROSE characters outside links.
_HEADLINE_CHARS, _HEADLINE_WORDS, _PROSE = 30, 5, 50
# A page with this many headline links and no stretch of prose this long between two of them is
# a listing (category, document list, search results, home), not an article.
_LISTING_LINKS, _LISTING_RUN = 3, 400


def _is_chrome_tag(tag: Tag) -> bool:
    if tag.name in ("article", "main", "body"):
        return False  # 'article url-breadcrumb': the article, whatever else its classes say
    if tag.name in _CHROME_TAGS:
        return True
    ident = " ".join([*(tag.get("class") or []), str(tag.get("id") or "")])
    return bool(ident.strip()) and bool(_NAV_CLASS.search(ident))


def _headline_link(a: Tag, host: str | None, base: str) -> bool:
    href = str(a.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return False
    if _ATTACHMENT.search(href):
        return False
    text = _text(a)
    if len(text) < _HEADLINE_CHARS or len(text.split()) < _HEADLINE_WORDS:
        return False
    return urlsplit(urljoin(base, href)).hostname == host


def _listing_shape(root: Tag, title_node: Tag | None, url: str) -> tuple[int, int]:
    """(headline links, longest run of prose between two of them), outside menus, headers,
    footers and related-news boxes, and leaving out the page's own headline."""
    host = urlsplit(url).hostname
    links = run = best = 0
    buf: list[str] = []

    def flush() -> None:
        nonlocal run
        n = len(" ".join("".join(buf).split()))
        if n >= _PROSE:
            run += n
        buf.clear()

    def walk(tag: Tag) -> None:
        nonlocal links, run, best
        for child in tag.children:
            if isinstance(child, Tag):
                if child is title_node or child.name in _NOT_TEXT or _is_chrome_tag(child):
                    continue
                if child.name == "a":
                    # A headline link opens its block; a link inside a sentence is prose.
                    if len("".join(buf).strip()) < _HEADLINE_CHARS:
                        if _headline_link(child, host, url):
                            flush()
                            best, run = max(best, run), 0
                            links += 1
                        continue  # menu and control links are not prose either
                    buf.append(child.get_text())
                    continue
                block = child.name in _LINE_BLOCKS or child.name == "br"
                if block:
                    flush()
                walk(child)
                if block:
                    flush()
            elif type(child).__name__ in ("NavigableString", "CData"):
                buf.append(str(child))

    walk(root)
    flush()
    return links, max(best, run)


def _is_listing(root: Tag, title_node: Tag | None, url: str,
                attachments: list[dict[str, str]]) -> bool:
    """A page that is mostly a list of links to other pages of the site, with no single body."""
    if title_node is not None and 1 <= len(attachments) <= 2:
        return False  # a document page: its headline, its signed file(s), maybe no text at all
    links, run = _listing_shape(root, title_node, url)
    return links >= _LISTING_LINKS and run < _LISTING_RUN


def _promote_leads(root: Tag) -> None:
    """Make paragraphs of text that stands in a bold/span wrapper or a sapo div, outside any <p>.

    Portals set the lead (sapo) as `<td><b class="lv_description_mode1">…</b></td>` (Đắk Song's
    SharePoint) or `<div class="sapo">…</div>`; trafilatura drops text that is in no paragraph."""

    def walk(tag: Tag, in_para: bool) -> bool:
        """Whether tag holds a block element; promotes the candidates below it."""
        has_block = False
        for child in list(tag.children):
            if isinstance(child, Tag) and child.name not in _NOT_TEXT:
                inner = walk(child, in_para or child.name in _PARAGRAPHISH)
                has_block = has_block or inner or child.name in _HOLDS_BLOCKS
                if not inner and not in_para and child.name in _LEAD_TAGS:
                    _promote(child)
                    has_block = has_block or child.name == "p"
        return has_block

    walk(root, False)


def _promote(tag: Tag) -> None:
    if not (text := _text(tag)):
        return
    if _LEAD_CLASS.search(" ".join(tag.get("class") or [])):
        tag.name = "p"  # a lead by name, however short
    elif (tag.name in _INLINE and len(text) >= 60 and tag.parent is not None
          and _text(tag.parent) == text):  # not a bold phrase inside running text
        tag.name = "p"


def extract(html: str, url: str, rules: SiteRules | None = None) -> Extracted:
    """Extract the fields of one page; site selectors first, then the generic extractor."""
    rules = rules or SiteRules()
    html = unicodedata.normalize("NFC", html)
    soup = bp.parse(html)
    tags = _all_tags(soup)
    metas = _metas(tags)
    canonical = _canonical_url(tags, url)
    ld = _json_ld(tags)
    fields = _doc_fields(tags)
    title, title_node = _find_title(soup, rules, metas, tags)
    if not title and (t := fields.get("trich yeu") or fields.get("tieu de")):
        title = t
    published = _find_date(soup, rules, title_node, ld, fields, metas, tags)
    category = _find_category(soup, rules, title, title_node, ld, metas, tags)
    author = _find_author(soup, rules, ld)
    vietnamese = bool(_VI_LETTERS.search(title or "")) or (
        str(soup.html.get("lang", "") if soup.html else "").lower().startswith("vi"))

    body_node = _select(soup, rules.body)
    # Files are listed before cleaning: a site's `remove` selectors target text noise such as
    # "Nhấn vào để xem", which often wraps the very link to the signed document.
    attachments = _attachments(body_node or soup.body or soup, canonical)
    doc_number = None
    for key in _FIELD_NUMBER:
        if key in fields and (doc_number := find_doc_number(fields[key]) or fields[key]):
            break
    doc_number = doc_number or (find_doc_number(title) if title else None)
    doc_type = next((fields[k].lower() for k in _FIELD_TYPE if k in fields), None)
    if not doc_type and doc_number:
        doc_type = doc_type_from_number(doc_number)
    listing = body_node is None and _is_listing(soup.body or soup, title_node, canonical,
                                                attachments)

    lines: list[str] = []
    if body_node is not None:
        for selector in rules.remove:
            try:
                for tag in body_node.select(selector):
                    tag.decompose()
            except Exception:  # soupsieve's selector errors
                log.warning("bad CSS selector %r", selector)
        bp.remove_widgets(body_node)
        lines = _block_lines(body_node)
    elif not listing:  # a listing's text is never indexed: spare it the generic extractor
        text_html = html
        if vietnamese:
            # Widget boxes and related-news lists confuse the generic extractor: drop them. The
            # soup is changed in place (everything else has been read from it by now).
            bp.remove_widgets(soup.body or soup)
            _unwrap_layout_tables(soup)
            _promote_leads(soup.body or soup)
            text_html = str(soup)
        lines = [_table_line(x) for x in _generic_body(text_html).split("\n")]
        if vietnamese and title_node is not None and not title_node.decomposed:
            # Portal banners and header rows precede the headline; on the English benchmark
            # this cut costs recall (ledes set above the h1), so it stays Vietnamese-only.
            lines = _after_headline(lines, title_node)
    if title:
        # The headline often opens the extracted text too.
        lines = [x for x in lines if x != title]
    if vietnamese:
        lines = bp.clean_lines(lines)
        line_author, lines = _author_from_lines(lines, body_node or soup.body)
        author = author or line_author
    body = clean_body("\n".join(lines))

    is_article = not listing and _is_article(metas, canonical, title, body, ld, doc_number,
                                             attachments, body_node is not None, title_node)
    return Extracted(
        url=canonical, title=title, body=body, published=published, author=author,
        category=category, doc_number=doc_number, doc_type=doc_type, attachments=attachments,
        is_article=is_article,
    )


def _is_article(metas: dict[str, str], url: str, title: str | None, body: str,
                ld: list[dict[str, Any]], doc_number: str | None,
                attachments: list[dict[str, str]], by_rules: bool,
                title_node: Tag | None) -> bool:
    """Article or document page, as opposed to a home, listing, category or search page."""
    path = urlsplit(url).path
    if not title or path.strip("/") in ("", "index.html", "default.aspx", "index.php"):
        return False
    if _LISTING_PATH.search(url) or "/search" in path.lower() or "tim-kiem" in path.lower():
        return False
    og_type = (_meta(metas, "og:type") or "").lower()
    if og_type == "article" or _ld_types(ld) & _ARTICLE_TYPES:
        return True
    if by_rules and (body or attachments):
        return True
    if doc_number and (body or attachments):
        return True
    if attachments and title_node is not None:
        return True  # a document page: headline element plus the signed file
    return og_type != "website" and len(body) >= 400 and body.count("\n") < len(body) / 40


def to_article(ex: Extracted, site: str | None, fetched_at: str | None) -> Article | None:
    """The Article for an extracted page; None when not an article, or no title or body."""
    if not ex.is_article or not ex.title:
        return None
    body = ex.body
    if not body and ex.attachments:
        # A document page whose text is only in the attached file: index its headline.
        body = ex.title
    if not body:
        return None
    obj = {
        "id": ex.url, "url": ex.url, "site": site, "title": ex.title, "body": body,
        "published": ex.published, "author": ex.author, "category": ex.category,
        "doc_type": ex.doc_type, "doc_number": ex.doc_number, "attachments": ex.attachments,
        "fetched_at": fetched_at,
    }
    try:
        article, _ = Article.from_dict(obj)
    except InvalidArticle as exc:
        log.info("page %s is not a valid article: %s", ex.url, exc)
        return None
    return article


__all__ = ["Extracted", "SiteRules", "extract", "to_article"]
