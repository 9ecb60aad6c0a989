"""A page's body text: site selectors when given, otherwise the generic extractor.

The generic path is trafilatura (settings chosen on bench/extract) over the page with its
template blocks, widget boxes and related-news lists taken out, layout tables unwrapped and
stray leads made paragraphs; what it returns is cut before the headline and cleaned of controls,
counters, footers and any line the site repeats on many pages.
"""

from __future__ import annotations

import logging
import re

import trafilatura
from bs4 import Tag

from crawl import boilerplate as bp
from crawl.fields import Title
from crawl.markup import NOT_TEXT, Line, Markup, node_text, rows_joined, text_lines
from crawl.template import SiteTemplate

log = logging.getLogger(__name__)

AUTHOR_LINE = re.compile(
    r"^\s*(?:tác giả|người viết|bài viết|bài và ảnh|bài, ảnh|tin, ảnh|tin và ảnh|bài|tin)\s*:\s*"
    r"(?P<name>.{2,80}?)\s*$",
    re.I,
)
# A closing name line: 'Nguyễn Văn A - Văn phòng HĐND-UBND', 'Thu Hà (TTVH)'.
_NAME_LINE = re.compile(r"^[A-ZĐÀ-Ỹ][\wÀ-ỹ.]*(?:\s+[A-ZĐÀ-Ỹ][\wÀ-ỹ.]*){0,5}(?:\s*[-–(,].{0,60})?$")
_TABLE_PARTS = {"thead", "tbody", "tfoot", "tr", "td", "th"}
_LAYOUT_CONTENT = {"p", "div", "table", "ul"}
# Inline wrappers a portal may put a whole paragraph in, straight in a table cell or a div.
_INLINE = {"b", "strong", "em", "i", "span", "font"}
_LEAD_CLASS = re.compile(r"sapo|lead|description|summary|tom-?tat|trich-?dan|mo-?ta|intro", re.I)
_LEAD_TAGS = _INLINE | {"div"}
_HOLDS_BLOCKS = {"p", "div", "table", "ul", "ol", "li", "h1", "h2", "h3"}
_PARAGRAPHISH = {"p", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "caption",
                 "pre", "blockquote", "figcaption"}


def selector_body(markup: Markup, node: Tag, rules_remove: tuple[str, ...]) -> list[str]:
    """Lines of the element a site's `body` selector names, its `remove` selectors dropped."""
    for selector in rules_remove:
        try:
            for tag in node.select(selector):
                tag.decompose()
        except Exception:  # soupsieve's selector errors
            log.warning("bad CSS selector %r", selector)
    bp.remove_widgets(node)
    return rows_joined(text_lines(node))


def content_root(title: Tag, blocks: list[Tag]) -> Tag:
    """The smallest element holding the title and every block of the page's own text."""
    chain = [title, *title.parents]
    rank = {id(t): i for i, t in enumerate(chain)}
    top = 0
    for block in blocks:
        for node in [block, *block.parents]:
            if id(node) in rank:
                top = max(top, rank[id(node)])
                break
    return chain[top]


def site_body(after: list[Line], template: SiteTemplate | None) -> list[str] | None:
    """The page's own lines after its title, once the site's template is known (None before):
    what follows the headline, less the template, page furniture, related lists and links.

    Measured on the four real portals against trafilatura over the whole page: the same text,
    plus the leads and tables trafilatura drops, at a tenth of the time."""
    if template is None or template.pages < KNOWN_TEMPLATE:
        return None
    return rows_joined(after)


KNOWN_TEMPLATE = 5  # pages of a site seen before its template is trusted to cut a body


