"""Import and query at growing sizes (merged district archives): `python -m bench.scale`.

    python -m bench.scale [--sizes 45000,180000,450000] [--data PATH] [--out bench/out/scale.md]
                          [--cache DIR] [--per-kind 40] [--http-seconds 150] [--keep] [--reuse]

For each size N:
  * corpus: N distinct articles made by recombining vi-news (bench/scale_corpus.py: titles and
    paragraphs of the same category, 30 former district sites, dates 2010–2025, ~18 % official
    documents with doc_type and doc_number), streamed to a JSONL.gz in --cache and reused;
  * import: `tracuu index import` (the console script, default process count) into a fresh data
    directory; wall time, articles/s, CPU seconds of all its processes (robust on a shared
    machine), peak RSS summed over its process tree (sampled every 0.2 s), index and article
    store size, segments;
  * queries in process: search.engine.Engine on that directory, the mix of bench/scale_queries.py
    once (every request distinct, so the result cache never answers), p50/p95/p99 overall and
    per kind, and the first query of a fresh engine (it reads the vocabulary);
  * over HTTP: `tracuu serve --workers 2` on 127.0.0.1, a fresh server per concurrency (1 and 16)
    so caches start cold, the same mix, bounded by --http-seconds; p50/p95/p99, requests/s,
    errors (any answer but 200, or none in 60 s), peak RSS of the server's processes;
  * a nightly import: 1,000 new articles (the next ones of the corpus) into the same directory.

Writes a Markdown table to --out (after each size, so a long run leaves what it measured) and the
raw figures beside it (.json). Exit 2 when the vi-news file is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import itertools
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import scale_corpus as corpus
from bench import shared_data
from bench.cgroup import MemoryCgroup, evict, unavailable
from bench.perf import MemoryGuard, Server, _status_kb, dir_bytes, free_port, pct
from bench.perf_queries import WARMUP
from bench.scale_queries import KINDS, Query, build

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = shared_data("vi-news", "vi_news.jsonl.gz")
DEFAULT_OUT = REPO / "bench" / "out" / "scale.md"
DEFAULT_SIZES = "45000,180000,450000"
HOST = "127.0.0.1"
MIX_FROM = 6000  # the mix is drawn from the first articles, present at every size
REQUEST_TIMEOUT = 60.0
SERVER_CAP_MB = 6000.0  # a server past this is stopped (the machine is shared)

# Issue 12's targets, at 450,000 articles on 2 cores.
TARGET_P95_MS = 150.0  # over HTTP, c=1
TARGET_IMPORT_RATE = 400.0  # articles/s
TARGET_RSS_MB = 2048.0  # server


def log(msg: str) -> None:
    print(
        f"[scale {time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}] {msg}",
        file=sys.stderr,
        flush=True,
    )


def tracuu_cmd() -> list[str]:
    """The `tracuu` console script next to this Python (as deployed), else the module."""
    script = Path(sys.executable).with_name("tracuu")
    return [str(script)] if script.exists() else [sys.executable, "-m", "indexer.cli"]


# -- figures ----------------------------------------------------------------------------------


@dataclass
class ImportRun:
    """One `tracuu index import` run."""

    articles: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    load: float  # mean 1-min load average while it ran
    segments: int = 0
    index_mb: float = 0.0
    store_mb: float = 0.0

    @property
    def rate(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_article(self) -> float:
        return 1000 * self.cpu_seconds / self.articles if self.articles else 0.0


@dataclass
class Timings:
    """Milliseconds per request, with kinds; errors; the load seen."""

    ms: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    errors: int = 0
    zero_hits: int = 0
    seconds: float = 0.0
    load: float = 0.0
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0  # the same processes, shared pages counted once (PSS)
    peak_anon_mb: float = 0.0  # their anonymous memory (no pages of mapped index files)
    first_ms: float = 0.0
    unsent: int = 0  # left over when --http-seconds ran out
    aborted: str = ""
    # Under a memory cgroup (--memory-limit; bench/cgroup.py): its limit, peak charge (page
    # cache included), anonymous memory at its peak, OOM kills.
    cg_limit_mb: float = 0.0
    cg_peak_mb: float = 0.0
    cg_anon_mb: float = 0.0
    oom_kills: int = 0

    def p(self, q: float, kind: str | None = None) -> float:
        return pct(
            [m for m, k in zip(self.ms, self.kinds, strict=True) if kind is None or k == kind], q
        )

    @property
    def rps(self) -> float:
        return len(self.ms) / self.seconds if self.seconds else 0.0


@dataclass
class SizeResult:
    """Everything measured at one size."""

    size: int
    duplicate_bodies: int
    imp: ImportRun
    inproc: Timings
    http: dict[int, Timings]
    nightly: ImportRun | None
    limited: dict[int, Timings] = field(default_factory=dict)  # under --memory-limit


# -- import -----------------------------------------------------------------------------------


def tree_pids(pid: int) -> list[int]:
    """A process and its descendants, read from /proc/PID/task/*/children (no scan of /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for children in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError, ValueError):
                todo += [int(c) for c in children.read_text().split()]
    return out


class TreeSampler(threading.Thread):
    """Peak RSS summed over a process and its descendants, and the mean load, every 0.2 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_mb = 0.0
        self.loads: list[float] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            rss = sum(_status_kb(p, "VmRSS") for p in tree_pids(self.pid)) / 1024
            self.peak_mb = max(self.peak_mb, rss)
            self.loads.append(os.getloadavg()[0])
            self._halt.wait(0.2)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


def run_import(
    data_dir: Path, path: Path, articles: int, cmd: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> ImportRun:
    """`tracuu --data-dir D index import PATH`, timed, with CPU and memory of all its processes
    (cmd: another build's `tracuu`; env: extra environment)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*(cmd or tracuu_cmd()), "--data-dir", str(data_dir), "index", "import", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    sampler = TreeSampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"import failed ({proc.returncode}): {err.decode()[-2000:]}")
    done = out.decode()
    if f"imported {articles} articles, 0 bad lines" not in done:
        raise RuntimeError(f"import did not take every article: {done} {err.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    load = sum(sampler.loads) / len(sampler.loads) if sampler.loads else os.getloadavg()[0]
    run = ImportRun(articles, seconds, cpu, sampler.peak_mb, load)
    describe(data_dir, run)
    return run


def describe(data_dir: Path, run: ImportRun) -> None:
    """Sizes on disk and segment count of a data directory, into run."""
    from indexer.store import Paths, open_index_readonly

    live = Paths(data_dir).live_index()
    assert live is not None
    run.index_mb = dir_bytes(live) / 2**20
    run.store_mb = sum(p.stat().st_size for p in data_dir.glob("articles.sqlite*")) / 2**20
    ix = open_index_readonly(data_dir)
    try:
        run.segments = len(ix._segments())
    finally:
        ix.close()


# -- queries ----------------------------------------------------------------------------------


def request_of(query: Query) -> Any:
    """The engine's SearchRequest for a query of the mix (as /api/search would validate it)."""
    from search.params import parse_search_params

    return parse_search_params(query.as_dict())


def run_inprocess(data_dir: Path, mix: Sequence[Query]) -> Timings:
    """The mix once through one Engine (cold result cache: every request is distinct)."""
    from search.engine import Engine, SearchRequest

    timings = Timings(load=os.getloadavg()[0])
    t0 = time.perf_counter()
    engine = Engine(data_dir)
    try:
        engine.search(SearchRequest(q=WARMUP[0]))
        timings.first_ms = (time.perf_counter() - t0) * 1000
        for w in WARMUP[1:]:
            engine.search(SearchRequest(q=w))
        start = time.perf_counter()
        for query in mix:
            req = request_of(query)
            t = time.perf_counter()
            result = engine.search(req)
            timings.ms.append((time.perf_counter() - t) * 1000)
            timings.kinds.append(query.kind)
            timings.zero_hits += result.total == 0
        timings.seconds = time.perf_counter() - start
    finally:
        engine.close()
    timings.load = (timings.load + os.getloadavg()[0]) / 2
    return timings


async def _drive(
    url: str, mix: Sequence[Query], concurrency: int, max_seconds: float, timings: Timings
) -> None:
    """Each query once, `concurrency` in flight (closed loop), until done or out of time."""
    import httpx

    it = iter(mix)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    start = time.perf_counter()
    deadline = start + max_seconds
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=REQUEST_TIMEOUT) as client:

        async def visitor() -> None:
            for query in it:
                if time.perf_counter() > deadline:
                    timings.unsent += 1
                    continue
                t = time.perf_counter()
                try:
                    r = await client.get("/api/search", params=query.as_dict())
                    ok = r.status_code == 200
                    if ok:
                        timings.zero_hits += r.json().get("total", 0) == 0
                except httpx.HTTPError:
                    ok = False
                if ok:
                    timings.ms.append((time.perf_counter() - t) * 1000)
                    timings.kinds.append(query.kind)
                else:
                    timings.errors += 1

        await asyncio.gather(*(visitor() for _ in range(concurrency)))
    timings.seconds = time.perf_counter() - start


def run_http(
    data_dir: Path,
    mix: Sequence[Query],
    concurrency: int,
    max_seconds: float,
    workers: int,
    limit_mb: float = 0.0,
) -> Timings:
    """A fresh `tracuu serve --workers N` (cold caches), warm-up outside the mix, then the mix;
    with limit_mb, the server in a memory cgroup of that limit, the index out of the page cache
    before it starts (bench/cgroup.py)."""
    port = free_port()
    cmd = [
        *tracuu_cmd(),
        "--data-dir",
        str(data_dir),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    group: MemoryCgroup | None = None
    if limit_mb:
        evict(data_dir)
        group = MemoryCgroup(limit_mb)
        cmd = group.wrap(cmd)
    try:
        server = Server(cmd, dict(os.environ), port, workers)
    except BaseException:
        if group is not None:
            group.close()
        raise
    guard = MemoryGuard(server, SERVER_CAP_MB)
    timings = Timings()
    try:
        t0 = time.perf_counter()
        server.wait_ready(timeout=600)
        guard.start()
        warm = [Query("warmup", (("q", w),)) for w in WARMUP * 2]
        asyncio.run(_drive(server.url, warm, workers, 300.0, Timings()))
        timings.first_ms = (time.perf_counter() - t0) * 1000  # start to warmed-up
        load0 = os.getloadavg()[0]
        asyncio.run(_drive(server.url, mix, concurrency, max_seconds, timings))
        timings.load = (load0 + os.getloadavg()[0]) / 2
    finally:
        guard.stop()
        server.stop()
        if group is not None:
            cg = group.close()
            timings.cg_limit_mb, timings.cg_peak_mb = cg.limit_mb, cg.peak_mb
            timings.cg_anon_mb, timings.oom_kills = cg.anon_peak_mb, cg.oom_kills
    timings.peak_rss_mb = guard.peak_mb
    timings.peak_pss_mb = guard.peak_pss_mb
    timings.peak_anon_mb = guard.peak_anon_mb
    if guard.tripped:
        timings.aborted = f"server stopped at RSS > {SERVER_CAP_MB:.0f} MB"
    return timings


# -- report -----------------------------------------------------------------------------------


def _memory(runs: list[Timings]) -> str:
    """Peak RSS of the server's processes summed, then (PSS; anonymous) when measured."""
    if not runs:
        return "–"
    rss = _n(max(h.peak_rss_mb for h in runs))
    pss, anon = max(h.peak_pss_mb for h in runs), max(h.peak_anon_mb for h in runs)
    return f"{rss} ({_n(pss)}; {_n(anon)})" if pss else rss


def _n(v: float, digits: int = 0) -> str:
    if v != v:
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}" if digits or abs(v) >= 10 else f"{v:.1f}"


def _ppp(t: Timings, kind: str | None = None) -> str:
    return " / ".join(_n(t.p(q, kind)) for q in (50, 95, 99))


def render(results: Sequence[SizeResult], info: dict[str, Any]) -> str:
    """The Markdown report."""
    out = [
        "# tracuu at scale",
        "",
        f"`{info['command']}` — {info['when']}, tracuu at {info['code']}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores (shared with other work: the load "
        "average is given with each figure; above 2, other processes competed for the cores).",
        "",
        "Corpus: **vi-news recombined** (bench/scale_corpus.py, seed "
        f"{corpus.SEED}): each article takes a vi-news title and first paragraph, further "
        "paragraphs from the same article or from others of its category; 30 former district "
        "sites, published 2010–2025, ~18 % official documents (doc_type, doc_number). Distinct "
        "ids, sites and dates, but the vocabulary of 45,033 articles: a real archive of this size "
        "has more distinct words, so term tables here are smaller than real ones.",
        "",
        "## Import (`tracuu index import corpus.jsonl.gz`, default process count)",
        "",
        "| articles | wall s | articles/s | CPU ms / article (all processes) | peak RSS MB "
        "(all processes) | index MB | articles.sqlite MB | segments | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        i = r.imp
        out.append(
            f"| {r.size:,} | {_n(i.seconds)} | {_n(i.rate)} | {i.cpu_ms_per_article:.2f} "
            f"| {_n(i.peak_rss_mb)} | {_n(i.index_mb)} | {_n(i.store_mb)} | {i.segments} "
            f"| {i.load:.1f} |"
        )
    nightly = [r for r in results if r.nightly is not None]
    if nightly:
        out += [
            "",
            "A nightly import of 1,000 new articles into the index above (after the queries):",
            "",
            "| index of | wall s | articles/s | CPU ms / article | peak RSS MB | segments "
            "after | load avg |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in nightly:
            n = r.nightly
            assert n is not None
            out.append(
                f"| {r.size:,} | {_n(n.seconds, 1)} | {_n(n.rate)} "
                f"| {n.cpu_ms_per_article:.2f} | {_n(n.peak_rss_mb)} | {n.segments} "
                f"| {n.load:.1f} |"
            )
    out += [
        "",
        f"## Queries ({info['mix']} distinct requests, p50 / p95 / p99 ms)",
        "",
        "| articles | in process | first query ms | HTTP c=1 | c=1 req/s | HTTP c=16 "
        "| c=16 req/s | errors (c=1, c=16) | server RSS peak MB (PSS; anonymous) | no hit "
        "| load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        h1, h16 = r.http.get(1), r.http.get(16)
        cells = [f"{r.size:,}", _ppp(r.inproc), _n(r.inproc.first_ms)]
        for h in (h1, h16):
            cells += [_ppp(h), _n(h.rps, 1)] if h else ["skipped", "–"]
        errs = [
            f"{h.errors}"
            + (f" (+{h.unsent} unsent)" if h.unsent else "")
            + (f" ({h.aborted})" if h.aborted else "")
            for h in (h1, h16)
            if h
        ]
        cells.append(", ".join(errs) or "–")
        cells.append(_memory(list(r.http.values())))
        cells.append(f"{r.inproc.zero_hits}")
        loads = [r.inproc.load] + [h.load for h in r.http.values()]
        cells.append(f"{min(loads):.1f}–{max(loads):.1f}")
        out.append("| " + " | ".join(cells) + " |")
    limited = [(r, c, h) for r in results for c, h in sorted(r.limited.items())]
    if limited:
        out += [
            "",
            "The same over HTTP with the server confined to a memory cgroup (bench/cgroup.py: "
            "the kernel charges the server's own memory and the page cache its reads bring in, "
            "reclaims that cache at the limit, and kills a process only if it cannot; the index "
            "is dropped from the page cache first):",
            "",
            "| articles | limit MB | concurrency | p50 / p95 / p99 ms | req/s | errors "
            "| OOM kills | peak charge MB (cache included) | anonymous peak MB | load avg |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r, c, h in limited:
            errs = f"{h.errors}" + (f" (+{h.unsent} unsent)" if h.unsent else "")
            out.append(
                f"| {r.size:,} | {_n(h.cg_limit_mb)} | {c} | {_ppp(h)} | {_n(h.rps, 1)} "
                f"| {errs} | {h.oom_kills} | {_n(h.cg_peak_mb)} | {_n(h.cg_anon_mb)} "
                f"| {h.load:.1f} |"
            )
    out += [
        "",
        "Per kind, in process (p50 / p95 ms):",
        "",
        "| kind | n | " + " | ".join(f"{r.size:,}" for r in results) + " |",
        "|---|---:|" + "---:|" * len(results),
    ]
    for kind in KINDS:
        n = results[0].inproc.kinds.count(kind) if results else 0
        cells = [f"{_n(r.inproc.p(50, kind))} / {_n(r.inproc.p(95, kind))}" for r in results]
        out.append(f"| {kind} | {n} | " + " | ".join(cells) + " |")
    out += [
        "",
        "Per kind, over HTTP at c=1 (p50 / p95 ms):",
        "",
        "| kind | " + " | ".join(f"{r.size:,}" for r in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for kind in KINDS:
        cells = [
            f"{_n(r.http[1].p(50, kind))} / {_n(r.http[1].p(95, kind))}" if 1 in r.http else "–"
            for r in results
        ]
        out.append(f"| {kind} | " + " | ".join(cells) + " |")
    out += ["", *targets(results), "", "Notes:", *info["notes"]]
    return "\n".join(out) + "\n"


def targets(results: Sequence[SizeResult]) -> list[str]:
    """Issue 12's targets, judged at the largest size measured."""
    if not results:
        return []
    r = max(results, key=lambda x: x.size)
    at = f"at {r.size:,} articles" + ("" if r.size >= 450_000 else " (the targets are for 450,000)")
    lines = [f"Targets {at}:", ""]

    def mark(ok: bool) -> str:
        return "met" if ok else "**not met**"

    h1 = r.http.get(1)
    if h1:
        p95 = h1.p(95)
        lines.append(
            f"- p95 over HTTP at c=1 ≤ {TARGET_P95_MS:.0f} ms: {_n(p95)} ms, "
            f"{mark(p95 <= TARGET_P95_MS)}"
        )
    lines.append(
        f"- import ≥ {TARGET_IMPORT_RATE:.0f} articles/s: {_n(r.imp.rate)}, "
        f"{mark(r.imp.rate >= TARGET_IMPORT_RATE)} (load {r.imp.load:.1f})"
    )
    if r.http:
        peak = max(h.peak_rss_mb for h in r.http.values())
        lines.append(
            f"- server RSS ≤ {TARGET_RSS_MB:,.0f} MB: {_n(peak)} MB summed, "
            f"{mark(peak <= TARGET_RSS_MB)}"
        )
        pss = max(h.peak_pss_mb for h in r.http.values())
        if pss:
            lines.append(
                f"  - counting each page once (PSS summed): {_n(pss)} MB, "
                f"{mark(pss <= TARGET_RSS_MB)}"
            )
        errors = sum(h.errors + h.unsent for h in r.http.values())
        lines.append(f"- no error: {errors} errors or unsent requests, {mark(errors == 0)}")
    for c, h in sorted(r.limited.items()):
        bad = h.errors + h.unsent + h.oom_kills
        fits = bad == 0 and h.cg_limit_mb <= TARGET_RSS_MB
        lines.append(
            f"- the server confined to {_n(h.cg_limit_mb)} MB (memory cgroup), c={c}: p95 "
            f"{_n(h.p(95))} ms, {h.errors + h.unsent} errors, {h.oom_kills} OOM kills, "
            f"anonymous memory at most {_n(h.cg_anon_mb)} MB: "
            + ("runs within it" if fits else "**does not fit**")
        )
    return lines


def code_version() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "indexer", "search"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.strip() + (" (uncommitted changes in indexer/ or search/)" if dirty.strip() else "")


# -- main -------------------------------------------------------------------------------------


def corpus_file(cache: Path, gen_of: Any, start: int, stop: int) -> corpus.Written:
    """Articles start..stop-1 of the corpus, generated once into the cache."""
    name = f"corpus-v{corpus.VERSION}-s{corpus.SEED}-{start}-{stop}.jsonl.gz"
    path = cache / name
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return corpus.Written(path, stop - start, json.loads(meta.read_text())["duplicates"])
    log(f"writing articles {start:,}–{stop - 1:,} to {path}")
    written = corpus.write(gen_of(), path, start, stop)
    meta.write_text(json.dumps({"duplicates": written.duplicate_bodies}))
    return written


def first_articles(path: Path, n: int) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in itertools.islice(f, n)]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n")[0])
    p.add_argument(
        "--sizes", default=DEFAULT_SIZES, help=f"articles, comma-separated ({DEFAULT_SIZES})"
    )
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="vi-news JSONL(.gz)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "tracuu-bench-scale",
        help="generated corpora (reused) and, with --keep, data directories",
    )
    p.add_argument("--per-kind", type=int, default=40, help="requests per kind of the mix (40)")
    p.add_argument(
        "--http-seconds", type=float, default=150.0, help="at most this long per concurrency (150)"
    )
    p.add_argument("--concurrency", default="1,16")
    p.add_argument("--workers", type=int, default=2, help="server processes (2)")
    p.add_argument("--nightly", type=int, default=1000, help="articles of the nightly import")
    p.add_argument(
        "--memory-limit",
        type=float,
        default=0.0,
        metavar="MB",
        help="also run each concurrency with the server in a memory cgroup of MB (root)",
    )
    p.add_argument("--skip-http", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep data directories in --cache")
    p.add_argument(
        "--reuse", action="store_true", help="reuse kept data directories (skips their import)"
    )
    p.add_argument(
        "--append", action="store_true", help="keep the other sizes of an earlier --out (.json)"
    )
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    levels = [] if args.skip_http else [int(c) for c in args.concurrency.split(",") if c]
    why = unavailable() if args.memory_limit and levels else None
    if why:
        print(f"bench.scale: --memory-limit: {why}", file=sys.stderr)
        return 2
    if not args.data.exists():
        print(
            f"bench.scale: the vi-news file is absent ({args.data}); give --data PATH "
            "(see /work/shared/data/vi-news/SOURCES.md)",
            file=sys.stderr,
        )
        return 2
    args.cache.mkdir(parents=True, exist_ok=True)
    source: list[corpus.Source] = []

    def gen_of() -> corpus.Generator:
        if not source:
            log(f"reading {args.data}")
            source.append(corpus.load_source(args.data))
        return corpus.Generator(source[0])

    t_start = time.perf_counter()
    files = {n: corpus_file(args.cache, gen_of, 0, n) for n in sizes}
    mix = build(first_articles(files[sizes[0]].path, min(MIX_FROM, sizes[0])), args.per_kind)
    source.clear()  # the generator's copy of vi-news is not needed while measuring
    command = "python -m bench.scale " + (" ".join(argv if argv is not None else sys.argv[1:]))
    info: dict[str, Any] = {
        "command": command.strip(),
        "code": code_version(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "mix": len(mix),
        "notes": [],
    }
    results = earlier(args.out) if args.append else []
    results = [r for r in results if r.size not in sizes]
    if results:
        args.earlier = sorted(r.size for r in results)
    work = Path(tempfile.mkdtemp(prefix="tracuu-scale-"))
    try:
        for n in sizes:
            data_dir = (args.cache if args.keep or args.reuse else work) / f"data-{n}"
            record = data_dir.with_name(data_dir.name + ".import.json")
            if args.reuse and record.exists() and data_dir.exists():
                imp = ImportRun(**json.loads(record.read_text()))
                log(f"{n:,}: reusing {data_dir} (import measured earlier)")
            else:
                shutil.rmtree(data_dir, ignore_errors=True)
                log(f"{n:,}: importing")
                imp = run_import(data_dir, files[n].path, n)
                record.write_text(json.dumps(asdict(imp)))
            log(
                f"{n:,}: imported at {imp.rate:.0f}/s, {imp.cpu_ms_per_article:.1f} CPU ms each, "
                f"peak {imp.peak_rss_mb:.0f} MB; queries in process"
            )
            inproc = run_inprocess(data_dir, mix)
            log(f"{n:,}: in process p95 {inproc.p(95):.0f} ms")
            http = {}
            for c in levels:
                log(f"{n:,}: HTTP c={c}")
                http[c] = run_http(data_dir, mix, c, args.http_seconds, args.workers)
                log(f"{n:,}: HTTP c={c} p95 {http[c].p(95):.0f} ms, errors {http[c].errors}")
            limited = {}
            for c in levels if args.memory_limit else []:
                log(f"{n:,}: HTTP c={c}, server limited to {args.memory_limit:,.0f} MB")
                limited[c] = run_http(
                    data_dir, mix, c, args.http_seconds, args.workers, args.memory_limit
                )
                log(
                    f"{n:,}: HTTP c={c} limited: p95 {limited[c].p(95):.0f} ms, "
                    f"errors {limited[c].errors}, OOM kills {limited[c].oom_kills}"
                )
            nightly = None
            if args.nightly and not args.reuse:
                night = corpus_file(args.cache, gen_of, n, n + args.nightly)
                source.clear()
                nightly = run_import(data_dir, night.path, args.nightly)
            results.append(
                SizeResult(n, files[n].duplicate_bodies, imp, inproc, http, nightly, limited)
            )
            results.sort(key=lambda r: r.size)
            if not args.keep and not args.reuse:
                shutil.rmtree(data_dir, ignore_errors=True)
                record.unlink(missing_ok=True)
            info["notes"] = notes(results, args, time.perf_counter() - t_start)
            md = render(results, info)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(md, encoding="utf-8")
            args.out.with_suffix(".json").write_text(
                json.dumps([asdict(r) for r in results], ensure_ascii=False)
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(render(results, info))
    return 0


def earlier(out: Path) -> list[SizeResult]:
    """The results of an earlier run with the same --out (its .json), or none."""
    path = out.with_suffix(".json")
    if not path.exists():
        return []
    results = []
    for d in json.loads(path.read_text()):
        http = {int(c): Timings(**t) for c, t in d["http"].items()}
        nightly = ImportRun(**d["nightly"]) if d["nightly"] else None
        limited = {int(c): Timings(**t) for c, t in d.get("limited", {}).items()}
        results.append(
            SizeResult(
                d["size"],
                d["duplicate_bodies"],
                ImportRun(**d["imp"]),
                Timings(**d["inproc"]),
                http,
                nightly,
                limited,
            )
        )
    return results


def notes(results: Sequence[SizeResult], args: argparse.Namespace, seconds: float) -> list[str]:
    dups = ", ".join(f"{r.duplicate_bodies} at {r.size:,}" for r in results)
    return [
        f"- Duplicate bodies in the corpus: {dups}. Run took {seconds / 60:.0f} min.",
        *(
            [
                f"- Sizes {', '.join(f'{n:,}' for n in args.earlier)} come from an earlier run "
                "(the same command without them); this one added the others with --append."
            ]
            if getattr(args, "earlier", None)
            else []
        ),
        "- Import: one `tracuu index import` of the whole file into an empty data directory "
        "(SQLite article store included), as a province's first load of its archives. CPU "
        "ms / article sums user and system time of the command and its worker processes: "
        "it depends far less on other load than articles/s does.",
        "- In process: `search.engine.Engine.search` (hits with snippets, the suggestion), the "
        "mix once after warm-up queries outside it. HTTP: `tracuu serve --workers "
        f"{args.workers}`, a fresh server per concurrency, warm-up outside the mix, the load "
        "generator (httpx, asyncio) on the same 2 cores; at most "
        f"{args.http_seconds:g} s per concurrency (requests left then are counted as unsent).",
        "- Server RSS: VmRSS of the supervisor and its workers summed, sampled every 0.25 s. "
        "The side files are memory-mapped: their pages a worker touched count in its RSS (once "
        "per worker, though the page cache holds them once); in brackets the same processes' "
        "PSS summed (each page once) and their anonymous memory (no file pages). Whoosh's own "
        "files are read with pread: their pages in the page cache are in none of these.",
    ]


if __name__ == "__main__":
    sys.exit(main())
