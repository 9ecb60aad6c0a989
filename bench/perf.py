"""tracuu beside plain Whoosh, in one run on the same articles: `python -m bench.perf`.

    python -m bench.perf [--data PATH] [--docs N] [--out bench/out/perf.md] [--skip-http]

Measures, for the vi-news articles (all 45,033 by default, or a seeded sample of N):
  * import: articles/s and size on disk. tracuu = `tracuu index import`
    (indexer.importer.import_files into a fresh Store, procs=1 and procs=2, article store
    included in the time); plain Whoosh = schema id ID(stored, unique) / title TEXT(stored) /
    body TEXT(stored) with the default StandardAnalyzer, one writer (limitmb=256), add_document
    per article, one commit. Both read the same converted JSONL file inside the timed region.
    Plain Whoosh always runs in a process of its own that never imported tracuu
    (bench/perf_whoosh.py, which checks it).
  * query latency in-process over the mix of bench/perf_queries.py: tracuu through
    search.engine.Engine.search (results with snippets; distinct queries, so the first pass is
    cold-cache; a second pass shows the engine's result cache); plain Whoosh with one reused
    searcher, MultifieldParser over title+body, search(q, limit=10) plus highlights("body") of
    the 10 hits (comparable to tracuu's snippets).
  * over HTTP: `tracuu serve --workers 2` on 127.0.0.1 (a subprocess), the mix at concurrency 1
    and 16 (a fresh server for each, so caches start cold), throughput, p50/p95/p99, errors, and
    the RSS of the server processes after the run; plain Whoosh served the same way by the
    minimal Starlette app bench.perf_whoosh:whoosh_app (uvicorn, 2 workers, same search as
    in-process).

Prints a Markdown table with tracuu/whoosh ratios and the issue's targets, and writes it to --out.
Exit 2 when the data file is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import shared_data

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = shared_data("vi-news", "vi_news.jsonl.gz")
DEFAULT_OUT = REPO / "bench" / "out" / "perf.md"
HOST = "127.0.0.1"
SEED = 20240501

# Targets of issues 5 and 8 (ratios tracuu / plain Whoosh in the same run).
TARGET_IMPORT = 1.0  # at least
TARGET_P95 = 0.25  # at most
TARGET_P99 = 0.5  # at most
TARGET_HTTP_P95 = 0.35  # at most: tracuu's p95 over HTTP (c=1) / Whoosh's p95 in-process
TARGET_RSS_MB = 600.0  # server memory, full set


# -- data ---------------------------------------------------------------------------------------


def load_articles(path: Path, docs: int | None, seed: int = SEED) -> list[dict[str, Any]]:
    """The articles of a vi-news file as tracuu documents; a seeded sample of `docs` of them.

    vi-news lines carry `source`; tracuu's model calls it `site` (DESIGN.md). Order of the file is
    kept (the sample is spread over all categories, not the first N lines of one).
    """
    rows: list[dict[str, Any]] = []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            art = {
                "id": d["id"],
                "title": d["title"],
                "body": d["body"],
                "category": d.get("category"),
                "site": d.get("site") or d.get("source"),
            }
            rows.append({k: v for k, v in art.items() if v is not None})
    if docs is not None and docs < len(rows):
        keep = sorted(random.Random(seed).sample(range(len(rows)), docs))
        rows = [rows[i] for i in keep]
    return rows


def write_jsonl(articles: Sequence[dict[str, Any]], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for art in articles:
            f.write(json.dumps(art, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- import -------------------------------------------------------------------------------------


@dataclass
class ImportFigures:
    docs: int
    seconds: float
    index_bytes: int
    total_bytes: int  # index plus, for tracuu, the article store
    cpu_seconds: float = 0.0  # CPU time of the import's processes (workers included)

    @property
    def rate(self) -> float:
        return self.docs / self.seconds if self.seconds else 0.0

    @property
    def cpu_rate(self) -> float:
        """Articles per CPU second: what the import costs, whatever else ran on the machine."""
        return self.docs / self.cpu_seconds if self.cpu_seconds else 0.0


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (import workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def import_tracuu(jsonl: Path, data_dir: Path, procs: int) -> ImportFigures:
    """`tracuu index import` into a fresh data directory (store + index), timed end to end."""
    from indexer.importer import import_files
    from indexer.layout import DataDir
    from indexer.store import Store

    t0, c0 = time.perf_counter(), cpu_seconds()
    with Store(data_dir, procs=procs) as store:
        report = import_files(store, [jsonl])
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    if report.bad:
        raise RuntimeError(f"tracuu refused {len(report.bad)} lines, first: {report.bad[0]}")
    live = DataDir(data_dir).live_index()
    assert live is not None
    return ImportFigures(report.imported, seconds, dir_bytes(live), dir_bytes(data_dir), cpu)


def import_whoosh(jsonl: Path, index_dir: Path, work: Path) -> ImportFigures:
    """Plain Whoosh's import, in a process that never imported tracuu."""
    f = ImportFigures(**_whoosh_process("import", jsonl, index_dir, work / "whoosh-import.json"))
    return f


