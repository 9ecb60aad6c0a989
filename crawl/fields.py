"""A page's fields, each from its own evidence: title, date, author, category, document data.

Titles and dates are chosen among candidates on the page; a candidate the site's template
repeats on many pages (the banner, widget headings, the generic `<title>`) is never a title, and
a date counts only when it stands by the title, outside links and the template.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from crawl import boilerplate as bp
from crawl.dates import parse_vietnamese_date
from crawl.markup import Line, Markup, in_chrome, is_category_box, node_text, tokens
from crawl.template import SiteTemplate, title_parts

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
class Title:
    """The chosen headline, where it stands, and why."""

    text: str | None = None
    node: Tag | None = None
    source: str = ""  # 'selector', 'h1', 'class title', 'bold', 'og:title', '<title>'
    date_node: Tag | None = None  # a date printed inside the heading ('Tiêu đề (30/04/2018)')
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (text, why), for --explain

    @property
    def on_page(self) -> bool:
        """A headline element of the page (not only metadata or `<title>`)."""
        return self.node is not None


_TITLE_WORD = re.compile(r"title|tieude|headline", re.I)
_NOT_TITLE_TOKEN = re.compile(r"sub|other|hit|album|link|web|site|logo|banner|menu|widget|box")
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(bold|[6-9]00)", re.I)
_FONT_SIZE = re.compile(r"font-size\s*:\s*([\d.]+)\s*(px|pt|em|rem)", re.I)
_EMPTY_BRACKETS = re.compile(r"\s*[(\[]\s*[)\]]\s*$")
HOME_CRUMBS = {"trang chu", "home", "trang nhat", "trang chinh"}
_DATE_CLASS = re.compile(r"date|time|ngay|publish|created|post-?meta|thoigian", re.I)
FIELD_DATE = {"ngay ban hanh", "ngay ky", "ngay dang", "ngay xuat ban"}
TITLE_MIN, TITLE_MAX = 5, 300
DATE_WINDOW = 8  # lines around the title where its date may stand
NEAR = 3  # lines: a date this close to the title is its date, even if every page shows it


def select(soup: BeautifulSoup | Tag, selector: str | None) -> Tag | None:
    """soup.select_one, with a bad selector logged instead of raised."""
    if not selector:
        return None
    try:
        return soup.select_one(selector)
    except Exception:  # soupsieve raises its own error types for bad selectors
        log.warning("bad CSS selector %r", selector)
        return None


def _font_size(style: str) -> float:
    m = _FONT_SIZE.search(style)
    if not m:
        return 0.0
    size = float(m.group(1))
    return {"px": size, "pt": size * 4 / 3}.get(m.group(2).lower(), size * 16)


def _strength(tag: Tag) -> int:
    """How much an element looks like a headline: h1 6, h2 5, title class 5, h3 4, bold 3-4."""
    if tag.name in ("h1", "h2", "h3"):
        return {"h1": 6, "h2": 5, "h3": 4}[tag.name]
    if any(_TITLE_WORD.search(t) and not _NOT_TITLE_TOKEN.search(t) for t in tokens(tag)):
        return 5
    if tag.name in ("p", "div", "span", "strong", "b", "font", "td"):
        style = str(tag.get("style") or "")
        bold = bool(_BOLD_STYLE.search(style)) or tag.name in ("strong", "b")
        if bold:
            return 4 if _font_size(style) >= 16 else 3
    return 0


def _heading_text(tag: Tag) -> tuple[str, Tag | None]:
    """The heading's text without a date printed in it ('Tiêu đề (30/04/2018)'), and that date."""
    text = node_text(tag)
    for child in tag.find_all(["span", "small", "time", "em", "i", "font", "sup"]):
        inner = node_text(child)
        if inner and inner != text and (parse_vietnamese_date(inner) or
                                        not inner.strip("()[] ")):
            text = text.replace(inner, " ").strip()
            if parse_vietnamese_date(inner):
                return _EMPTY_BRACKETS.sub("", re.sub(r"\s+", " ", text)).strip(" -–|:"), child
    return _EMPTY_BRACKETS.sub("", re.sub(r"\s+", " ", text)).strip(" -–|:"), None


