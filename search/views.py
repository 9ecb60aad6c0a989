"""The Vietnamese search page, rendered on the server (works without JavaScript)."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import NoMatchFound

from indexer.config import Settings
from indexer.text import fold_lower
from search import query as qb
from search.engine import Engine
from search.errors import message_for
from search.params import InvalidParam, parse_search_params
from search.snippet import make_snippet
from search.types import Hit, SearchRequest, SearchResult

TEMPLATES = Path(__file__).parent / "templates"
PAGE_SIZE = 10
MAX_PAGE = 500
FILTERS = ("site", "category", "doc_type", "from", "to", "issuer", "year", "kind")
FILTER_LABELS = {
    "site": "Trang",
    "category": "Chuyên mục",
    "doc_type": "Loại văn bản",
    "from": "Từ ngày",
    "to": "Đến ngày",
    "issuer": "Cơ quan ban hành",
    "year": "Năm ban hành",
    "kind": "Loại nội dung",
}
SORT_LABELS = {"relevance": "Phù hợp nhất", "newest": "Mới nhất", "oldest": "Cũ nhất",
               "signed_desc": "Ngày ký mới nhất", "signed_asc": "Ngày ký cũ nhất"}
# Queries that show what tracuu does on the demo archive: a phrase, one typed without
# diacritics, an abbreviation, a directive's subject, a whole and a partial document number.
EXAMPLES = (
    "Ủy ban nhân dân", "tiep cong dan", "UBND", "dich ta lon chau phi", "08/CT-UBND", "210/BC",
)
NO_INDEX = message_for("no_index")
NOT_FOUND = "Không có trang này. Hãy tìm bằng ô tìm kiếm ở trên."
# An entity left escaped in the source text ("TTNCKT&amp;QLMT" in imported articles): shown as
# the character it names, never as "&amp;".
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_ESCAPED_ENTITY = re.compile(r"&amp;(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31};)")
_WORD = r"[^\W_]"
KNOWN_PARAMS = ("q", "page", "sort", *FILTERS)


def vn_date(value: str | None) -> str:
    """'2021-06-24T08:30:00' → '24/06/2021'; '' when missing or unreadable."""
    if not value:
        return ""
    try:
        d = date.fromisoformat(value[:10])
    except ValueError:
        return ""
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def vn_number(n: int) -> str:
    """12345 → '12.345' (Vietnamese thousands separator)."""
    return f"{n:,}".replace(",", ".")


def vn_seconds(ms: float) -> str:
    """23.4 (ms) → '0,02' (seconds, Vietnamese decimal comma)."""
    return f"{ms / 1000:.2f}".replace(".", ",")


def plain(text: str | None) -> str:
    """Text with leftover HTML entities turned into their characters (to be escaped once)."""
    if not text or "&" not in text:
        return text or ""
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def unescape_twice(markup: str) -> Markup:
    """Snippet HTML whose text held an entity: '&amp;amp;' → '&amp;' (still escaped, shows '&')."""
    return Markup(_ESCAPED_ENTITY.sub(r"&\1", markup))


def highlight(text: str, terms: frozenset[str]) -> Markup:
    """`text` escaped, whole words matching the query in <mark> (adjacent ones in one mark).

    A term typed with diacritics marks that spelling only (case aside); one typed without marks
    any accenting of it ("dan" marks "dân" and "dần").
    """
    text = unicodedata.normalize("NFC", plain(text))
    lower, folded = text.lower(), fold_lower(text)
    spans: list[tuple[int, int]] = []
    caps = {t for t in terms if t.isupper()}  # 'ĐU' as written, never the 'đu' of 'đu quay'
    rest = [t for t in terms if t and t not in caps]
    for haystack, group in (
        (text, caps),
        (lower, {t.lower() for t in rest if fold_lower(t) != t.lower()}),
        (folded, {t.lower() for t in rest if fold_lower(t) == t.lower()}),
    ):
        if not group or len(haystack) != len(text):
            continue
        alternation = "|".join(map(re.escape, sorted(group, key=len, reverse=True)))
        pattern = re.compile(rf"(?<!{_WORD})(?:{alternation})(?!{_WORD})")
        spans += [m.span() for m in pattern.finditer(haystack)]
    runs: list[list[int]] = []
    for a, b in sorted(spans):
        if runs and a <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], b)
        elif runs and text[runs[-1][1] : a].strip(" ") == "":
            runs[-1][1] = b
        else:
            runs.append([a, b])
    out, pos = [], 0
    for a, b in runs:
        out.append(html.escape(text[pos:a], quote=False))
        out.append(f"<mark>{html.escape(text[a:b], quote=False)}</mark>")
        pos = b
    out.append(html.escape(text[pos:], quote=False))
    return Markup("".join(out))


def page_numbers(page: int, last: int) -> list[int | None]:
    """Page links to show: first, last, a window around the current one; None = gap."""
    shown = sorted({1, last, *range(max(1, page - 1), min(last, page + 1) + 1)})
    out: list[int | None] = []
    for i, n in enumerate(shown):
        if i and n - shown[i - 1] > 1:
            out.append(None)
        out.append(n)
    return out


def url_with(params: Mapping[str, str], path: str = "/search", **changes: Any) -> str:
    """The page URL with some parameters changed (None or '' drops one); page 1 is implicit."""
    merged: dict[str, Any] = {k: v for k, v in params.items() if v}
    merged.update(changes)
    merged = {k: v for k, v in merged.items() if v not in (None, "")}
    if str(merged.get("page")) == "1":
        merged.pop("page")
    return path + ("?" + urlencode(merged) if merged else "")


@dataclass(frozen=True)
class ActiveFilter:
    """A filter in force, shown as a chip that removes it."""

    label: str
    value: str
    remove_url: str


class PageViews:
    """Handlers for / and /search, /embed, and the stored-article page."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["vn_date"] = vn_date
        self.env.filters["vn_number"] = vn_number
        self.env.filters["vn_seconds"] = vn_seconds
        self.env.filters["plain"] = plain

    def _render(self, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        page = self.env.get_template(name).render(**ctx)
        return HTMLResponse(page, status_code=status)

    def search_page(self, request: Request) -> Response:
        params = {k: v for k, v in request.query_params.items() if k in KNOWN_PARAMS}
        error = None
        status = 200
        try:
            req = parse_search_params(params, default_size=PAGE_SIZE)
        except InvalidParam as exc:
            error = message_for(exc.code)
            status = 400
            params = {"q": params.get("q", "")}
            req = parse_search_params(params, default_size=PAGE_SIZE)
        facets = self.engine.facets()  # IndexMissing goes to create_app's one handler
        result = self.engine.search(req) if req.q.strip() or req.has_filters() else None
        return self._search_html(request, params, req, result, facets, error, status)

    def no_index_page(self, request: Request) -> Response:
        """The search page saying there is nothing to search yet (503)."""
        params = {"q": (request.query_params.get("q") or "")[:200]}
        req = SearchRequest(q=params["q"])
        return self._search_html(request, params, req, None, {}, NO_INDEX, 503)

    def timeout_page(self, request: Request) -> Response:
        """The search page saying the search ran past its time limit (503)."""
        params = {"q": (request.query_params.get("q") or "")[:200]}
        req = SearchRequest(q=params["q"])
        return self._search_html(request, params, req, None, {}, message_for("timeout"), 503)

    def not_found_page(self, request: Request) -> Response:
        """A Vietnamese 404 page with the search box."""
        return self._search_html(request, {"q": ""}, SearchRequest(), None, {}, NOT_FOUND, 404)

    def _search_html(
        self,
        request: Request,
        params: dict[str, str],
        req: SearchRequest,
        result: SearchResult | None,
        facets: dict[str, list[tuple[str, int]]],
        error: str | None,
        status: int,
    ) -> Response:
        def link(**changes: Any) -> str:
            return url_with(params, **changes)

        last_page = 1
        if result is not None:
            last_page = max(1, min(MAX_PAGE, -(-result.total // req.size)))
            if req.page > last_page:  # past the end: say so, and link back to page 1
                result = replace(result, hits=[])
        active = [
            ActiveFilter(
                FILTER_LABELS[k],
                vn_date(params[k]) if k in ("from", "to") else params[k],
                link(**{k: None, "page": None}),
            )
            for k in FILTERS
            if params.get(k)
        ]
        pq = qb.parse(req.q)
        terms, phrases = pq.highlight_terms(), pq.highlight_phrases()

        def marked_title(hit: Hit) -> Markup:
            """The hit's title with what matched marked, the way the snippet marks it."""
            title = plain(hit.title)
            return Markup(make_snippet(title, terms, width=len(title) + 1, phrases=phrases))

        return self._render(
            "search.html",
            status=status,
            req=req,
            result=result,
            marked_title=marked_title,
            error=error,
            facets=facets,
            url_with=link,
            pages=page_numbers(req.page, last_page) if result else [],
            last_page=last_page,
            active=active,
            drop_filters_url=link(**dict.fromkeys(FILTERS), page=None),
            sort_labels=SORT_LABELS,
            examples=EXAMPLES,
            hit_url=lambda h: self._hit_url(request, h, req.q),
            mark=unescape_twice,  # snippets are escaped by search.snippet, only <mark> added
        )

    @staticmethod
    def _hit_url(request: Request, hit: Hit, q: str = "") -> str:
        """The original page; without one, the stored article (HTML page when routed, else JSON).

        The stored article's page carries the query (?q=) to highlight it and refill the box.
        """
        if hit.url and hit.url.startswith(("http://", "https://")):
            return hit.url
        try:
            path = str(request.url_for("document_page", id=hit.id).path)
        except NoMatchFound:
            return str(request.url_for("api_document", id=hit.id).path)
        return path + ("?" + urlencode({"q": q.strip()}) if q.strip() else "")

    def document_page(self, request: Request) -> Response:
        """A stored article as a Vietnamese page (for articles that have no original URL)."""
        art = self.engine.document(request.path_params["id"])
        q = (request.query_params.get("q") or "")[:500]
        back = _back(request, q)
        if art is None:
            return self._render("document.html", status=404, art=None, back=back, q=q)
        terms = qb.parse(q).highlight_terms() if q.strip() else frozenset()
        return self._render(
            "document.html",
            art=art,
            q=q,
            title=highlight(art.title, terms),
            paragraphs=[highlight(p, terms) for p in art.body.split("\n") if p.strip()],
            back=back,
        )

    def embed_page(self, request: Request) -> Response:
        """The embed snippet, pointing at the configured public URL (never the Host header)."""
        base = public_base(self.settings.public_url)
        snippet = embed_snippet(base) if base else ""
        return self._render("embed.html", base=base, snippet=snippet)


def public_base(url: str) -> str:
    """The configured public URL as 'https://host[/prefix]', or '' when unset or not http(s)."""
    url = url.strip().rstrip("/")
    return url if re.fullmatch(r"https?://[^\s\"'<>/?#]+(/[^\s\"'<>?#]*)?", url) else ""


def embed_snippet(base: str) -> str:
    """The one-line search form a portal pastes into its pages."""
    action = html.escape(base + "/search")
    return (
        f'<form action="{action}" method="get" accept-charset="utf-8" role="search">'
        '<input name="q" type="search" placeholder="Tìm tin tức, văn bản…" '
        'aria-label="Tìm kiếm" required><button type="submit">Tìm</button></form>'
    )


def _back(request: Request, q: str = "") -> str:
    """Where 'back to results' goes: the results page the visitor came from, if it was ours."""
    ref = request.headers.get("referer", "")
    base = str(request.base_url)
    if ref.startswith(base) and "/search" in ref:
        return "/" + ref[len(base) :].lstrip("/")
    return url_with({"q": q.strip()}) if q.strip() else "/"
