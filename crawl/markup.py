"""One parse of an HTML page: its tree, its head's metadata, and its text as lines.

`Markup` is built once per page and shared by every reader (fields, body, classification,
the site template). `text_lines` is the one walker over the tree: it cuts the text into lines at
block elements and notes, per line, how much of it is link text and whether it sits in page
furniture (menus, footers, related-news boxes).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString

from crawl import boilerplate as bp

# Elements that start a new line of text. Table cells are lines of their own; `row` ties the
# cells of one table row together (bodies print them as 'a | b').
LINE_BLOCKS = frozenset(bp._BLOCKS | {
    "tr", "dd", "blockquote", "article", "pre", "figure", "figcaption", "ol", "section",
    "header", "footer", "nav", "aside", "main", "form", "address", "center", "hr", "marquee",
})
NOT_TEXT = frozenset({"script", "style", "noscript", "template", "iframe", "select", "option",
                      "svg", "button", "textarea", "head", "title", "meta", "link"})
CHROME_TAGS = frozenset({"nav", "footer", "header", "aside", "menu", "marquee"})  # a ticker too
NAV_CLASS = re.compile(
    r"(^|[-_ ])(menu|nav|navbar|footer|sidebar|breadcrumb|share|social|related|tinkhac|"
    r"lienquan|comment)([-_ ]|$)",
    re.I,
)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u00ad"), None)


def clean_text(text: str) -> str:
    """NFC, zero-width characters out, whitespace runs as one space."""
    return _squeeze(unicodedata.normalize("NFC", text))


def node_text(node: Tag | None) -> str:
    """The cleaned text of an element ('' for None)."""
    return "" if node is None else clean_text(node.get_text(" "))


@functools.lru_cache(maxsize=65536)
def text_key(text: str) -> str:
    """A line compared folded, lower case, letters and digits only (template counting)."""
    return bp._key(text)


def classes(tag: Tag) -> list[str]:
    """The class names of an element (the page is parsed without splitting them)."""
    value = tag.get("class")
    if not value:
        return []
    return value.split() if isinstance(value, str) else list(value)


def is_chrome_tag(tag: Tag) -> bool:
    """Navigation, header, footer, sidebar or share box by tag name, class or id."""
    if tag.name in ("article", "main", "body"):
        return False  # 'article url-breadcrumb': the article, whatever else its classes say
    if tag.name in CHROME_TAGS:
        return True
    ident = f"{tag.get('class') or ''} {tag.get('id') or ''}"
    return bool(ident.strip()) and bool(NAV_CLASS.search(ident))


def in_chrome(tag: Tag) -> bool:
    """True inside page furniture (the element or one of its ancestors)."""
    return any(is_chrome_tag(t) for t in [tag, *tag.parents] if isinstance(t, Tag))


@dataclass(slots=True)
class Line:
    """One line of a page's text as a reader sees it."""

    text: str
    block: Tag  # the innermost block element holding the line
    row: Tag | None  # the table row when the line is a cell
    link_chars: int  # characters of the line inside <a href>
    lead_chars: int  # characters before the line's first link
    links: list[Tag]  # the <a href> elements on the line, in order
    chrome: bool  # inside menus, headers, footers, sidebars, share or related boxes
    index: int = 0

    @property
    def key(self) -> str:
        return text_key(self.text)

    @property
    def is_link(self) -> bool:
        """Mostly link text: a menu item, a headline in a list."""
        return self.link_chars * 2 >= len(self.text)

    @property
    def prose_chars(self) -> int:
        return max(0, len(self.text) - self.link_chars)


# Class or id tokens (lower case, '-' and '_' dropped) of category headings: a category word alone,
# or with a title/name word before or after it. SharePoint's news web parts call it FolderTitle.
_CATEGORY_TOKEN = re.compile(
    r"^(?:category|chuyenmuc|danhmuc|"
    r"(?:cat|cate|category|chuyenmuc|danhmuc|chuyende|folder|section|zone)"
    r"(?:title|name|heading|header|label)|"
    r"(?:title|ten|tieude|name|heading)(?:cat|cate|category|chuyenmuc|danhmuc|chuyende|folder))$"
)
def tokens(tag: Tag) -> list[str]:
    """Class and id tokens, lower case, without - and _."""
    return [re.sub(r"[-_]", "", t.lower()) for t in
            [*classes(tag), str(tag.get("id") or "")] if t]


