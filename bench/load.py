"""The real server under load, with and without a concurrent import: `python -m bench.load`.

    python -m bench.load [--data-dir DIR | --source JSONL] [--seconds 20] [--concurrency 1,8,32]
                         [--no-import] [--out bench/out/load.md]

What it does, as a provincial server would see it:
  * data: the demo articles (demo/vi_news_demo.jsonl.gz) imported into a temporary data
    directory with `tracuu index import`; or `--data-dir DIR`, copied first when an import runs
    (the bench never writes into a directory it was given);
  * the server as deployed: `tracuu serve --workers 2` in a subprocess on a free 127.0.0.1 port;
  * the request mix of bench/load_mix.py (short queries with and without diacritics,
    abbreviations, document numbers, filters, date ranges, sort by date, deep pages, suggest,
    document pages, the HTML page, a few heaviest-allowed queries), built from articles the
    server returns, seeded;
  * for each concurrency (closed loop: each virtual visitor sends its next request when the
    last one is answered) a fixed time, first alone, then while `tracuu index import` runs
    again and again with new articles (batches of --batch);
  * throughput, p50/p95/p99/max, the longest silence (no answer at all came back: a stalled
    server), errors (anything but 200, and timeouts), the RSS of the server's processes sampled
    every 0.5 s, and the load generator's own CPU use.

The load generator is Python (asyncio + httpx) rather than wrk: it records each request's kind,
so latencies break down per kind and the slowest requests are named; at the rates this server
reaches on 2 cores it uses a few percent of one core (the table shows it). Loopback only;
bounded by --seconds per phase and --max-requests per phase.
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
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from bench.load_mix import COMMON, KINDS, Request, build_mix
from bench.perf import Server, free_port, pct, process_tree

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "demo" / "vi_news_demo.jsonl.gz"
DEFAULT_OUT = REPO / "bench" / "out" / "load.md"
HOST = "127.0.0.1"
MIX_SIZE = 20_000
REQUEST_TIMEOUT = 30.0  # seconds; a request that takes longer counts as an error ("timeout")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def tracuu_cmd() -> list[str]:
    """The `tracuu` console script next to this Python (as deployed), else the module."""
    script = Path(sys.executable).with_name("tracuu")
    return [str(script)] if script.exists() else [sys.executable, "-m", "indexer.cli"]


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


# -- the server's memory ----------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (uvicorn supervisor + workers), MB."""
    total = 0
    for p in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


