"""The Vietnamese search page, rendered on the server (works without JavaScript)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from indexer.config import Settings
from indexer.errors import IndexMissing
from search.engine import Engine, SearchResult
from search.params import InvalidParam, parse_search_params

TEMPLATES = Path(__file__).parent / "templates"
PAGE_SIZE = 10


def vn_date(value: str | None) -> str:
    """'2021-06-24T08:30:00' → '24/06/2021'."""
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


def page_numbers(page: int, last: int) -> list[int | None]:
    """Page links to show: first, last, a window around the current one; None = gap."""
    shown = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    out: list[int | None] = []
    for i, n in enumerate(shown):
        if i and n - shown[i - 1] > 1:
            out.append(None)
        out.append(n)
    return out


class PageViews:
    """Handlers for / and /search and /embed."""

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

    def _render(self, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(**ctx)
        return HTMLResponse(html, status_code=status)

    def search_page(self, request: Request) -> Response:
        params = dict(request.query_params)
        error = None
        result: SearchResult | None = None
        try:
            req = parse_search_params(params, default_size=PAGE_SIZE)
        except InvalidParam as exc:
            error = exc.message
            req = parse_search_params({"q": params.get("q", "")}, default_size=PAGE_SIZE)
        facets: dict[str, list[tuple[str, int]]] = {}
        try:
            if req.q.strip() or req.has_filters():
                result = self.engine.search(req)
            facets = self.engine.facets()
        except IndexMissing:
            error = "Chưa có dữ liệu để tìm kiếm: hãy nhập bài viết trước (tracuu index import)."

        def url_with(**changes: Any) -> str:
            merged = {k: v for k, v in params.items() if v}
            merged.update({k: v for k, v in changes.items()})
            merged = {k: v for k, v in merged.items() if v not in (None, "")}
            if merged.get("page") in (1, "1"):
                merged.pop("page")
            return "/search?" + urlencode(merged)

        last_page = 1
        if result is not None:
            last_page = max(1, min(500, -(-result.total // req.size)))
        return self._render(
            "search.html",
            status=400 if error and result is None and "q" in params and req.q else 200,
            req=req,
            result=result,
            error=error,
            facets=facets,
            url_with=url_with,
            pages=page_numbers(req.page, last_page) if result else [],
            last_page=last_page,
            mark=lambda s: Markup(s),  # snippets are escaped by search.snippet, only <mark> added
        )

    def embed_page(self, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return self._render("embed.html", base=base)
