"""The HTTP app: JSON API and the server-rendered Vietnamese page. Built by create_app(settings)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer.config import Settings
from indexer.errors import IndexBusy, IndexMissing
from indexer.layout import DataDir
from search import admin
from search.archive import ArchiveViews
from search.engine import Engine
from search.errors import SearchTimeout, message_for
from search.metrics import CONTENT_TYPE, CountRequests, Metrics
from search.openapi import OPENAPI
from search.params import InvalidParam, parse_search_params
from search.views import PageViews

log = logging.getLogger(__name__)

HERE = Path(__file__).parent

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'",
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


def error(
    status: int, code: str, message: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The API's error shape: an English `code` for programs, a Vietnamese `message` for people."""
    body = {"error": {"code": code, "message": message or message_for(code)}}
    return JSONResponse(body, status_code=status, headers=headers)


HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def create_app(settings: Settings, engine: Engine | None = None) -> Starlette:
    """The Starlette app serving settings.data_dir."""
    engine = engine or Engine(settings.data_dir, time_limit=settings.search_seconds)
    views = PageViews(engine, settings)
    jobs = admin.Jobs(settings)
    archive = ArchiveViews(engine, views)

    def api_search(request: Request) -> Response:
        try:
            req = parse_search_params(request.query_params)
        except InvalidParam as exc:
            return error(400, exc.code)
        return JSONResponse(engine.search(req).to_dict())

    def api_document(request: Request) -> Response:
        art = engine.document(request.path_params["id"])
        if art is None:
            return error(404, "document_not_found")
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
            return error(503, "no_index")
        return views.no_index_page(request)

    def too_slow(request: Request, exc: Exception) -> Response:
        """A search stopped at its time limit: 503, and the worker is free again."""
        log.warning("search stopped at its time limit: %s", request.url.query[:300])
        if request.url.path.startswith("/api/"):
            return error(503, "timeout")
        return views.timeout_page(request)

    def http_error(request: Request, exc: Exception) -> Response:
        """Unknown routes and wrong methods: JSON under /api/ and /admin/, a page elsewhere."""
        assert isinstance(exc, HTTPException)
        path = request.url.path
        code = HTTP_CODES.get(exc.status_code, "internal")
        if path.startswith(("/api/", "/admin/")) or path in ("/api", "/admin"):
            return error(exc.status_code, code, headers=exc.headers)
        if exc.status_code == 404:
            return views.not_found_page(request)
        return PlainTextResponse(message_for(code), exc.status_code, headers=exc.headers)

    def metrics_text(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    async def admin_action(request: Request) -> Response:
        if not settings.admin_token:
            return error(404, "not_found")  # off by default: as if the route did not exist
        if not admin.token_ok(settings, request.headers.get("authorization")):
            return error(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
        action = request.path_params["action"]
        if action not in admin.ACTIONS:
            return error(404, "not_found")
        try:
            pid = await run_in_threadpool(jobs.start, action)
        except IndexBusy:
            return error(409, "busy")
        return JSONResponse({"status": "started", "action": action, "pid": pid}, 202)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        if request.url.path.startswith("/api/"):
            return error(500, "internal")
        return PlainTextResponse(message_for("internal"), status_code=500)

    # Compressed responses matter on slow mobile connections (a results page: ~22 KB → ~7 KB).
    metrics = Metrics(DataDir(Path(settings.data_dir)), lambda: engine.generation().view.doc_count)
    middleware = [
        Middleware(CountRequests, metrics=metrics),
        Middleware(SecurityHeaders),
        Middleware(GZipMiddleware, minimum_size=1000),
    ]
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
        Route("/metrics", metrics_text),
        Route("/admin/{action}", admin_action, methods=["POST"]),
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
        exception_handlers={
            IndexMissing: no_index,
            SearchTimeout: too_slow,
            HTTPException: http_error,
            500: server_error,
        },
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.admin_jobs = jobs
    return app


def app_from_env() -> Any:
    """Factory for `uvicorn --factory` and multi-worker serving: settings from TRACUU_*."""
    return create_app(Settings.load())