def generic_body(markup: Markup, title: Title, template: SiteTemplate | None,
                 vietnamese: bool, own: list[Line] | None = None) -> list[str]:
    """Lines of the main text by trafilatura; changes markup.soup (read every field first).

    On a Vietnamese page whose title and own text were found, trafilatura reads only the
    element holding them (the sidebars and menus of a portal page are most of its size)."""
    root: Tag | None = None
    if vietnamese and title.node is not None and own:
        root = content_root(title.node, [line.block for line in own])
        if root.name in ("body", "html", "[document]"):
            root = None
    if vietnamese:
        # Widget boxes, related-news lists and the site's template confuse the generic
        # extractor: take them out of the tree it reads.
        root = markup.body
        drop_template(markup, template, keep=title.node)
        bp.remove_widgets(root, keep=title.node)
        _unwrap_layout_tables(markup.soup)
        _promote_leads(root)
    if root is not None and not root.decomposed:
        text_html = f"<html lang='vi'><body>{root.decode(formatter='minimal')}</body></html>"
    else:
        text_html = markup.soup.decode(formatter="minimal")
    lines = [_table_line(x) for x in _trafilatura(text_html).split("\n") if x.strip()]
    if not lines and own:  # too short for the extractor's taste: the page's own lines
        lines = rows_joined([x for x in own if not x.block.decomposed])
    if vietnamese and title.node is not None and not title.node.decomposed:
        # Portal banners and header rows precede the headline; on the English benchmark this
        # cut costs recall (ledes set above the h1), so it stays Vietnamese-only.
        lines = _after_headline(lines, title.node)
    if template is not None:
        lines = [x for x in lines if not template.is_template(x)]
    return lines


def drop_template(markup: Markup, template: SiteTemplate | None, keep: Tag | None) -> int:
    """Remove the blocks whose whole text is a line the site repeats on many pages."""
    if template is None or template.pages < template.floor:
        return 0
    removed = 0
    for line in markup.lines:
        block = line.block
        if line.is_link or block.decomposed or block is markup.body or block.name == "body":
            continue
        if keep is not None and (block is keep or keep in block.descendants):
            continue
        if template.is_template(line.text) and node_text(block) == line.text:
            block.decompose()
            removed += 1
    return removed


def clean(lines: list[str], title: str | None, vietnamese: bool, node: Tag | None
          ) -> tuple[list[str], str | None]:
    """(body lines, author line found): headline repeats, controls and footers out."""
    if title:
        lines = [x for x in lines if x != title]  # the headline often opens the text too
    author = None
    if vietnamese:
        lines = bp.clean_lines(lines)
        author, lines = author_from_lines(lines, node)
    return [x for x in lines if x], author


def _trafilatura(html: str) -> str:
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


def _after_headline(lines: list[str], title_node: Tag) -> list[str]:
    """Drop leading lines that are text from before the headline (banners, header rows)."""
    before = " ".join(
        re.sub(r"\s+", " ", str(s)) for s in title_node.find_all_previous(string=True)
    )
    out = list(lines)
    while out and all(cell and cell in before for cell in out[0].split(" | ")):
        out.pop(0)
    return out


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


def _promote_leads(root: Tag) -> None:
    """Make paragraphs of text that stands in a bold/span wrapper or a sapo div, outside any <p>.

    Portals set the lead (sapo) as `<td><b class="lv_description_mode1">…</b></td>` (Đắk Song's
    SharePoint) or `<div class="sapo">…</div>`; trafilatura drops text that is in no paragraph."""

    def walk(tag: Tag, in_para: bool) -> bool:
        """Whether tag holds a block element; promotes the candidates below it."""
        has_block = False
        for child in list(tag.children):
            if isinstance(child, Tag) and child.name not in NOT_TEXT:
                inner = walk(child, in_para or child.name in _PARAGRAPHISH)
                has_block = has_block or inner or child.name in _HOLDS_BLOCKS
                if not inner and not in_para and child.name in _LEAD_TAGS:
                    _promote(child)
                    has_block = has_block or child.name == "p"
        return has_block

    walk(root, False)


def _promote(tag: Tag) -> None:
    if not (text := node_text(tag)):
        return
    if _LEAD_CLASS.search(str(tag.get("class") or "")):
        tag.name = "p"  # a lead by name, however short
    elif (tag.name in _INLINE and len(text) >= 60 and tag.parent is not None
          and node_text(tag.parent) == text):  # not a bold phrase inside running text
        tag.name = "p"


def author_from_lines(lines: list[str], node: Tag | None) -> tuple[str | None, list[str]]:
    """'Tác giả: X' anywhere, or a closing bold/right-aligned name line; removed from the body."""
    for i, line in enumerate(lines):
        m = AUTHOR_LINE.match(line)
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
        if node_text(tag) != line:
            continue
        for el in [tag, *tag.parents]:
            if el is node:
                break
            style = str(el.get("style") or "").lower().replace(" ", "")
            if ("text-align:right" in style or str(el.get("align") or "").lower() == "right"
                    or el.name in ("strong", "b") or "font-weight:bold" in style):
                return True
        inner = tag.find(["strong", "b"])
        if inner is not None and node_text(inner) == line:
            return True
    return False