def _whoosh_process(action: str, *args: Path) -> dict[str, Any]:
    """Run bench.perf_whoosh in a fresh interpreter; its JSON result (no tracuu loaded)."""
    cmd = [sys.executable, "-m", "bench.perf_whoosh", action, *map(str, args)]
    subprocess.run(cmd, cwd=REPO, check=True)
    result: dict[str, Any] = json.loads(args[-1].read_text("utf-8"))
    loaded = result.pop("tracuu_loaded")
    if loaded:
        raise RuntimeError(f"the plain Whoosh process loaded tracuu: {loaded}")
    return result


# -- searches -----------------------------------------------------------------------------------


class TracuuSearch:
    """tracuu's engine, as the API calls it."""

    def __init__(self, data_dir: Path | str) -> None:
        from search.engine import Engine

        self.engine = Engine(data_dir)

    def search(self, q: str) -> dict[str, Any]:
        from search.types import SearchRequest

        result = self.engine.search(SearchRequest(q=q))
        return {"query": q, "total": result.total, "hits": result.hits}

    def view_mb(self) -> float:
        """Memory held in arrays by the index view (term tables, columns read so far)."""
        return self.engine.generation().view.nbytes / 2**20

    def close(self) -> None:
        self.engine.close()


def pct(values: Sequence[float], p: float) -> float:
    """The p-th percentile (linear interpolation between closest ranks); nan when empty."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[round(p) - 1]


@dataclass
class Latencies:
    """Milliseconds per query, with the kind of each query."""

    ms: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    zero_hits: int = 0

    def p(self, q: float, kind: str | None = None) -> float:
        if kind is None:
            return pct(self.ms, q)
        vals = [m for m, k in zip(self.ms, self.kinds, strict=True) if k == kind]
        return pct(vals, q)


@dataclass
class InProcess:
    first_ms: float  # the first query of a fresh engine / searcher (loads what it needs)
    cold: Latencies
    second: Latencies
    view_mb: float | None = None  # tracuu: the index view's arrays after the mix
    rss_mb: float | None = None  # tracuu: this process's RSS after the mix


def run_inprocess(make: Callable[[], Any], mix: Sequence[Any]) -> InProcess:
    """tracuu: first query, then the mix twice (cold pass, second pass) through one engine."""
    from bench.perf_queries import WARMUP

    t0 = time.perf_counter()
    s = make()
    try:
        s.search(WARMUP[0])
        first_ms = (time.perf_counter() - t0) * 1000
        for q in WARMUP[1:]:
            s.search(q)
        passes = []
        for _ in range(2):
            lat = Latencies()
            for query in mix:
                t = time.perf_counter()
                res = s.search(query.text)
                lat.ms.append((time.perf_counter() - t) * 1000)
                lat.kinds.append(query.kind)
                lat.zero_hits += res["total"] == 0
            passes.append(lat)
        view_mb = s.view_mb()
        rss_mb = _status_kb(os.getpid(), "VmRSS") / 1024
    finally:
        s.close()
    return InProcess(first_ms, passes[0], passes[1], view_mb, rss_mb)


def whoosh_inprocess(index_dir: Path, mix: Sequence[Any], work: Path) -> InProcess:
    """Plain Whoosh, the same runs, in a process that never imported tracuu."""
    from bench.perf_queries import WARMUP

    queries = work / "whoosh-queries.json"
    mix_json = [{"text": q.text, "kind": q.kind} for q in mix]
    queries.write_text(json.dumps({"warmup": list(WARMUP), "mix": mix_json}), encoding="utf-8")
    out = _whoosh_process("query", index_dir, queries, work / "whoosh-query.json")
    kinds = [q.kind for q in mix]
    cold, second = (Latencies(p["ms"], list(kinds), p["zero_hits"]) for p in out["passes"])
    return InProcess(out["first_ms"], cold, second)


# -- HTTP ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text()
        except OSError:
            continue
        # the ppid is the 2nd field after the ")" that closes the command name
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(p.name))
    return out


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += _children(p)
    return tree


def _status_kb(pid: int, key: str, fname: str = "status") -> int:
    try:
        for line in Path(f"/proc/{pid}/{fname}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory_mb(pid: int) -> tuple[float, float, int]:
    """(RSS sum, PSS sum, number of processes) of a process and its descendants."""
    pids = process_tree(pid)
    for p in pids:
        log(f"  server process {p}: RSS {_status_kb(p, 'VmRSS') / 1024:.0f} MB")
    rss = sum(_status_kb(p, "VmRSS") for p in pids)
    pss = sum(_status_kb(p, "Pss", "smaps_rollup") for p in pids)
    return rss / 1024, pss / 1024, len(pids)


class Server:
    """A uvicorn server in a subprocess of its own session, on a free loopback port."""

    def __init__(self, cmd: list[str], env: dict[str, str], port: int, workers: int) -> None:
        self.port = port
        self.workers = workers
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=REPO,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, timeout: float = 120.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()}")
            try:
                # uvicorn's workers come up one by one: wait for all of them
                up = httpx.get(self.url + "/healthz", timeout=2).status_code == 200
                if up and len(process_tree(self.proc.pid)) >= 1 + self.workers:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready in {timeout:.0f} s: {self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-2000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def tracuu_server(data_dir: Path, workers: int) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "indexer.cli", "--data-dir", str(data_dir), "serve"]
    cmd += ["--host", HOST, "--port", str(port), "--workers", str(workers)]
    return Server(cmd, dict(os.environ), port, workers)


def whoosh_server(index_dir: Path, workers: int) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "bench.perf_whoosh", "serve", str(index_dir), HOST, str(port)]
    return Server([*cmd, str(workers)], dict(os.environ), port, workers)


@dataclass
class HttpFigures:
    concurrency: int
    sent: int
    errors: int
    seconds: float
    lat: Latencies
    rss_mb: float = 0.0
    pss_mb: float = 0.0
    procs: int = 0
    peak_rss_mb: float = 0.0
    aborted: str | None = None  # why the server was stopped before the end of the run

    @property
    def rps(self) -> float:
        return (self.sent - self.errors) / self.seconds if self.seconds else 0.0


async def _load(
    url: str, queries: Sequence[Any], concurrency: int, max_seconds: float
) -> HttpFigures:
    """Send each query once (GET /api/search?q=), `concurrency` at a time, until done or time."""
    import httpx

    lat = Latencies()
    errors = 0
    it = iter(queries)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    t_start = time.perf_counter()
    deadline = t_start + max_seconds

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) as client:

        async def worker() -> None:
            nonlocal errors
            for query in it:
                if time.perf_counter() > deadline:
                    return
                t = time.perf_counter()
                try:
                    r = await client.get("/api/search", params={"q": query.text})
                    ok = r.status_code == 200
                    if ok:
                        lat.zero_hits += r.json().get("total", 0) == 0
                except httpx.HTTPError:
                    ok = False
                if ok:
                    lat.ms.append((time.perf_counter() - t) * 1000)
                    lat.kinds.append(query.kind)
                else:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - t_start
    return HttpFigures(concurrency, len(lat.ms) + errors, errors, seconds, lat)


class MemoryGuard(threading.Thread):
    """Samples the RSS of a server's processes; stops the server when it passes a cap.

    A server that grows without bound must not take the shared machine down with it: the run
    then reports the peak and that it was stopped, and the remaining requests count as errors.
    """

    def __init__(self, server: Server, cap_mb: float) -> None:
        super().__init__(daemon=True)
        self.server, self.cap_mb = server, cap_mb
        self.peak_mb = 0.0  # VmRSS summed: a page mapped by two workers counts twice
        self.peak_pss_mb = 0.0  # PSS summed: every page once (shared ones split between users)
        self.peak_anon_mb = 0.0  # RssAnon summed: the processes' own memory, no file pages
        self.tripped = False
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.25):
            pids = process_tree(self.server.proc.pid)
            rss = sum(_status_kb(p, "VmRSS") for p in pids) / 1024
            self.peak_mb = max(self.peak_mb, rss)
            pss = sum(_status_kb(p, "Pss", "smaps_rollup") for p in pids) / 1024
            self.peak_pss_mb = max(self.peak_pss_mb, pss)
            anon = sum(_status_kb(p, "RssAnon") for p in pids) / 1024
            self.peak_anon_mb = max(self.peak_anon_mb, anon)
            if rss > self.cap_mb and not self.tripped:
                self.tripped = True
                log(
                    f"  server RSS {rss:.0f} MB passed the cap of {self.cap_mb:.0f} MB: stopping it"
                )
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.server.proc.pid, signal.SIGKILL)

    def stop(self) -> None:
        self._done.set()
        self.join(5)


def run_http(
    start: Callable[[], Server],
    queries: Sequence[Any],
    concurrency: int,
    max_seconds: float,
    cap_mb: float = 8000.0,
) -> HttpFigures:
    """A fresh server (cold caches), warm-up queries outside the mix, then the load."""
    import httpx

    from bench.perf_queries import WARMUP

    server = start()
    guard = MemoryGuard(server, cap_mb)
    try:
        server.wait_ready()
        loaded = httpx.get(server.url + "/healthz", timeout=10).json().get("tracuu_loaded")
        if loaded:
            raise RuntimeError(f"the plain Whoosh server loaded tracuu: {loaded}")
        guard.start()
        # Warm-up: every worker should load its index and vocabulary before timing; sent
        # concurrently so that the kernel spreads them over the workers.
        # At most as many at once as the run itself (or one per worker): a warm-up must not
        # open more server threads (each with its own searcher) than the measured load does.
        warm = [type("Q", (), {"text": w, "kind": "warmup"})() for w in WARMUP * 3]
        asyncio.run(_load(server.url, warm, max(concurrency, server.workers), 120.0))
        figures = asyncio.run(_load(server.url, queries, concurrency, max_seconds))
        figures.rss_mb, figures.pss_mb, figures.procs = tree_memory_mb(server.proc.pid)
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(server.url + "/healthz", timeout=5)
        guard.stop()
        figures.peak_rss_mb = guard.peak_mb
        if guard.tripped:
            figures.aborted = f"stopped at RSS > {cap_mb:.0f} MB"
        return figures
    finally:
        guard.stop()
        server.stop()


# -- report -------------------------------------------------------------------------------------


def _fmt(v: float | None, digits: int = 1) -> str:
    if v is None or v != v:
        return "n/a"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or a != a or b != b or b == 0:
        return "n/a"
    return f"{a / b:.2f}×"


def _status(a: float | None, b: float | None, target: float, higher: bool) -> str:
    if a is None or b is None or a != a or b != b or b == 0:
        return "n/a"
    r = a / b
    ok = r >= target if higher else r <= target
    return "✅" if ok else "❌"


def code_version() -> str:
    """The commit measured, and whether indexer/ or search/ had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "indexer", "search"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" with uncommitted changes in indexer/ or search/" if dirty else "")