def is_category_box(tag: Tag) -> bool:
    """A category heading by its class or id: 'cat-title', 'ten-chuyen-muc', 'FolderTitle'."""
    return any(_CATEGORY_TOKEN.match(t) for t in tokens(tag))


def _squeeze(text: str) -> str:
    return " ".join(text.translate(_INVISIBLE).split())


def text_lines(root: Tag) -> list[Line]:
    """The text under root as lines, in document order (the one walker of the page tree).

    The page was NFC-normalised when parsed; lines are whitespace-squeezed."""
    lines: list[Line] = []
    parts: list[tuple[str, Tag | None]] = []  # (text, the <a> it is in)
    state: list[Any] = [root, None, False]  # block, row, chrome

    def flush() -> None:
        if not parts:
            return
        text = _squeeze("".join(p for p, _ in parts))
        if text:
            link_chars = lead = 0
            seen_link = False
            links: list[Tag] = []
            for piece, anchor in parts:
                if anchor is not None:
                    link_chars += len(_squeeze(piece))
                    if not links or links[-1] is not anchor:
                        links.append(anchor)
                    seen_link = True
                elif not seen_link:
                    lead += len(_squeeze(piece))
            lines.append(Line(text, state[0], state[1], min(link_chars, len(text)), lead, links,
                              state[2], len(lines)))
        parts.clear()

    def walk(tag: Tag, anchor: Tag | None) -> None:
        for child in tag.children:
            if type(child) is NavigableString:
                parts.append((child, anchor))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in NOT_TEXT:
                continue
            if name == "br":
                flush()
                continue
            block = name in LINE_BLOCKS
            saved = (state[0], state[1], state[2])
            if block:
                flush()
                state[0] = child
                # A line is a table cell only when its block is the cell itself.
                state[1] = child.parent if name in ("td", "th") else None
            attrs = child.attrs
            if not state[2] and (name in CHROME_TAGS or "class" in attrs or "id" in attrs) and (
                    is_chrome_tag(child)):
                flush()
                state[2] = True
            link = child if name == "a" and attrs.get("href") else anchor
            walk(child, link)
            if block or state[2] != saved[2]:
                flush()
            state[0], state[1], state[2] = saved

    walk(root, None)
    flush()
    return lines


def rows_joined(lines: list[Line]) -> list[str]:
    """Line texts with the cells of one table row joined as 'a | b'."""
    out: list[str] = []
    last_row: Tag | None = None
    for line in lines:
        if line.row is not None and line.row is last_row and out:
            out[-1] = f"{out[-1]} | {line.text}"
        else:
            out.append(line.text)
        last_row = line.row
    return out


@dataclass
class Markup:
    """A parsed page: the soup, every element in order, the head's metadata."""

    url: str
    soup: BeautifulSoup
    tags: list[Tag]
    metas: dict[str, str]
    json_ld: list[dict[str, Any]]
    page_title: str
    lang: str
    canonical: str | None  # the page's rel=canonical, when it names a page of this host
    _lines: list[Line] | None = field(default=None, repr=False)
    _position: dict[int, int] | None = field(default=None, repr=False)
    _by_block: dict[int, Line] | None = field(default=None, repr=False)
    _related: set[int] | None = field(default=None, repr=False)

    @property
    def body(self) -> Tag:
        return self.soup.body or self.soup

    @property
    def lines(self) -> list[Line]:
        """The lines of the page body (computed once)."""
        if self._lines is None:
            self._lines = text_lines(self.body)
        return self._lines

    def position(self, tag: Tag) -> int:
        """Document-order index of an element among self.tags (-1 if absent)."""
        if self._position is None:
            self._position = {id(t): i for i, t in enumerate(self.tags)}
        return self._position.get(id(tag), -1)

    def line_for(self, tag: Tag | None) -> Line | None:
        """The (first) line drawn from the block holding tag, or from tag itself."""
        if tag is None:
            return None
        if self._by_block is None:
            self._by_block = {}
            for line in self.lines:
                self._by_block.setdefault(id(line.block), line)
        for node in [tag, *tag.parents]:
            if (found := self._by_block.get(id(node))) is not None:
                return found
        # A block holding nested blocks only (its first line is a descendant's).
        start = self.position(tag)
        return next((x for x in self.lines if self.position(x.block) >= start), None)

    def in_related(self, line: Line) -> bool:
        """True for a line in a related-news box ('TIN ĐÃ ĐƯA', 'Các tin khác' and its list)."""
        if self._related is None:
            self._related = _related_boxes(self.lines)
        if not self._related:
            return False
        return id(line.block) in self._related or any(
            id(p) in self._related for p in line.block.parents)

    def meta(self, *names: str) -> str | None:
        return next((self.metas[n] for n in names if n in self.metas), None)

    def ld_types(self) -> set[str]:
        types: set[str] = set()
        for obj in self.json_ld:
            t = obj.get("@type")
            for name in t if isinstance(t, list) else [t]:
                if isinstance(name, str):
                    types.add(name.lower())
        return types