class RssSampler(threading.Thread):
    """Samples the server's RSS every 0.5 s, labelled with the phase running."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.phase = pid, "start"
        self.samples: list[tuple[float, str, float]] = []  # (seconds since start, phase, MB)
        self._halt = threading.Event()
        self._t0 = time.monotonic()

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append((time.monotonic() - self._t0, self.phase, rss_mb(self.pid)))
            self._halt.wait(0.5)

    def of(self, phase: str) -> list[float]:
        return [mb for _, p, mb in self.samples if p == phase]

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


# -- the concurrent import --------------------------------------------------------------------


class Importer(threading.Thread):
    """`tracuu index import` of fresh articles, run after run, until stopped."""

    def __init__(self, data_dir: Path, articles: Sequence[dict[str, Any]], batch: int,
                 work: Path, round_no: int) -> None:
        super().__init__(daemon=True)
        self.data_dir, self.articles, self.batch, self.work = data_dir, articles, batch, work
        self.round = round_no
        self.runs: list[tuple[int, int, float]] = []  # (exit code, articles, seconds)
        self._halt = threading.Event()

    def _batch_file(self, n: int) -> Path:
        path = self.work / f"import-{self.round}-{n}.jsonl"
        start = (n * self.batch) % max(1, len(self.articles))
        with path.open("w", encoding="utf-8") as f:
            for i in range(self.batch):
                a = dict(self.articles[(start + i) % len(self.articles)])
                key = f"{a.get('id') or a.get('url')}#nap-{self.round}-{n}-{i}"
                a["id"] = a["url"] = key  # new articles, not replacements
                f.write(json.dumps(a, ensure_ascii=False) + "\n")
        return path

    def run(self) -> None:
        for n in itertools.count():
            if self._halt.is_set():
                return
            path = self._batch_file(n)
            t = time.monotonic()
            done = subprocess.run([*tracuu_cmd(), "--data-dir", str(self.data_dir), "index",
                                   "import", str(path)], capture_output=True, check=False)
            self.runs.append((done.returncode, self.batch, time.monotonic() - t))
            path.unlink()

    def stop(self) -> None:
        """Ask for no further run, and wait for the one under way (an import is never killed)."""
        self._halt.set()
        self.join()


# -- the load ---------------------------------------------------------------------------------


@dataclass
class Phase:
    """One fixed-time run at one concurrency."""

    label: str
    concurrency: int
    importing: bool
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the load generator's own CPU time
    done: list[tuple[str, float, int, str]] = field(default_factory=list)  # kind, ms, status, path
    ends: list[float] = field(default_factory=list)  # when each answer came (perf_counter)
    started: float = 0.0
    imports: list[tuple[int, int, float]] = field(default_factory=list)
    docs_after: int | None = None

    @property
    def errors(self) -> Counter[str]:
        return Counter("timeout" if s == -1 else "network" if s == 0 else str(s)
                       for _, _, s, _ in self.done if s != 200)

    def ms(self, kind: str | None = None) -> list[float]:
        return [m for k, m, _, _ in self.done if kind is None or k == kind]

    @property
    def longest_silence(self) -> float:
        """The longest time (ms) in which no answer at all came back: the server stalled."""
        marks = [self.started, *sorted(self.ends)]
        return max((b - a for a, b in itertools.pairwise(marks)), default=0.0) * 1000


async def drive(url: str, mix: Sequence[Request], phase: Phase, seconds: float,
                max_requests: int, offset: int) -> None:
    """Closed loop: `phase.concurrency` visitors, each sending its next request when answered."""
    order = itertools.count(offset)
    limits = httpx.Limits(max_connections=phase.concurrency,
                          max_keepalive_connections=phase.concurrency)
    cpu0, t0 = time.process_time(), time.perf_counter()
    phase.started = t0
    end = t0 + seconds
    async with httpx.AsyncClient(base_url=url, limits=limits,
                                 timeout=REQUEST_TIMEOUT) as client:

        async def visitor() -> None:
            while time.perf_counter() < end and len(phase.done) < max_requests:
                req = mix[next(order) % len(mix)]
                t = time.perf_counter()
                try:
                    status = (await client.get(req.path)).status_code
                except httpx.TimeoutException:
                    status = -1
                except httpx.HTTPError:
                    status = 0
                end_t = time.perf_counter()
                phase.done.append((req.kind, (end_t - t) * 1000, status, req.path))
                phase.ends.append(end_t)

        await asyncio.gather(*(visitor() for _ in range(phase.concurrency)))
    phase.seconds = time.perf_counter() - t0
    phase.cpu_seconds = time.process_time() - cpu0


def sample(url: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Hits for common words and a few article bodies, through the API (any data directory)."""
    hits: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=url, timeout=60) as client:
        for word in COMMON:
            for page in (1, 2):
                r = client.get("/api/search", params={"q": word, "size": 50, "page": page})
                r.raise_for_status()
                hits.update({h["id"]: h for h in r.json()["hits"]})
        bodies = []
        for doc_id in list(hits)[:20]:
            r = client.get("/api/documents/" + quote(doc_id, safe=""))
            if r.status_code == 200:
                bodies.append(str(r.json().get("body", "")))
    return list(hits.values()), bodies


def doc_count(url: str) -> int | None:
    try:
        return int(httpx.get(url + "/healthz", timeout=10).json()["documents"])
    except (httpx.HTTPError, KeyError, ValueError):
        return None