def _evidence_titles(markup: Markup, template: SiteTemplate | None) -> list[str]:
    """Headlines the page declares: og:title, JSON-LD headline, `<title>` parts not template."""
    found = [t for t in (markup.meta("og:title", "twitter:title", "headline"),) if t]
    found += [obj["headline"] for obj in markup.json_ld if isinstance(obj.get("headline"), str)]
    for part in title_parts(markup.page_title):
        if template is not None and template.is_template_title(part):
            continue
        # The site's name ('Cổng thông tin điện tử huyện X') names no page.
        if bp._key(part) not in HOME_CRUMBS and len(part) >= TITLE_MIN and not (
                bp.is_footer_line(part)):
            found.append(part)
    return [unicodedata.normalize("NFC", t) for t in found]


def _matches(text: str, declared: list[str], slug: list[str]) -> int:
    """2 when the metadata or `<title>` names this headline (same text, or one holding the
    other), 1 when it holds most words of the URL's slug, else 0."""
    key = bp._key(text)
    for x in declared:
        d = bp._key(x)
        if key and (key == d or (len(d) >= 8 and (d in key or key in d))):
            return 2
    if len(slug) >= 3:
        words = set(key.split())
        shared = sum(1 for w in slug if w in words)
        if shared >= 3 and shared >= 0.6 * len(slug):
            return 1
    return 0


def slug_words(url: str) -> list[str]:
    """Words of the last segment of a URL's path ('/xa-thuan-hanh-be-tong/' → xa thuan ...)."""
    segment = next((s for s in reversed(urlsplit(url).path.split("/")) if s), "")
    segment = re.sub(r"\.(html?|aspx?|php)$", "", segment, flags=re.I)
    return [w for w in re.split(r"[-_+.]+", bp._key(segment.replace("-", " ")).replace(" ", "-"))
            if w and not w.isdigit()]


def find_title(markup: Markup, rules: SiteRules, template: SiteTemplate | None) -> Title:
    """The page's own headline: a heading-like element the site does not repeat on every page,
    the one its metadata or `<title>` names first, else the first strong heading (h1-h2, a
    title class), else the first bold-and-large line; metadata or `<title>` when none stands."""
    if (node := select(markup.soup, rules.title)) and (text := node_text(node)):
        return Title(text, node, "selector")
    declared = _evidence_titles(markup, template)
    slug = slug_words(markup.url)
    out = Title()
    best: tuple[int, int, int, int] | None = None
    chosen: tuple[Tag, str, Tag | None] | None = None
    for pos, tag in enumerate(markup.tags):
        strength = _strength(tag)
        if not strength:
            continue
        text, date_node = _heading_text(tag)
        if not TITLE_MIN <= len(text) <= TITLE_MAX:
            continue
        named = _matches(text, declared, slug)
        why = _not_a_title(markup, tag, text, template, named == 2)
        if why:
            out.rejected.append((text, why))
            continue
        # A named headline: the first one named wins (a title precedes the body's headings).
        # Else the first strong heading (h1-h2, title class), else the first bold line.
        rank = (named, 0 if named else int(strength >= 5), -pos, strength)
        if best is None or rank > best:
            best, chosen = rank, (tag, text, date_node)
    if best is not None and chosen is not None:
        tag = chosen[0]
        kind = tag.name if tag.name in ("h1", "h2", "h3") else (
            "class title" if best[3] == 5 else "bold")
        out.text, out.node, out.date_node = chosen[1], tag, chosen[2]
        out.source = f"<{kind}>" + {2: " named by the page's metadata or <title>",
                                    1: " named by the URL"}.get(best[0], "")
        return out
    for text in declared:
        if template is None or not template.is_template(text):
            out.text, out.source = max(title_parts(text) or [text], key=len), "metadata"
            return out
    return out