RELATED_CLIMB = 200  # a related-news box: climb while a parent adds this little own text


_HEADING_CLASS = re.compile(r"(^|\s)[\w-]*(title|tieude|headline)[\w-]*", re.I)


def _holds_heading(tag: Tag, besides: Tag) -> bool:
    """True when tag holds a heading (h1-h3 or a title class) outside `besides`."""
    for h in tag.find_all(["h1", "h2", "h3", "p", "div", "td", "span"]):
        if h is besides or besides in h.parents or h in besides.parents:
            continue
        heading = h.name in ("h1", "h2", "h3") or _HEADING_CLASS.search(str(h.get("class") or ""))
        if heading and node_text(h) and not bp.is_heading_of(node_text(h), bp.RELATED | bp.WIDGETS):
            return True
    return False


def _related_boxes(lines: list[Line]) -> set[int]:
    """ids of the elements holding a related-news list, found from its heading: climb while a
    parent adds little text of its own and no other heading, then take the link lists after."""
    boxes: set[int] = set()
    for line in lines:
        if not bp.is_heading_of(line.text, bp.RELATED) or is_category_box(line.block):
            continue  # 'Tin nổi bật' as a category's name above an article is no box
        node = line.block
        while node.parent is not None and node.parent.name not in ("body", "html", "[document]"):
            parent = node.parent
            if bp._own_text_len(parent) - bp._own_text_len(node) > RELATED_CLIMB or (
                    _holds_heading(parent, node)):
                break
            node = parent
        boxes.add(id(node))
        for sib in node.find_next_siblings():
            if not isinstance(sib, Tag):
                continue
            text = len(sib.get_text(strip=True))
            if text and bp._link_text_len(sib) <= 0.5 * text:
                break
            boxes.add(id(sib))
    return boxes


# What no reader needs, cut before parsing: scripts (JSON-LD kept), styles, comments and the
# hidden form state of ASP.NET pages (__VIEWSTATE: tens of kilobytes on SharePoint portals).
_DEAD_WEIGHT = re.compile(
    r"<script(?![^>]*application/ld\+json)[^>]*>.*?</script\s*>|<style[^>]*>.*?</style\s*>|"
    r"<!--.*?-->|<input[^>]*type=[\"']?hidden[^>]*>",
    re.S | re.I,
)


def parse(html: str, url: str) -> Markup:
    """Parse a page once (lxml through BeautifulSoup) and read its head."""
    html = unicodedata.normalize("NFC", _DEAD_WEIGHT.sub(" ", html))
    # Class attributes stay strings (`classes()` splits them): splitting every one costs a
    # sixth of the parse on a portal page.
    soup = BeautifulSoup(html, "lxml", multi_valued_attributes=None)
    tags = [t for t in soup.descendants if isinstance(t, Tag)]
    lang = str(soup.html.get("lang", "") if soup.html else "").lower()
    return Markup(url, soup, tags, _metas(tags), _json_ld(tags), node_text(soup.title), lang,
                  _canonical(tags, url))


def _metas(tags: list[Tag]) -> dict[str, str]:
    """Content of the <meta> tags by property, name and itemprop (first one wins)."""
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


def _canonical(tags: list[Tag], url: str) -> str | None:
    """rel=canonical as an absolute URL of the page's own host; None when absent or unusable.

    A canonical on another host is a syndication hint, not this page's address; one without a
    host ('http:///guest', a broken template) names nothing."""
    link = next((t for t in tags if t.name == "link" and "canonical" in (t.get("rel") or [])),
                None)
    href = str(link.get("href") or "").strip() if link is not None else ""
    if not href:
        return None
    parts = urlsplit(href)
    if parts.scheme and not parts.netloc:
        return None
    absolute = urljoin(url, href)
    if urlsplit(absolute).hostname != urlsplit(url).hostname:
        return None
    return absolute