@dataclass
class Results:
    docs: int
    queries: int
    mix_counts: dict[str, int]
    imports: dict[str, ImportFigures]
    inproc: dict[str, InProcess]
    http: dict[tuple[str, int], HttpFigures]
    http_skipped: str | None
    seconds: float
    code: str = ""


def render(res: Results, command: str) -> str:
    rows: list[tuple[str, str, str, str, str, str]] = []

    def row(
        metric: str,
        t: float | None,
        w: float | None,
        target: str = "",
        status: str = "",
        digits: int = 1,
    ) -> None:
        rows.append((metric, _fmt(t, digits), _fmt(w, digits), _ratio(t, w), target, status))

    imp = res.imports
    if not imp:
        rows.append(("Import", "not measured", "not measured", "", "", "--reuse"))
    for procs in (1, 2) if imp else ():
        w_imp = imp["whoosh"]
        t_imp = imp[f"tracuu{procs}"]
        row(
            f"Import, articles/s (tracuu procs={procs}; Whoosh one writer)",
            t_imp.rate,
            w_imp.rate,
            f"≥ {TARGET_IMPORT:.2f}×",
            _status(t_imp.rate, w_imp.rate, TARGET_IMPORT, True),
        )
    for procs in (1, 2) if imp else ():
        t_imp, w_imp = imp[f"tracuu{procs}"], imp["whoosh"]
        row(
            f"Import, articles per CPU second (tracuu procs={procs}, workers included)",
            t_imp.cpu_rate,
            w_imp.cpu_rate,
        )
    for procs in (1, 2) if imp else ():
        t_imp, w_imp = imp[f"tracuu{procs}"], imp["whoosh"]
        row(
            f"Index size on disk, MB (tracuu procs={procs})",
            t_imp.index_bytes / 2**20,
            w_imp.index_bytes / 2**20,
        )
    if imp:
        row(
            "Data on disk, MB (tracuu index + article store; Whoosh index)",
            imp["tracuu1"].total_bytes / 2**20,
            imp["whoosh"].total_bytes / 2**20,
        )
    t_in, w_in = res.inproc["tracuu"], res.inproc["whoosh"]
    row(
        "In-process first query of a fresh engine, ms (loads vocabulary)",
        t_in.first_ms,
        w_in.first_ms,
    )
    targets = {95: (TARGET_P95, f"≤ {TARGET_P95:.2f}×"), 99: (TARGET_P99, f"≤ {TARGET_P99:.2f}×")}
    for q in (50, 95, 99):
        tgt, label = targets.get(q, (None, ""))
        a, b = t_in.cold.p(q), w_in.cold.p(q)
        row(
            f"In-process p{q}, ms, cold cache (Whoosh incl. highlights of 10 hits)",
            a,
            b,
            label,
            _status(a, b, tgt, False) if tgt is not None else "",
        )
    for q in (50, 95, 99):
        row(
            f"In-process p{q}, ms, second pass (tracuu: result cache; Whoosh has none)",
            t_in.second.p(q),
            w_in.second.p(q),
            digits=2,
        )
    rows.append(
        (
            "Queries with no hit (of the mix)",
            str(t_in.cold.zero_hits),
            str(w_in.cold.zero_hits),
            "",
            "",
            "Whoosh has no accent folding",
        )
    )
    if t_in.view_mb is not None:
        rows.append(
            (
                "Index view in memory after the mix, MB (term tables, columns); process RSS",
                f"{t_in.view_mb:.1f}; {t_in.rss_mb or 0:.0f}",
                "",
                "",
                "",
                "",
            )
        )
    if "tracuu2" in res.inproc:
        t2 = res.inproc["tracuu2"]
        for q in (95, 99):
            row(
                f"In-process p{q}, ms, cold, on the procs=2 index (2 segments)",
                t2.cold.p(q),
                w_in.cold.p(q),
            )
    if res.http_skipped:
        rows.append(("Over HTTP", "skipped", "skipped", "", "", res.http_skipped))
    else:
        for c in (1, 16):
            t_h, w_h = res.http[("tracuu", c)], res.http[("whoosh", c)]
            row(f"HTTP c={c}: requests/s", t_h.rps, w_h.rps)
            for q in (50, 95, 99):
                row(f"HTTP c={c}: p{q}, ms", t_h.lat.p(q), w_h.lat.p(q))
            rows.append(
                (
                    f"HTTP c={c}: errors / requests sent",
                    f"{t_h.errors} / {t_h.sent}",
                    f"{w_h.errors} / {w_h.sent}",
                    "",
                    "0 errors" if c == 16 else "",
                    ("✅" if t_h.errors == 0 else "❌") if c == 16 else "",
                )
            )
            if c == 1:
                a, b = t_h.lat.p(95), w_in.cold.p(95)
                row(
                    "HTTP c=1 p95 (tracuu) against in-process p95 (Whoosh), ms",
                    a,
                    b,
                    f"≤ {TARGET_HTTP_P95:.2f}×",
                    _status(a, b, TARGET_HTTP_P95, False),
                )
        t_h, w_h = res.http[("tracuu", 16)], res.http[("whoosh", 16)]
        full = res.docs >= 45_033
        met = ("✅" if t_h.peak_rss_mb < TARGET_RSS_MB else "❌") if full else ""
        rows.append(
            (
                f"Server memory after c=16, MB: RSS sum of {t_h.procs} / {w_h.procs} processes",
                _fmt(t_h.rss_mb) if not t_h.aborted else f"n/a ({t_h.aborted})",
                _fmt(w_h.rss_mb) if not w_h.aborted else f"n/a ({w_h.aborted})",
                _ratio(t_h.rss_mb, w_h.rss_mb) if not (t_h.aborted or w_h.aborted) else "",
                "",
                "",
            )
        )
        rows.append(
            (
                "Server memory, peak during c=16, MB: RSS sum (sampled every 0.25 s)",
                _fmt(t_h.peak_rss_mb),
                _fmt(w_h.peak_rss_mb),
                _ratio(t_h.peak_rss_mb, w_h.peak_rss_mb),
                f"< {TARGET_RSS_MB:.0f} MB" + ("" if full else " (full set)"),
                met,
            )
        )
        row(
            "Server memory after c=16, MB: PSS sum (shared pages counted once)",
            t_h.pss_mb,
            w_h.pss_mb,
        )

    mix = ", ".join(f"{k} {n}" for k, n in res.mix_counts.items())
    out = [
        "# tracuu vs plain Whoosh",
        "",
        f"`{command}` — {res.docs:,} vi-news articles, {res.queries} distinct queries ({mix}); "
        f"tracuu at {res.code}; {os.cpu_count()} cores; run took {res.seconds / 60:.1f} min; "
        f"1-min load average seen between steps {min(LOADS, default=0):.1f}–"
        f"{max(LOADS, default=0):.1f} "
        "(the machine is shared: a load above 2 means other work competed for the cores).",
        "",
        "| metric | tracuu | Whoosh | tracuu/Whoosh | target | met |",
        "|---|---:|---:|---:|---|---|",
        *(f"| {' | '.join(r)} |" for r in rows),
        "",
        "Per kind of query, in-process, cold cache (p50 / p95 ms):",
        "",
        "| kind | n | tracuu p50 | tracuu p95 | Whoosh p50 | Whoosh p95 | p95 ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, n in res.mix_counts.items():
        a50, a95 = t_in.cold.p(50, kind), t_in.cold.p(95, kind)
        b50, b95 = w_in.cold.p(50, kind), w_in.cold.p(95, kind)
        out.append(
            f"| {kind} | {n} | {_fmt(a50)} | {_fmt(a95)} | {_fmt(b50)} | {_fmt(b95)} | "
            f"{_ratio(a95, b95)} |"
        )
    out += [
        "",
        "Notes:",
        "- Import: both sides read the same converted JSONL inside the timed region; tracuu's time "
        "includes its SQLite article store. Articles per CPU second divide by the CPU time of "
        "the importing processes, which other work on a shared machine does not inflate as "
        "much as wall-clock time. Plain Whoosh: id ID(stored, unique), title/body "
        "TEXT(stored) with StandardAnalyzer, one writer, limitmb=256, one commit.",
        "- In-process: tracuu = search.engine.Engine.search (10 hits with snippets, spelling "
        "suggestion) on the procs=1 index (one segment; `tracuu index import` uses one process "
        "per core, up to 4, for batches of 2,000+, as in the procs=2 rows); Whoosh = one "
        "reused searcher, MultifieldParser(title, body) (all words required), search(limit=10) "
        "plus hit.highlights('body') for each hit. Warm-up queries outside the mix run first.",
        "- Plain Whoosh runs in processes that never imported tracuu (bench/perf_whoosh.py "
        "checks it), for the import, the in-process queries and its server.",
        "- HTTP: `tracuu serve --workers 2` vs a minimal Starlette app "
        "(bench.perf_whoosh:whoosh_app, uvicorn with 2 workers, a pool of at most 4 searchers "
        "per process) doing the in-process Whoosh search, both on a listening socket made so "
        "that connections get TCP_NODELAY (uvicorn's own socket for --workers costs ~40 ms per "
        "keep-alive request); a fresh server per concurrency "
        "level (cold caches); the load generator (httpx, asyncio) runs on the same 2-core "
        "machine and takes CPU from the servers. RSS sums count pages shared between the "
        "supervisor and its workers (and mapped index files) once per process; PSS splits them.",
    ]
    return "\n".join(out) + "\n"


# -- main ---------------------------------------------------------------------------------------


LOADS: list[float] = []


def log(msg: str) -> None:
    LOADS.append(os.getloadavg()[0])
    print(
        f"[perf {time.strftime('%H:%M:%S')} load {LOADS[-1]:.1f}] {msg}",
        file=sys.stderr,
        flush=True,
    )


def run(args: argparse.Namespace) -> Results:
    from bench.perf_queries import build_mix

    t_run = time.perf_counter()
    code = code_version()
    articles = load_articles(args.data, args.docs)
    mix = build_mix([(a["title"], a["body"]) for a in articles], args.queries, SEED)
    counts: dict[str, int] = {}
    for q in mix:
        counts[q.kind] = counts.get(q.kind, 0) + 1
    log(f"{len(articles)} articles, {len(mix)} queries {counts}")
    reuse = args.reuse is not None
    work = args.reuse or Path(tempfile.mkdtemp(prefix="tracuu-perf-", dir=args.workdir))
    try:
        imports: dict[str, ImportFigures] = {}
        if reuse:
            log(f"reusing the indexes of {work}: no import measured")
        else:
            write_jsonl(articles, work / "articles.jsonl")
        for procs in () if reuse else (1, 2):
            jsonl = work / "articles.jsonl"
            log(f"import tracuu procs={procs}")
            imports[f"tracuu{procs}"] = f = import_tracuu(jsonl, work / f"tracuu{procs}", procs)
            log(f"  {f.rate:.1f} articles/s, {f.seconds:.1f} s")
        if not reuse:
            log("import plain Whoosh")
            imports["whoosh"] = f = import_whoosh(work / "articles.jsonl", work / "whoosh", work)
            log(f"  {f.rate:.1f} articles/s, {f.seconds:.1f} s")

        inproc: dict[str, InProcess] = {}
        log("in-process queries: tracuu")
        inproc["tracuu"] = run_inprocess(lambda: TracuuSearch(work / "tracuu1"), mix)
        log("in-process queries: tracuu, procs=2 index")
        inproc["tracuu2"] = run_inprocess(lambda: TracuuSearch(work / "tracuu2"), mix)
        log("in-process queries: Whoosh")
        inproc["whoosh"] = whoosh_inprocess(work / "whoosh", mix, work)

        http: dict[tuple[str, int], HttpFigures] = {}
        skipped = "--skip-http" if args.skip_http else None
        if not args.skip_http:
            for c in (1, 16):
                log(f"HTTP c={c}: tracuu")
                http[("tracuu", c)] = run_http(
                    lambda: tracuu_server(work / "tracuu1", args.workers),
                    mix,
                    c,
                    args.http_seconds,
                    args.max_server_mb,
                )
                log(f"HTTP c={c}: Whoosh")
                http[("whoosh", c)] = run_http(
                    lambda: whoosh_server(work / "whoosh", args.workers),
                    mix,
                    c,
                    args.http_seconds,
                    args.max_server_mb,
                )
    finally:
        if args.keep or reuse:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return Results(
        len(articles),
        len(mix),
        counts,
        imports,
        inproc,
        http,
        skipped,
        time.perf_counter() - t_run,
        code,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.perf", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="vi-news .jsonl(.gz)")
    parser.add_argument("--docs", type=int, default=None, help="a seeded sample of N articles")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown table written here")
    parser.add_argument("--skip-http", action="store_true", help="no HTTP measurements")
    parser.add_argument("--queries", type=int, default=400, help="size of the query mix (400)")
    parser.add_argument("--workers", type=int, default=2, help="server processes (2)")
    parser.add_argument(
        "--http-seconds", type=float, default=120.0, help="time cap of each HTTP load run (120)"
    )
    parser.add_argument(
        "--max-server-mb",
        type=float,
        default=8000.0,
        help="stop a server whose processes pass this RSS (protects the machine; 8000)",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="where temporary indexes go")
    parser.add_argument("--keep", action="store_true", help="keep the temporary indexes")
    parser.add_argument(
        "--reuse",
        type=Path,
        default=None,
        help="a directory kept by --keep: measure queries and HTTP on its indexes, no import",
    )
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(
            f"bench.perf: no data at {args.data}: the vi-news set is needed "
            "(/work/shared/data/vi-news/vi_news.jsonl.gz), or pass --data PATH",
            file=sys.stderr,
        )
        return 2
    res = run(args)
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    table = render(res, f"python -m bench.perf {argv_text}".strip())
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
