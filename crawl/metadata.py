"""A page's other fields: document data (number, type, date), category, author, attached files.

Read from the page's own markup and metadata; links to files that many pages of the site show
(a "Văn bản mới" box) are the site's, not the page's.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from urllib.parse import urljoin

from bs4 import Tag

from crawl import boilerplate as bp
from crawl.dates import parse_vietnamese_date
from crawl.discover import canonical_url, skip_extension
from crawl.fields import FIELD_DATE, HOME_CRUMBS, SiteRules, Title, select
from crawl.filetypes import file_name
from crawl.markup import Markup, in_chrome, is_category_box, node_text
from crawl.template import SiteTemplate

_ATTACHMENT_LINK = re.compile(r"\.(pdf|docx?|xlsx?|odt|rtf)(?:$|[?#&])", re.I)
# Links without a document extension that still name a file: a download handler
# ("/Pages/DownloadFile.aspx?FileID=12"), or a link worded as a download ("Tải về"). The crawl
# fetches them as attachments and keeps those the answer shows to be documents.
_DOWNLOAD_HREF = re.compile(r"download|getfile|get_file|fileid=|file\.ashx|dinhkem|dinh-kem", re.I)
_DOWNLOAD_WORDS = {"tai ve", "tai xuong", "download", "tai file", "tai tep", "tai van ban",
                   "tai tap tin", "file dinh kem", "tep dinh kem", "tai lieu dinh kem",
                   "xem file", "tai ve file", "tai file dinh kem"}
# Link texts that say where, not what: the file's name stands for the link.
_LINK_WORDS = _DOWNLOAD_WORDS | {"tai day", "xem chi tiet", "chi tiet", "xem tai day", "xem",
                                 "click here"}
_BREADCRUMB = re.compile(r"breadcrumb|bread-crumb|duongdan|duong-dan|path-way|pathway", re.I)
_SHAREPOINT_POPOUT = re.compile(r"s4-breadcrumb|ms-popoutMenu", re.I)
_FIELD_NUMBER = {"so ky hieu", "so hieu", "ky hieu", "so van ban", "so hieu van ban",
                 "so ky hieu van ban", "so"}
_FIELD_TYPE = {"loai van ban", "hinh thuc van ban", "the loai"}
_FIELD_TITLE = {"trich yeu", "trich yeu noi dung", "tieu de"}


def doc_fields(markup: Markup) -> dict[str, str]:
    """Label → value pairs of a document metadata table ('Số ký hiệu', 'Loại văn bản'...)."""
    fields: dict[str, str] = {}
    wanted = _FIELD_NUMBER | _FIELD_TYPE | FIELD_DATE | _FIELD_TITLE
    for row in markup.tags:
        if row.name not in ("tr", "dl"):
            continue
        cells = row.find_all(["td", "th", "dt", "dd"], recursive=False)
        if row.name == "tr" and cells and len(cells) < 2:
            continue
        for label, value in itertools.pairwise(cells):
            key = bp._key(node_text(label))
            if key in wanted and key not in fields and (val := node_text(value)):
                fields[key] = val
    return fields


def doc_number_and_type(fields: dict[str, str], title: str | None) -> tuple[str | None, str | None]:
    from indexer.document import doc_type_from_number, find_doc_number

    number = None
    for key in _FIELD_NUMBER:
        value = fields.get(key, "")
        # A header row ('Số ký hiệu | Ngày ban hành') pairs two labels: a number has digits.
        if any(c.isdigit() for c in value) and (number := find_doc_number(value) or value):
            break
    number = number or (find_doc_number(title) if title else None)
    doc_type = next((fields[k].lower() for k in _FIELD_TYPE if k in fields), None)
    if not doc_type and number:
        doc_type = doc_type_from_number(number)
    return number, doc_type


def title_from_fields(fields: dict[str, str]) -> str | None:
    return next((fields[k] for k in ("trich yeu", "tieu de") if k in fields), None)


def _crumb_text(text: str, title: str | None) -> str | None:
    text = text.strip(" >»/|›:")
    if not text or len(text) > 80 or text == title or bp._key(text) in HOME_CRUMBS:
        return None
    return text


def find_category(markup: Markup, rules: SiteRules, title: Title) -> str | None:
    """Site selector, then the breadcrumb's last crumb, then the page's declared section, then
    the category heading standing nearest before the headline."""
    if (node := select(markup.soup, rules.category)) and (text := node_text(node)):
        return text
    tags = markup.tags
    by_class, by_id, by_label, by_type = [], [], [], []
    for tag in tags:
        if _BREADCRUMB.search(str(tag.get("class") or "")):
            by_class.append(tag)
        if _BREADCRUMB.search(str(tag.get("id") or "")):
            by_id.append(tag)
        if "breadcrumb" in str(tag.get("aria-label") or "").lower():
            by_label.append(tag)
        if "breadcrumblist" in str(tag.get("itemtype") or "").lower():
            by_type.append(tag)
    for trail in by_class + by_id + by_label + by_type:
        if any(_SHAREPOINT_POPOUT.search(str(t.get("class") or ""))
               for t in [trail, *trail.parents]):
            continue
        crumbs = [node_text(a) for a in trail.find_all("a")] or [
            node_text(li) for li in trail.find_all("li")]
        kept = [c for c in (_crumb_text(c, title.text) for c in crumbs) if c]
        if kept:
            return kept[-1]
    sections = [o["articleSection"] for o in markup.json_ld if isinstance(o.get("articleSection"),
                                                                          str)]
    for text in [*sections, markup.meta("article:section") or ""]:
        if found := _crumb_text(unicodedata.normalize("NFC", text), title.text):
            return found
    if title.node is not None:
        at = markup.position(title.node)
        boxes = [t for t in reversed(tags[:at]) if is_category_box(t)]
    else:
        boxes = [t for t in tags if is_category_box(t)]
    for box in boxes[:20]:
        found = _crumb_text(node_text(box), title.text)
        if found and parse_vietnamese_date(found) is None and not in_chrome(box):
            return found
    return None


def find_author(markup: Markup, rules: SiteRules) -> str | None:
    """Site selector or JSON-LD author (author lines in the text are read with the body)."""
    from crawl.body import AUTHOR_LINE

    if (node := select(markup.soup, rules.author)) and (text := node_text(node)):
        m = AUTHOR_LINE.match(text)
        return m.group("name") if m else text
    for obj in markup.json_ld:
        author = obj.get("author")
        for a in author if isinstance(author, list) else [author]:
            name = a.get("name") if isinstance(a, dict) else a
            if isinstance(name, str) and name.strip() and "://" not in name:
                return unicodedata.normalize("NFC", name.strip())
    return None


def is_file_link(a: Tag) -> bool:
    """A link to a document file: by its extension, a download handler, or its wording."""
    href = str(a.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return False
    if _ATTACHMENT_LINK.search(href):
        return True
    if skip_extension(href.split("?", 1)[0]):
        return False  # an image, an archive, a slide show: not a document we read
    if _DOWNLOAD_HREF.search(href):
        return True
    return bp._key(node_text(a)) in _DOWNLOAD_WORDS


def file_links(markup: Markup) -> list[str]:
    """hrefs (as written) of every link to a document file on the page."""
    return [str(t["href"]).strip() for t in markup.tags if t.name == "a" and is_file_link(t)]


def link_base(markup: Markup) -> str:
    """What relative links resolve against: <base href> as a browser reads it, else the page's
    canonical URL, else its URL."""
    base = next((t for t in markup.tags if t.name == "base" and t.get("href")), None)
    if base is not None:
        return urljoin(markup.url, str(base["href"]).strip())
    return markup.url if markup.canonical is None else markup.canonical


def attachments(markup: Markup, root: Tag, title: Title, template: SiteTemplate | None
                ) -> list[dict[str, str]]:
    """Links to document files (PDF, Word, Excel) of the page itself, absolute, once each: after
    its title when it has one, never in furniture, related-news boxes or the site's template."""
    found: list[dict[str, str]] = []
    seen: set[str] = set()
    start = markup.position(title.node) if title.node is not None else -1
    base = link_base(markup)
    for a in root.find_all("a", href=True):
        href = str(a["href"]).strip()
        if not is_file_link(a) or in_chrome(a):
            continue
        if template is not None and template.is_template_file(href):
            continue
        if start >= 0 and markup.position(a) < start:
            continue
        line = markup.line_for(a)
        if line is not None and (markup.in_related(line) or (
                line.is_link and template is not None and template.is_template_line(line))):
            continue  # a link box ('Văn bản mới') every page shows; 'Xem tại đây' is not one
        absolute = canonical_url(href, base)
        if absolute is None or absolute in seen:
            continue
        seen.add(absolute)
        text = node_text(a).strip(" :")
        if len(text) < 4 or bp.is_junk_line(text) or bp._key(text) in _LINK_WORDS:
            text = str(a.get("title") or "").strip() or file_name(absolute)
        found.append({"url": absolute, "title": unicodedata.normalize("NFC", text)})
    return found
