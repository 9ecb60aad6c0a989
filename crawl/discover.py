"""Finding URLs: canonical forms, trap guards, links in HTML, sitemaps, RSS/Atom. All pure."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html

# Query keys that never change the content: campaign tracking (Zalo's zarsrc is common in Vietnam),
# session ids, and print-view switches (a print view is the same document).
TRACKING_KEYS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid",
    "_ga", "_gl", "igshid", "zarsrc", "zaloid", "ref_src",
})
SESSION_KEYS = frozenset({
    "jsessionid", "phpsessid", "sid", "sessionid", "session_id", "aspsessionid", "cfid", "cftoken",
    "sessid", "s_id",
})
PRINT_KEYS = frozenset({"print", "printable", "in", "isprint", "printview", "printpage"})
PRINT_VALUES = frozenset({"print", "printable", "printer", "in"})
PRINT_VALUE_KEYS = frozenset({"view", "layout", "format", "tmpl", "mode", "display"})
# Calendar widgets link every month to the next one, forever (lịch làm việc, lịch công tác).
CALENDAR_KEYS = frozenset({
    "thang", "nam", "ngay", "tuan", "month", "year", "day", "week", "date", "m", "y", "d",
    "mm", "yy", "yyyy", "dd", "calendar", "cal",
})
PAGE_KEYS = frozenset({
    "page", "p", "pg", "trang", "pageindex", "paged", "pagenum", "pagenumber", "start", "offset",
    "currentpage", "cpage",
})
_PAGE_PATH = re.compile(r"/(?:page|trang|p)[/-]?\d+/?$", re.I)
SKIP_EXTENSIONS = frozenset({
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "rar", "7z", "gz", "jpg", "jpeg",
    "png", "gif", "bmp", "svg", "webp", "ico", "mp3", "mp4", "avi", "wmv", "flv", "swf", "css",
    "js", "exe", "msi", "apk", "iso", "tif", "tiff", "odt", "ods",
})
MAX_URL_LENGTH = 400
MAX_PATH_SEGMENTS = 12
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = "/:@!$'()*+,;-._~%?"
_DATEISH = re.compile(r"^\d{1,4}([-/.]\d{1,4}){0,2}$")


def _drop_key(key: str, value: str) -> bool:
    k = key.lower()
    if k.startswith("utm_") or k in TRACKING_KEYS or k in SESSION_KEYS or k in PRINT_KEYS:
        return True
    if k.startswith("aspsessionid"):
        return True
    return k in PRINT_VALUE_KEYS and value.lower() in PRINT_VALUES


def canonical_url(url: str, base: str | None = None) -> str | None:
    """The one form of a URL: absolute, no fragment, tracking, session or print parameters."""
    url = url.strip()
    if base is not None:
        url = urljoin(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    port = parts.port if parts.port not in (None, 80 if scheme == "http" else 443) else None
    netloc = f"{host}:{port}" if port else host
    # ;jsessionid=… path parameters (Java portals such as Liferay)
    path = re.sub(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", "", parts.path, flags=re.I)
    path = quote(path, safe=_SAFE_PATH) or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _drop_key(k, v)]
    query.sort(key=lambda kv: kv[0].lower())
    return urlunsplit((scheme, netloc, path, urlencode(query, safe=_SAFE_QUERY), ""))


def trap_reason(url: str) -> str | None:
    """Why a URL looks like an endless URL space (calendars, loops), or None."""
    if len(url) > MAX_URL_LENGTH:
        return "long url"
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > MAX_PATH_SEGMENTS:
        return "deep path"
    if segments and Counter(segments).most_common(1)[0][1] >= 3:
        return "repeated path segments"
    dated = [k for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() in CALENDAR_KEYS and _DATEISH.match(v)]
    if len(dated) >= 2 or any(k.lower() in ("date", "ngay") for k in dated):
        return "calendar"
    return None


def skip_extension(url: str) -> bool:
    """True for files that are not pages (attachments are read from the page that links them)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[-1].lower() in SKIP_EXTENSIONS


def page_series(url: str) -> str:
    """A listing URL with its page number removed: two pages of one listing share it."""
    parts = urlsplit(url)
    path = _PAGE_PATH.sub("/", parts.path) if _PAGE_PATH.search(parts.path) else parts.path
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in PAGE_KEYS]
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/") or "/", urlencode(query), ""))


def is_pagination(from_url: str, to_url: str) -> bool:
    """True when to_url is another page of the same listing as from_url (one of the two has a
    page number: '/a' and '/a/' are one page, not two pages of a listing)."""
    return (from_url != to_url and page_series(from_url) == page_series(to_url)
            and (paginated(from_url) or paginated(to_url)))