def _not_a_title(markup: Markup, tag: Tag, text: str, template: SiteTemplate | None,
                 named: bool = False) -> str:
    """Why a headline-looking element is not the page's title ('' when it may be)."""
    if is_category_box(tag):
        return "category heading"
    if bp.is_heading_of(text, bp.RELATED | bp.WIDGETS) or bp._key(text) in HOME_CRUMBS:
        return "widget or related-news heading"
    if template is not None:
        line = markup.line_for(tag)
        if line is not None and line.text.startswith(text[:20]) and template.is_template_line(
                line):
            return f"template (on {template.line_pages(line)} of {template.pages} pages)"
        if line is None and template.is_template(text):
            return f"template (on {template.pages_with(text)} of {template.pages} pages)"
        if line is not None and template.repeats(line) >= 2:
            return (f"its element repeats its texts over pages ({template.repeats(line):.1f} "
                    "pages per text): a category heading")
    if bp.is_footer_line(text):
        return "the site's name or a footer line"
    if tag.name == "a" or tag.find_parent("a") is not None:
        return "a link"
    anchors = [len(node_text(a)) for a in tag.find_all("a", href=True)]
    if sum(anchors) * 2 >= len(text):
        return "a link"
    if any(n >= 20 for n in anchors):
        return "holds a headline link (a teaser of another page)"
    if in_chrome(tag) and not named:  # VnExpress sets its article in 'sidebar-1'
        return "in a menu, header, footer or sidebar"
    if tag.name not in ("h1", "h2", "h3"):
        if tag.find(["h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"]) or len(
                [b for b in tag.find_all(["p", "div", "li"]) if node_text(b)]) >= 2:
            return "holds other blocks"
        if _strength(tag) < 5 and not bp._stands_alone(tag):
            return "bold words inside a sentence"
    return ""


def _date_line(line: Line, template: SiteTemplate | None, near: bool
               ) -> tuple[str, int] | None:
    """(date, words beside it) of a short, date-like line. A date the site repeats on many
    pages is its header clock, unless it stands right by the title (a static rebuild stamps one
    date on every page)."""
    if line.is_link or line.chrome or len(line.text) > 120 or line.block.name in (
            "h1", "h2", "h3", "h4", "h5", "h6"):  # a heading's date is another page's
        return None
    if template is not None and template.is_template_line(line) and (
            not near or template.site_wide(line)):
        return None
    found = parse_vietnamese_date(line.text)
    if not found:
        return None
    # A date standing in a sentence ('ngày 28/12/2018 UBND tỉnh đã ban hành...') is not a
    # date line: the date and its labels must be most of the line.
    words = len(re.findall(r"[^\W\d_]{2,}", line.text))
    return (found, words) if words <= 6 else None


def find_date(markup: Markup, rules: SiteRules, title: Title, doc: dict[str, str],
              template: SiteTemplate | None) -> tuple[str | None, str]:
    """(publication date, where it was read)."""
    if (node := select(markup.soup, rules.date)) and (
            found := parse_vietnamese_date(node_text(node))):
        return found, "selector"
    for obj in markup.json_ld:
        if isinstance(obj.get("datePublished"), str) and (
                found := parse_vietnamese_date(obj["datePublished"])):
            return found, "JSON-LD datePublished"
    meta = markup.meta("article:published_time", "og:published_time", "datePublished",
                       "pubdate", "publishdate", "dc.date.issued", "DC.date.issued", "date")
    if meta and (found := parse_vietnamese_date(meta)):
        return found, "meta published time"
    if title.date_node is not None and (found := parse_vietnamese_date(
            node_text(title.date_node))):
        return found, "inside the heading"
    lines = markup.lines
    title_line = markup.line_for(title.node)
    if title_line is not None:
        at = title_line.index
        best: tuple[float, str, int] | None = None
        for line in lines[max(0, at - DATE_WINDOW): at + DATE_WINDOW + 1]:
            if line.index == at or markup.in_related(line):
                continue
            if dated := _date_line(line, template, abs(line.index - at) <= NEAR):
                dist = line.index - at
                # Nearer is better, after the title better than before, a bare date better
                # than one in a sentence ('Từ ngày 01/7 đến 03/7/2019').
                cost = (dist if dist > 0 else -dist * 1.5) + 2 * dated[1]
                if best is None or cost < best[0]:
                    best = (cost, dated[0], dist)
        if best is not None:
            where = "after" if best[2] > 0 else "before"
            return best[1], f"a date line {abs(best[2])} line(s) {where} the title"
    elif not title.text and (found := _date_by_class(markup)):
        return found, "a date element"
    for key in FIELD_DATE:
        if key in doc and (found := parse_vietnamese_date(doc[key])):
            return found, f"document field '{key}'"
    return None, ""


def _date_by_class(markup: Markup) -> str | None:
    for tag in markup.tags:
        ident = f"{tag.get('class') or ''} {tag.get('id') or ''} {tag.name}"
        if not _DATE_CLASS.search(ident) or tag.name in ("script", "style", "html", "body"):
            continue
        text = str(tag.get("datetime") or "") or node_text(tag)
        if len(text) > 120 or in_chrome(tag):
            continue
        if found := parse_vietnamese_date(text):
            return found
    return None
