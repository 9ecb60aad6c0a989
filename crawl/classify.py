"""What a page is, decided in one place from the evidence on it: article, document, listing, empty.

An article or document has its own title and a date, a body or an attached file, whatever lists
of related headlines surround it. A listing's main content is a list of links to pages of the
site. A page with a title and nothing else (a placeholder, a soft 404) is empty. Related-news
boxes, menus, footers and the site's template are never evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from bs4 import Tag

from crawl.fields import Title
from crawl.markup import Line, Markup
from crawl.template import SiteTemplate

ARTICLE, DOCUMENT, LISTING, EMPTY = "article", "document", "listing", "empty"
INDEXED_KINDS = frozenset({ARTICLE, DOCUMENT})

_ARTICLE_TYPES = {"article", "newsarticle", "blogposting", "report", "reportagenewsarticle",
                  "analysisnewsarticle", "webpage-article", "legislation"}
_LISTING_PATH = re.compile(r"/(?:page|trang)/\d+/?$|[?&](?:page|p|trang)=\d+", re.I)
_FILE = re.compile(r"\.(pdf|docx?|xlsx?|rar|zip)(?:$|[?#])", re.I)
_SOFT_404 = re.compile(
    r"\b404\b|not found|không tìm thấy|không tồn tại|đang (?:được )?cập nhật|"
    r"trang (?:bạn )?(?:yêu cầu|tìm)|default \w+ layout", re.I)
# A headline link is an in-site link whose text reads like a headline, opening its line.
HEADLINE_CHARS, HEADLINE_WORDS = 30, 5
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
HEADING_PROSE = 150  # a "heading" this long is a paragraph set as one (it counts as text)
PROSE = 50  # a run of prose this long between links is text, not a list
LISTING_LINKS, LISTING_RUN = 3, 400
OWN_TEXT = 40  # characters of own text after the title that make a body
DATE_LINE = 3  # lines: a date-only line this close under the title is the date, not body
UNDER = 4  # lines: a list under a heading starts this close to it
HEADED_LIST_LINKS = 2  # a heading with two headline links right under it heads a list
HEADED_LIST_GAP = 60  # own text under a heading before its list starts, at most, in a listing


@dataclass
class Evidence:
    """Everything the decision looks at, kept for `tracuu crawl --explain`."""

    url_kind: str = ""  # 'home', 'pagination', 'search' when the URL says so
    title: str | None = None
    title_on_page: bool = False
    title_source: str = ""
    date: str | None = None
    own_text: int = 0  # prose characters after the title, outside links, boxes and template
    own_lines: int = 0
    links_after: int = 0  # headline links in a list starting right under the title
    text_before_links: int = 0  # own text between the title and the first of those links
    headline_links: int = 0  # on the whole page (outside furniture and related boxes)
    prose_run: int = 0  # longest run of prose between two headline links
    attachments: int = 0
    doc_number: str | None = None
    declared: str = ""  # 'article' or 'website' (og:type, JSON-LD), '' when silent
    soft_404: bool = False
    form_controls: int = 0  # text inputs and drop-downs right under the title (a lookup form)
    by_rules: bool = False  # the site's body selector (sites.toml) matched an element
    next_pages: int = 0  # links to other pages of this page's own listing ('Trang 2', '?page=3')
    template_lines: int = 0  # lines left out as the site's template
    related_lines: int = 0  # lines left out as related-news boxes
    own: list[Line] = field(default_factory=list, repr=False)  # the lines counted as own text
    after: list[Line] = field(default_factory=list, repr=False)  # text lines after the title


def _headline_links(line: Line, host: str | None, base: str) -> int:
    """Headline links on a line that opens with one (a link inside a sentence is prose)."""
    if line.lead_chars >= HEADLINE_CHARS or not line.links:
        return 0
    count = 0
    for a in line.links:
        href = str(a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")) or _FILE.search(
                href):
            continue
        text = " ".join(a.get_text(" ").split())
        if len(text) < HEADLINE_CHARS or len(text.split()) < HEADLINE_WORDS:
            continue
        if urlsplit(urljoin(base, href)).hostname == host:
            count += 1
    return count


def gather(markup: Markup, title: Title, date: str | None, attachments: int,
           doc_number: str | None, template: SiteTemplate | None) -> Evidence:
    """Read the evidence of a page from its lines, its title and its metadata."""
    ev = Evidence(title=title.text, title_on_page=title.on_page, title_source=title.source,
                  date=date, attachments=attachments, doc_number=doc_number)
    path = urlsplit(markup.url).path
    if path.strip("/").lower() in ("", "index.html", "default.aspx", "index.php", "home"):
        ev.url_kind = "home"
    elif _LISTING_PATH.search(markup.url):
        ev.url_kind = "pagination"
    elif "/search" in path.lower() or "tim-kiem" in path.lower():
        ev.url_kind = "search"
    og_type = (markup.meta("og:type") or "").lower()
    if og_type == "article" or markup.ld_types() & _ARTICLE_TYPES:
        ev.declared = "article"
    elif og_type == "website":
        ev.declared = "website"
    if title.text:
        ev.soft_404 = bool(_SOFT_404.search(title.text))

    lines = markup.lines
    host = urlsplit(markup.url).hostname
    title_line = markup.line_for(title.node)
    at = title_line.index if title_line is not None else None
    run = best_run = 0
    first_link_seen = False
    soft: list[str] = []  # the first own lines, where a soft 404 says what it is
    for line in lines:
        if line.chrome:
            continue
        if markup.in_related(line):
            ev.related_lines += 1
            continue
        # Template text, and link boxes on (nearly) every page: not this page's content.
        template_line = template is not None and template.is_template_line(line) and (
            not line.is_link or template.site_wide(line))
        links = 0 if template_line else _headline_links(line, host, markup.url)
        if links:
            ev.headline_links += links
            best_run, run = max(best_run, run), 0
        elif line.prose_chars >= PROSE and not template_line:
            run += line.prose_chars
        if at is None or line.index <= at:
            continue
        if template_line:
            ev.template_lines += 1
            continue
        if not line.is_link and line.text != title.text and not (
                line.index - at <= DATE_LINE and _only_date(line.text)):  # the date line
            ev.after.append(line)
        if links:
            # Links count as the list under the heading when they start right under it.
            if first_link_seen or line.index - at <= UNDER:
                ev.links_after += links
                first_link_seen = True
        elif (not line.is_link and line.text != title.text and not _only_date(line.text)
              # Another page's heading is no body; a paragraph set as a heading is.
              and (line.block.name not in _HEADINGS or line.prose_chars >= HEADING_PROSE)):
            # Cells of a data table (a list of documents without links, a form's labels)
            # weigh a quarter: the body of a page is sentences.
            own = line.prose_chars if line.row is None else line.prose_chars // 4
            ev.own_text += own
            ev.own_lines += 1 if own else 0
            ev.own.append(line)
            if len(soft) < 3:
                soft.append(line.text)
            if not first_link_seen:
                ev.text_before_links += own
    ev.prose_run = max(best_run, run)
    ev.next_pages = _next_pages(markup)
    if soft and ev.own_text < LISTING_RUN:
        ev.soft_404 = ev.soft_404 or any(_SOFT_404.search(x) for x in soft)
    if at is not None and title.node is not None:
        ev.form_controls = _form_controls(markup, title.node, lines[at + 1: at + 16])
    return ev


def _next_pages(markup: Markup) -> int:
    """Links to another page of the listing this page is the first or a later page of."""
    from crawl.discover import canonical_url, is_pagination

    count = 0
    for tag in markup.tags:
        href = str(tag.get("href") or "").strip() if tag.name == "a" else ""
        if href and any(c.isdigit() for c in href):  # a page number is a number
            target = canonical_url(href, markup.url)
            if target is not None and is_pagination(markup.url, target):
                count += 1
    return count


def _form_controls(markup: Markup, title: Tag, following: list[Line]) -> int:
    """Text inputs and drop-downs between the title and the lines that follow it."""
    start = markup.position(title)
    end = markup.position(following[-1].block) if following else start
    count = 0
    for tag in markup.tags[start + 1: max(end, start + 1) + 1]:
        if tag.name == "select" or tag.name == "textarea" or (
                tag.name == "input" and str(tag.get("type") or "text").lower() in (
                    "text", "search")):
            count += 1
    return count


def _only_date(text: str) -> bool:
    from crawl.dates import parse_vietnamese_date

    return len(text) <= 60 and parse_vietnamese_date(text) is not None and len(
        re.findall(r"[^\W\d_]{2,}", text)) <= 4


def decide(ev: Evidence) -> tuple[str, str]:
    """(kind, why): the one decision between article, document, listing and empty."""
    listing_shaped = ev.headline_links >= LISTING_LINKS and ev.prose_run < LISTING_RUN
    if ev.url_kind in ("home", "search", "pagination"):
        return LISTING, f"a {ev.url_kind} page by its address"
    if ev.by_rules and ev.title:
        return _kind(ev), "the site's body selector matched, and it has a title"
    if ev.next_pages and ev.own_text < LISTING_RUN:
        return LISTING, f"links to {ev.next_pages} other page(s) of its own listing"
    if ev.soft_404 and ev.own_text < LISTING_RUN:
        return EMPTY, f"a placeholder or soft 404 ('{ev.title}')"
    if not ev.title:
        # Without a title no prose makes an article: links to the site's pages make a listing.
        if ev.headline_links >= LISTING_LINKS:
            return LISTING, f"no title of its own; {ev.headline_links} headline links"
        return EMPTY, "no title of its own and no list of links"
    if not ev.title_on_page:
        # Only metadata or <title> names it: a page of prose is an article, nothing less.
        if ev.declared == "article" and (ev.own_text or ev.attachments):
            return _kind(ev), "declared an article (og:type / JSON-LD) with text"
        if ev.own_text >= LISTING_RUN and not listing_shaped and ev.declared != "website":
            return _kind(ev), f"{ev.own_text} characters of prose under a declared title"
        if listing_shaped:
            return LISTING, f"no heading of its own; {ev.headline_links} headline links"
        return EMPTY, "no heading of its own and little text"
    if ev.form_controls >= 2 and ev.own_text < 200:
        return LISTING, f"a lookup form under the heading '{ev.title}'"
    if (ev.links_after >= HEADED_LIST_LINKS and ev.text_before_links < HEADED_LIST_GAP
            and not ev.attachments):
        return LISTING, (f"the heading '{ev.title}' stands over {ev.links_after} headline links "
                         f"with {ev.text_before_links} characters of its own text")
    if ev.date:
        return _kind(ev), "its own title and date"
    if ev.own_text >= OWN_TEXT:
        return _kind(ev), f"its own title and {ev.own_text} characters of its own text"
    if ev.attachments:
        return _kind(ev), "its own title and an attached file"
    if ev.doc_number:
        return _kind(ev), f"its own title and document number {ev.doc_number}"
    return EMPTY, "a title alone: no date, no text, no file"


def _kind(ev: Evidence) -> str:
    return DOCUMENT if (ev.attachments or ev.doc_number) else ARTICLE
