"""/metrics over a real server and data directory: requests, latency, index size, crawls, OCR."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from crawl.archive import StoredFile
from crawl.filetext import FileText
from crawl.ocrqueue import FileQueue
from crawl.report import RunReport, SiteReport, write_report
from indexer.config import Settings
from indexer.layout import DataDir
from search.metrics import last_crawls
from tests.conftest import FIXTURES, LiveServer, build_data_dir, free_port

PAGE_ARTICLES = FIXTURES / "page_articles.jsonl"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (labels in any order)."""
    for line in text.splitlines():
        m = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if not m:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m.group(2))
    raise KeyError(f"{name} {labels}")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build_data_dir(tmp_path_factory.mktemp("metrics"), PAGE_ARTICLES)
    layout = DataDir(root)
    older = RunReport(started="2026-11-01T01:00:00", mode="crawl", finished="2026-11-01T01:30:00",
                      sites=[SiteReport(site="a.example.gov.vn", new=3),
                             SiteReport(site="b.example.gov.vn", new=9)])
    write_report(layout.reports, older)
    time.sleep(1.1)  # report files are named by the second
    newer = RunReport(started="2026-11-02T01:00:00", mode="crawl", finished="2026-11-02T01:30:00",
                      sites=[SiteReport(site="a.example.gov.vn", new=5, errors=2,
                                        state="failed: robots.txt 503")])
    write_report(layout.reports, newer)
    with FileQueue(layout.ocr_queue) as queue:
        stored = StoredFile(sha256="ab" * 32, stored="ab/x.pdf", size=10, kind="pdf")
        queue.add(stored, FileText(kind="pdf", pages=("văn bản", "", ""), ocr_pages=(1, 2)))
    return root


def test_metrics_count_requests_and_read_the_data_directory(data: Path) -> None:
    with LiveServer(Settings(data_dir=data)) as s:
        for _ in range(3):
            assert httpx.get(s.url + "/api/search", params={"q": "huyện"}).status_code == 200
        assert httpx.get(s.url + "/api/documents/khong-co").status_code == 404
        assert httpx.get(s.url + "/khong/co/trang").status_code == 404
        r = httpx.get(s.url + "/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    t = r.text
    assert sample(t, "tracuu_http_requests_total", route="/api/search", status="200") == 3
    # Routes are templates, never raw paths (no label per article id or per probe).
    assert sample(t, "tracuu_http_requests_total", route="/api/documents/{id:path}",
                  status="404") == 1
    assert sample(t, "tracuu_http_requests_total", route="unmatched", status="404") == 1
    assert "khong" not in t
    assert sample(t, "tracuu_http_request_duration_seconds_count", route="/api/search") == 3
    assert sample(t, "tracuu_http_request_duration_seconds_bucket", route="/api/search",
                  le="+Inf") == 3
    assert sample(t, "tracuu_index_articles") == len(PAGE_ARTICLES.read_text().splitlines())
    assert sample(t, "tracuu_data_bytes", part="index") > 10_000
    assert sample(t, "tracuu_data_bytes", part="articles") == (data / "articles.sqlite").stat(
    ).st_size
    # Last crawl per site: a from the newer report (failed), b from the older one.
    a_end = sample(t, "tracuu_crawl_last_finished_timestamp_seconds", site="a.example.gov.vn")
    b_end = sample(t, "tracuu_crawl_last_finished_timestamp_seconds", site="b.example.gov.vn")
    # Reports hold naive Vietnam times: 01:30 there is 18:30 UTC the day before.
    assert b_end == datetime(2026, 10, 31, 18, 30, tzinfo=UTC).timestamp()
    assert a_end - b_end == 86_400
    assert sample(t, "tracuu_crawl_last_ok", site="a.example.gov.vn") == 0
    assert sample(t, "tracuu_crawl_last_ok", site="b.example.gov.vn") == 1
    assert sample(t, "tracuu_crawl_last_new_articles", site="a.example.gov.vn") == 5
    assert sample(t, "tracuu_crawl_last_errors", site="a.example.gov.vn") == 2
    assert sample(t, "tracuu_ocr_pages", state="pending") == 2
    assert sample(t, "tracuu_ocr_pages", state="text") == 1
    assert sample(t, "tracuu_ocr_pages", state="failed") == 0


def test_metrics_without_crawls_or_index(tmp_path: Path) -> None:
    assert last_crawls(tmp_path / "reports") == {}
    with LiveServer(Settings(data_dir=tmp_path / "trong")) as s:
        t = httpx.get(s.url + "/metrics").text
    assert sample(t, "tracuu_index_articles") == 0
    assert sample(t, "tracuu_ocr_pages", state="pending") == 0
    assert "tracuu_crawl_last_ok{" not in t


def test_two_workers_report_the_sum_of_both(data: Path, tmp_path: Path) -> None:
    """`tracuu serve --workers 2`: any worker answering /metrics counts every worker's requests."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(tmp_path)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from indexer.cli import main; sys.exit(main())",
         "--data-dir", str(data), "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
            time.sleep(0.2)
        n = 60

        def one_search(i: int) -> int:  # a new connection each: the workers share the load
            return httpx.get(base + "/api/search", params={"q": f"dân {i % 7}"}).status_code

        with ThreadPoolExecutor(6) as pool:
            assert set(pool.map(one_search, range(n))) == {200}
        # Both workers answered some (each keeps its own file), and any scrape sums them.
        files = list(tmp_path.glob("tracuu-metrics-*/counter_*.db"))
        assert len(files) == 2, files
        for _ in range(6):
            t = httpx.get(base + "/metrics").text
            assert sample(t, "tracuu_http_requests_total", route="/api/search", status="200") == n
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