@dataclass
class PageLinks:
    """What a page points to."""

    links: list[str] = field(default_factory=list)  # canonical, in page order, unique
    feeds: list[str] = field(default_factory=list)
    canonical: str | None = None
    next_pages: list[str] = field(default_factory=list)  # rel=next
    # For relative links: the link as the other base resolves it (see parse_links' alt_base).
    alternates: dict[str, str] = field(default_factory=dict)


def is_relative(href: str) -> bool:
    """'b', './b', '../b': a link resolved against the page's own path."""
    return not re.match(r"^(?:[a-z][a-z0-9+.-]*:|/|\?|#)", href.strip(), re.I)


def parse_links(html: str, url: str, alt_base: str | None = None) -> PageLinks:
    """Links, feeds, rel=canonical and rel=next of an HTML page (honours <base href>).

    With alt_base (the URL as the site linked it, when the server redirected it to `url`),
    each relative link is also resolved against alt_base, into `alternates`."""
    out = PageLinks()
    try:
        doc = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return out
    base = url
    for el in doc.iter("base"):
        href = el.get("href")
        if href:
            base = urljoin(url, href.strip())
            break
    seen: set[str] = set()
    for el in doc.iter("a", "area", "link"):
        href = el.get("href")
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        rel = (el.get("rel") or "").lower().split()
        target = canonical_url(href, base if el.tag != "link" else url)
        if target is None:
            continue
        if el.tag == "link":
            kind = (el.get("type") or "").lower()
            if "canonical" in rel:
                out.canonical = target
            elif "alternate" in rel and ("rss" in kind or "atom" in kind):
                out.feeds.append(target)
            elif "next" in rel:
                out.next_pages.append(target)
            continue
        if "next" in rel:
            out.next_pages.append(target)
        if target not in seen:
            seen.add(target)
            out.links.append(target)
            if alt_base is not None and base == url and is_relative(href):
                other = canonical_url(href, alt_base)
                if other is not None and other != target:
                    out.alternates[target] = other
    return out


def _xml(body: bytes) -> lxml.etree._Element | None:
    parser = lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True,
                                  huge_tree=False)
    try:
        root = lxml.etree.fromstring(body.lstrip(), parser)
    except lxml.etree.XMLSyntaxError:
        return None
    return root


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def parse_date(text: str | None) -> datetime | None:
    """A sitemap (W3C) or feed (RFC 822) date, naive UTC-less; None when unreadable."""
    if not text:
        return None
    text = text.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def parse_sitemap(body: bytes) -> tuple[list[tuple[str, datetime | None]], list[str]]:
    """A sitemap or sitemap index → ([(page URL, lastmod)], [child sitemap URLs])."""
    root = _xml(body)
    if root is None:
        return [], []
    pages: list[tuple[str, datetime | None]] = []
    children: list[str] = []
    for entry in root:
        kind = _local(entry.tag)
        if kind not in ("url", "sitemap"):
            continue
        values = {_local(c.tag): (c.text or "").strip() for c in entry}
        if not values.get("loc"):
            continue
        if kind == "sitemap":
            children.append(values["loc"])
        else:
            pages.append((values["loc"], parse_date(values.get("lastmod"))))
    return pages, children


def parse_feed(body: bytes) -> list[tuple[str, datetime | None]]:
    """An RSS 2.0 or Atom feed → [(item link, updated or published date)]."""
    root = _xml(body)
    if root is None:
        return []
    items: list[tuple[str, datetime | None]] = []
    for el in root.iter():
        kind = _local(el.tag)
        if kind not in ("item", "entry"):
            continue
        link, when = None, None
        for c in el:
            name = _local(c.tag)
            if name == "link":
                href = c.get("href")
                if href and c.get("rel", "alternate") == "alternate":
                    link = href.strip()
                elif not href and c.text:
                    link = c.text.strip()
            elif name in ("pubdate", "updated", "published", "date") and when is None:
                when = parse_date(c.text)
            elif name == "guid" and link is None and (c.text or "").startswith("http"):
                link = (c.text or "").strip()
        if link:
            items.append((link, when))
    return items


def looks_like_xml(body: bytes, content_type: str | None) -> bool:
    """True for sitemaps and feeds (by header, or by the first bytes when the header lies)."""
    ctype = (content_type or "").lower()
    if "officedocument" in ctype or "opendocument" in ctype:
        return False  # DOCX, XLSX, ODT: zipped XML, documents
    if "xml" in ctype or "rss" in ctype or "atom" in ctype:
        return True
    head = body[:300].lstrip().lower()
    return head.startswith(b"<?xml") and b"<html" not in head


def paginated(url: str) -> bool:
    """True for page 2+ of a listing ('/tin/page/3', '?page=3'), False for its first page."""
    parts = urlsplit(url)
    if _PAGE_PATH.search(parts.path):
        return True
    return any(k.lower() in PAGE_KEYS and v.isdigit() and v not in ("0", "1")
               for k, v in parse_qsl(parts.query, keep_blank_values=True))