# -- the report -------------------------------------------------------------------------------


def _ms(v: float) -> str:
    return "–" if v != v else f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def _rss(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{values[0]:.0f} → {max(values):.0f} → {values[-1]:.0f}"


def report(phases: Sequence[Phase], rss: RssSampler, info: dict[str, str]) -> str:
    lines = [
        "| import running | concurrency | requests | req/s | p50 ms | p95 ms | p99 ms | max ms "
        "| longest silence ms | errors | server RSS MB (start → peak → end) | generator CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in phases:
        ms, errs = p.ms(), p.errors
        err = f"{sum(errs.values())}" + (f" ({', '.join(f'{k}: {v}' for k, v in errs.items())})"
                                         if errs else "")
        lines.append(
            f"| {'yes' if p.importing else 'no'} | {p.concurrency} | {len(ms):,} "
            f"| {len(ms) / p.seconds:.1f} | {_ms(pct(ms, 50))} | {_ms(pct(ms, 95))} "
            f"| {_ms(pct(ms, 99))} | {_ms(max(ms, default=float('nan')))} "
            f"| {_ms(p.longest_silence)} | {err} "
            f"| {_rss(rss.of(p.label))} | {100 * p.cpu_seconds / p.seconds:.0f}% |")
    out = [f"# Load: `python -m bench.load` ({info['args']})", "", info["setup"], "",
           *lines, ""]
    out += ["Per kind of request (ms), alone at the highest concurrency and while importing:", "",
            "| kind | what | n | p50 | p95 | max | n (import) | p50 | p95 | max |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    top = max(p.concurrency for p in phases)
    pair = [p for p in phases if p.concurrency == top]
    for kind, (_, what) in KINDS.items():
        cells = []
        for p in pair:
            ms = p.ms(kind)
            cells.append(f"{len(ms)} | {_ms(pct(ms, 50))} | {_ms(pct(ms, 95))} "
                         f"| {_ms(max(ms, default=float('nan')))}")
        lines_kind = " | ".join(cells) if len(cells) == 2 else f"{cells[0]} | | | |"
        out.append(f"| {kind} | {what} | {lines_kind} |")
    out += ["", "Slowest requests:", ""]
    slow = sorted(((ms, p, kind, path) for p in phases for kind, ms, _, path in p.done),
                  key=lambda x: x[0], reverse=True)[:5]
    for ms, p, kind, path in slow:
        short = path if len(path) <= 110 else path[:107] + "..."
        out.append(f"- {ms:,.0f} ms, {kind}, c={p.concurrency}"
                   f"{' while importing' if p.importing else ''}: `{short}`")
    imports = [p for p in phases if p.importing]
    if imports:
        out += ["", "Concurrent import (`tracuu index import`, run after run):", ""]
        for p in imports:
            codes = Counter(rc for rc, _, _ in p.imports)
            arts = sum(n for rc, n, _ in p.imports if rc == 0)
            secs = [s for _, _, s in p.imports]
            out.append(f"- c={p.concurrency}: {len(p.imports)} runs, {arts:,} articles imported, "
                       f"{pct(secs, 50):.1f} s per run (median), exit codes "
                       f"{dict(sorted(codes.items()))}; {p.docs_after or '?'} documents after")
    out += ["", "Server RSS over time (MB, sum of supervisor and workers, every 2 s):", ""]
    for p in phases:
        values = rss.of(p.label)[::4]
        out.append(f"- {p.label}: {' '.join(f'{v:.0f}' for v in values)}")
    return "\n".join(out) + "\n"


# -- main -------------------------------------------------------------------------------------


def prepare(args: argparse.Namespace, work: Path) -> tuple[Path, str]:
    """The data directory to serve, and a sentence saying what it is."""
    data = work / "data"
    if args.data_dir is not None:
        if args.no_import:
            return args.data_dir, f"data directory {args.data_dir} (served as is)"
        shutil.copytree(args.data_dir, data)
        return data, f"a copy of {args.data_dir}"
    t = time.monotonic()
    subprocess.run([*tracuu_cmd(), "--data-dir", str(data), "index", "import", str(args.source)],
                   check=True, capture_output=True)
    return data, (f"{args.source.name} imported into a fresh data directory "
                  f"({time.monotonic() - t:.0f} s)")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", type=Path, help="serve this data directory (copied if importing)")
    p.add_argument("--source", type=Path, default=DEMO,
                   help="articles (JSONL) to build the data directory from and to import more of")
    p.add_argument("--seconds", type=float, default=20.0, help="per phase (20)")
    p.add_argument("--concurrency", default="1,8,32", help="comma-separated (1,8,32)")
    p.add_argument("--workers", type=int, default=2, help="server processes (2, as deployed)")
    p.add_argument("--batch", type=int, default=500, help="articles per concurrent import run")
    p.add_argument("--no-import", action="store_true", help="skip the phases with an import")
    p.add_argument("--max-requests", type=int, default=200_000, help="per phase, a safety cap")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    if not args.source.exists():
        print(f"bench.load: no articles at {args.source} (give --source or --data-dir)",
              file=sys.stderr)
        return 2
    articles = list(itertools.islice(read_jsonl(args.source), 5000))
    with tempfile.TemporaryDirectory(prefix="tracuu-load-") as tmp:
        work = Path(tmp)
        data, what = prepare(args, work)
        port = free_port()
        cmd = [*tracuu_cmd(), "--data-dir", str(data), "serve", "--host", HOST,
               "--port", str(port), "--workers", str(args.workers)]
        server = Server(cmd, dict(os.environ), port, args.workers)
        phases: list[Phase] = []
        sampler = RssSampler(server.proc.pid)
        try:
            server.wait_ready()
            sampler.start()
            hits, bodies = sample(server.url)
            mix = build_mix(hits, bodies, MIX_SIZE, args.seed)
            docs = doc_count(server.url)
            log(f"bench.load: {docs} documents, {len(hits)} sampled hits; warming up")
            sampler.phase = "warm-up"
            asyncio.run(drive(server.url, mix, Phase("warm-up", args.workers, False),
                              min(5.0, args.seconds), 10 * len(KINDS), MIX_SIZE // 2))
            offset = 0
            for importing in (False, True) if not args.no_import else (False,):
                for c in levels:
                    phase = Phase(f"c={c}{' + import' if importing else ''}", c, importing)
                    log(f"bench.load: {phase.label} for {args.seconds:g} s")
                    importer = (Importer(data, articles, args.batch, work, len(phases))
                                if importing else None)
                    sampler.phase = phase.label
                    if importer is not None:
                        importer.start()
                    asyncio.run(drive(server.url, mix, phase, args.seconds,
                                      args.max_requests, offset))
                    if importer is not None:
                        importer.stop()
                        phase.imports = importer.runs
                    phase.docs_after = doc_count(server.url)
                    offset += len(phase.done)
                    phases.append(phase)
        finally:
            sampler.stop()
            server.stop()
    cores = os.cpu_count()
    load1 = os.getloadavg()[0]
    setup = (f"Data: {what}, {docs} documents at the start. Server: `tracuu serve --workers "
             f"{args.workers}` on 127.0.0.1 (Python {platform.python_version()}, {cores} cores, "
             f"load average {load1:.1f} at the end, load generator on the same machine). "
             f"{args.seconds:g} s per phase, closed loop, mix of {len(KINDS)} kinds "
             f"(bench/load_mix.py), seed {args.seed}; an error is any answer but 200, or no "
             f"answer within {REQUEST_TIMEOUT:g} s.")
    argtext = " ".join(argv if argv is not None else sys.argv[1:]) or "defaults"
    md = report(phases, sampler, {"setup": setup, "args": argtext})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
