"""/metrics (Prometheus text): requests, latency, index size, last crawl per site, OCR queue.

Request counts and latencies are prometheus_client metrics. With `tracuu serve --workers N` each
worker is its own process, so serve sets PROMETHEUS_MULTIPROC_DIR (a fresh folder) before the
workers start: prometheus_client then keeps each worker's values in a file there, and whichever
worker answers a scrape sums them all (MultiProcessCollector). The state of the data directory
(index size, crawl reports, OCR queue) is read from disk at scrape time, in the answering worker.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer.errors import IndexMissing
from indexer.layout import DataDir

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# A search takes milliseconds to a second or two; deep pages and cold caches take longer.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REPORTS_READ = 50  # newest crawl reports read for "last crawl per site"
VIETNAM = timezone(timedelta(hours=7))  # crawl reports write naive Vietnam local times
OCR_STATES = ("text", "pending", "running", "done", "failed")


def prepare_multiprocess(folder: Path) -> None:
    """Before worker processes start: a fresh, empty folder for their metric files."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):
        old.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)


def _route_of(scope: Scope) -> str:
    """The route template that answered ('/van-ban/{id:path}'), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class DataState(Collector):
    """Gauges read from the data directory at each scrape."""

    def __init__(self, data: DataDir, doc_count: Any) -> None:
        self.data = data
        self.doc_count = doc_count  # () -> int, raises IndexMissing before the first import

    def collect(self) -> Iterator[Metric]:
        yield from self._index()
        yield from self._crawls()
        yield from self._ocr()

    def _index(self) -> Iterable[Metric]:
        articles = GaugeMetricFamily("tracuu_index_articles", "Articles in the live index")
        try:
            articles.add_metric([], float(self.doc_count()))
        except IndexMissing:
            articles.add_metric([], 0.0)
        size = GaugeMetricFamily(
            "tracuu_data_bytes", "Bytes on disk by part of the data directory", labels=["part"]
        )
        live = self.data.live_index()
        size.add_metric(["index"], float(_bytes_under(live) if live else 0))
        size.add_metric(["articles"], float(_file_bytes(self.data.articles_db)))
        size.add_metric(["files"], float(_bytes_under(self.data.files)))
        return [articles, size]

    def _crawls(self) -> Iterable[Metric]:
        finished = GaugeMetricFamily(
            "tracuu_crawl_last_finished_timestamp_seconds",
            "When the latest crawl of a site ended (Unix time)",
            labels=["site"],
        )
        ok = GaugeMetricFamily(
            "tracuu_crawl_last_ok", "1 when the latest crawl of a site ended ok", labels=["site"]
        )
        new = GaugeMetricFamily(
            "tracuu_crawl_last_new_articles", "New articles in a site crawl", labels=["site"]
        )
        errors = GaugeMetricFamily(
            "tracuu_crawl_last_errors", "Fetch errors in a site's latest crawl", labels=["site"]
        )
        for site, (ended, report) in sorted(last_crawls(self.data.reports).items()):
            finished.add_metric([site], ended)
            ok.add_metric([site], 1.0 if report.get("state", "ok") == "ok" else 0.0)
            new.add_metric([site], float(report.get("new", 0) or 0))
            errors.add_metric([site], float(report.get("errors", 0) or 0))
        return [finished, ok, new, errors]

    def _ocr(self) -> Iterable[Metric]:
        pages = GaugeMetricFamily(
            "tracuu_ocr_pages", "Pages of attachments in the OCR queue by state", labels=["state"]
        )
        counts = ocr_counts(self.data.ocr_queue)
        for state in OCR_STATES:
            pages.add_metric([state], float(counts.get(state, 0)))
        return [pages]


def _file_bytes(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _bytes_under(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            total += _file_bytes(Path(root) / name)
    return total


def _timestamp(text: str) -> float | None:
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=VIETNAM)
    return when.timestamp()


def last_crawls(reports: Path) -> dict[str, tuple[float, dict[str, Any]]]:
    """Per site: end time and site report of its newest crawl, from the newest report files."""
    try:
        files = sorted(reports.glob("crawl-*.json"), key=lambda p: p.name, reverse=True)
    except OSError:
        return {}
    out: dict[str, tuple[float, dict[str, Any]]] = {}
    for path in files[:REPORTS_READ]:
        try:
            run = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("unreadable crawl report %s", path.name)
            continue
        ended = _timestamp(run.get("finished") or run.get("started") or "")
        if ended is None:
            continue
        for site in run.get("sites") or []:
            name = site.get("site") if isinstance(site, dict) else None
            if name and (name not in out or out[name][0] < ended):
                out[name] = (ended, site)
    return out


def ocr_counts(db: Path) -> dict[str, int]:
    """OCR queue pages by state; empty when there is no queue yet."""
    if not db.exists():
        return {}
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0)
        try:
            rows = con.execute("SELECT state, count(*) FROM pages GROUP BY state").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        log.warning("cannot read the OCR queue %s: %s", db, exc)
        return {}
    return {str(state): int(n) for state, n in rows}


class Metrics:
    """The app's metrics: an ASGI middleware that counts, and the /metrics text."""

    def __init__(self, data: DataDir, doc_count: Any) -> None:
        self.folder = os.environ.get(MULTIPROC_ENV) or None
        disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created series: noise
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tracuu_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tracuu_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.state = DataState(data, doc_count)

    def exposition(self) -> bytes:
        """The Prometheus text of every worker's requests and of the data directory."""
        registry = CollectorRegistry()
        if self.folder:
            MultiProcessCollector(registry, path=self.folder)  # type: ignore[no-untyped-call]
        else:
            registry.register(_Merged(self.registry))
        registry.register(self.state)
        return generate_latest(registry)


class CountRequests:
    """ASGI middleware: every HTTP request counted and timed in `metrics` once it has answered."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = _route_of(scope)
            self.metrics.requests.labels(route, scope.get("method", ""), str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - start)


class _Merged(Collector):
    """One registry's metrics, collected into another."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        yield from self.source.collect()
