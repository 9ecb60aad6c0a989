"""The HTTP app: JSON API and the server-rendered Vietnamese page. Built by create_app(settings)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer.config import Settings
from indexer.errors import IndexMissing
from search.archive import ArchiveViews
from search.engine import Engine
from search.openapi import OPENAPI
from search.params import InvalidParam, parse_search_params
from search.views import PageViews

log = logging.getLogger(__name__)

HERE = Path(__file__).parent

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self' *",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


class SecurityHeaders:
    """Adds CSP (no inline scripts), nosniff and Referrer-Policy to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def error(status: int, code: str, message: str) -> JSONResponse:
    """The API's error shape."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def create_app(settings: Settings, engine: Engine | None = None) -> Starlette:
    """The Starlette app serving settings.data_dir."""
    engine = engine or Engine(settings.data_dir)
    views = PageViews(engine, settings)
    archive = ArchiveViews(engine, views)

    def api_search(request: Request) -> Response:
        try:
            req = parse_search_params(request.query_params)
        except InvalidParam as exc:
            return error(400, exc.code, exc.message)
        return JSONResponse(engine.search(req).to_dict())

    def api_document(request: Request) -> Response:
        art = engine.document(request.path_params["id"])
        if art is None:
            return error(404, "not_found", "no article with this id")
        return JSONResponse(art.to_dict())

    def api_suggest(request: Request) -> Response:
        q = (request.query_params.get("q") or "")[:200]
        return JSONResponse({"query": q, "suggestions": engine.suggest(q)})

    def healthz(request: Request) -> Response:
        gen = engine.generation()
        folder, number = gen.key
        return JSONResponse(
            {
                "status": "ok",
                "documents": gen.view.doc_count,
                "index": Path(folder).name,
                "generation": number,
            }
        )

    def openapi(request: Request) -> Response:
        return JSONResponse(OPENAPI)

    def no_index(request: Request, exc: Exception) -> Response:
        """The one answer to a data directory without an index, for every route."""
        path = request.url.path
        if path == "/healthz":
            body = {"status": "no_index", "documents": 0, "message": str(exc)}
            return JSONResponse(body, status_code=503)
        if path.startswith("/api/"):
            return error(503, "no_index", str(exc))
        return views.no_index_page(request)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        if request.url.path.startswith("/api/"):
            return error(500, "internal", "internal error")
        return Response("Lỗi máy chủ", status_code=500, media_type="text/plain; charset=utf-8")

    # Compressed responses matter on slow mobile connections (a results page: ~22 KB → ~7 KB).
    middleware = [Middleware(SecurityHeaders), Middleware(GZipMiddleware, minimum_size=1000)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET"],
                allow_headers=[],
            )
        )
    routes = [
        Route("/", views.search_page),
        Route("/search", views.search_page),
        Route("/api/search", api_search),
        Route("/api/documents/{id:path}", api_document),
        Route("/api/suggest", api_suggest),
        Route("/healthz", healthz),
        Route("/openapi.json", openapi),
        Route("/embed", views.embed_page),
        Route("/luu-tru/{stored:path}", archive.stored_file, name="stored_file"),
        Route("/xuat-csv", archive.export_csv, name="export_csv"),
        Route("/van-ban/{id:path}", archive.document_page, name="archive_document_page"),
        Route("/van-ban/{id:path}", views.document_page, name="document_page"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Read the index's vocabulary before the first visitor does (about a second on 45k
        # articles); an empty data directory is fine, the API then answers 503.
        with contextlib.suppress(IndexMissing):
            await run_in_threadpool(engine.warm)
        yield

    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={IndexMissing: no_index, 500: server_error},
        lifespan=lifespan,
    )
    app.state.engine = engine
    return app


def app_from_env() -> Any:
    """Factory for `uvicorn --factory` and multi-worker serving: settings from TRACUU_*."""
    return create_app(Settings.load())
