"""The Vietnamese search page, rendered on the server (works without JavaScript)."""

from __future__ import annotations

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
from search.engine import Engine
from search.params import InvalidParam, parse_search_params
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
EXAMPLES = ("Ủy ban nhân dân", "dan van", "UBND", "phòng chống tham nhũng", "123/KH-UBND")
# The API's messages are English; the page speaks Vietnamese.
PARAM_ERRORS = {
    "invalid_page": "Số trang không hợp lệ.",
    "invalid_size": "Số kết quả mỗi trang không hợp lệ.",
    "invalid_sort": "Cách sắp xếp không hợp lệ.",
    "invalid_from": "Ngày bắt đầu không hợp lệ (dạng năm-tháng-ngày).",
    "invalid_to": "Ngày kết thúc không hợp lệ (dạng năm-tháng-ngày).",
    "invalid_range": "Ngày bắt đầu phải trước ngày kết thúc.",
    "invalid_year": "Năm không hợp lệ (dạng bốn chữ số).",
    "invalid_kind": "Loại nội dung không hợp lệ.",
}
NO_INDEX = "Chưa có dữ liệu để tìm kiếm: hãy nhập bài viết trước (tracuu index import)."
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

    def _render(self, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(**ctx)
        return HTMLResponse(html, status_code=status)

    def search_page(self, request: Request) -> Response:
        params = {k: v for k, v in request.query_params.items() if k in KNOWN_PARAMS}
        error = None
        status = 200
        try:
            req = parse_search_params(params, default_size=PAGE_SIZE)
        except InvalidParam as exc:
            error = PARAM_ERRORS.get(exc.code, "Tham số tìm kiếm không hợp lệ.")
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
        return self._render(
            "search.html",
            status=status,
            req=req,
            result=result,
            error=error,
            facets=facets,
            url_with=link,
            pages=page_numbers(req.page, last_page) if result else [],
            last_page=last_page,
            active=active,
            drop_filters_url=link(**dict.fromkeys(FILTERS), page=None),
            sort_labels=SORT_LABELS,
            examples=EXAMPLES,
            hit_url=lambda h: self._hit_url(request, h),
            mark=lambda s: Markup(s),  # snippets are escaped by search.snippet, only <mark> added
        )

    @staticmethod
    def _hit_url(request: Request, hit: Hit) -> str:
        """The original page; without one, the stored article (HTML page when routed, else JSON)."""
        if hit.url and hit.url.startswith(("http://", "https://")):
            return hit.url
        try:
            return str(request.url_for("document_page", id=hit.id).path)
        except NoMatchFound:
            return str(request.url_for("api_document", id=hit.id).path)

    def document_page(self, request: Request) -> Response:
        """A stored article as a Vietnamese page (for articles that have no original URL)."""
        art = self.engine.document(request.path_params["id"])
        if art is None:
            return self._render("document.html", status=404, art=None, back=_back(request))
        return self._render(
            "document.html",
            art=art,
            paragraphs=[p for p in art.body.split("\n") if p.strip()],
            back=_back(request),
        )

    def embed_page(self, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        snippet = (
            f'<form action="{base}/search" method="get" accept-charset="utf-8" role="search">'
            '<input name="q" type="search" placeholder="Tìm tin tức, văn bản…" '
            'aria-label="Tìm kiếm" required><button type="submit">Tìm</button></form>'
        )
        return self._render("embed.html", base=base, snippet=snippet)


def _back(request: Request) -> str:
    """Where 'back to results' goes: the results page the visitor came from, if it was ours."""
    ref = request.headers.get("referer", "")
    base = str(request.base_url)
    if ref.startswith(base) and "/search" in ref:
        return "/" + ref[len(base) :].lstrip("/")
    return "/"
