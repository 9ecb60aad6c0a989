"""The plain-Whoosh side of `python -m bench.perf`, run in processes that never import tracuu.

tracuu's seam changes nothing in Whoosh process-wide, but the comparison should not depend on
that: bench.perf runs this module in a subprocess for the import and the in-process queries,
and uvicorn serves whoosh_app() from here, and each checks that no tracuu package was loaded.

    python -m bench.perf_whoosh import ARTICLES.jsonl INDEX_DIR OUT.json
    python -m bench.perf_whoosh query INDEX_DIR QUERIES.json OUT.json
    python -m bench.perf_whoosh serve INDEX_DIR HOST PORT WORKERS

`serve` runs whoosh_app under uvicorn's worker supervisor on a socket made as `tracuu serve`
makes it (TCP, so connections get TCP_NODELAY; see search/serve.py): the two servers differ in
their search only.

QUERIES.json: {"warmup": [text, ...], "mix": [{"text", "kind"}, ...]}. OUT.json holds the figures
(bench.perf.ImportFigures or the in-process latencies) and `tracuu_loaded` (must be false).
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

WHOOSH_SEARCHERS = 4  # searchers per process of the plain Whoosh server
TRACUU_PACKAGES = ("indexer", "search", "crawl")


def tracuu_loaded() -> list[str]:
    """tracuu's packages present in this process (there should be none)."""
    return sorted(m for m in sys.modules if m.split(".")[0] in TRACUU_PACKAGES)


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def whoosh_schema() -> Any:
    from whoosh.fields import ID, TEXT, Schema

    return Schema(id=ID(stored=True, unique=True), title=TEXT(stored=True), body=TEXT(stored=True))


def import_whoosh(jsonl: Path, index_dir: Path) -> dict[str, Any]:
    """Plain Whoosh: default analyzer, one writer, add_document per article, one commit."""
    from whoosh import index

    index_dir.mkdir(parents=True)
    t0, c0 = time.perf_counter(), time.process_time()
    ix = index.create_in(str(index_dir), whoosh_schema())
    writer = ix.writer(limitmb=256)
    n = 0
    for art in read_jsonl(jsonl):
        writer.add_document(id=art["id"], title=art["title"], body=art["body"])
        n += 1
    writer.commit()
    ix.close()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    size = dir_bytes(index_dir)
    return {
        "docs": n,
        "seconds": seconds,
        "index_bytes": size,
        "total_bytes": size,
        "cpu_seconds": cpu,
    }


class WhooshSearch:
    """Plain Whoosh search as a user of the library would write it: one reused searcher."""

    def __init__(self, index_dir: Path | str) -> None:
        from whoosh import index
        from whoosh.qparser import MultifieldParser

        self.ix = index.open_dir(str(index_dir))
        self.searcher = self.ix.searcher()
        self.parser = MultifieldParser(["title", "body"], self.ix.schema)

    def search(self, q: str) -> dict[str, Any]:
        results = self.searcher.search(self.parser.parse(q), limit=10)
        hits = [
            {"id": h["id"], "title": h["title"], "snippet": h.highlights("body")} for h in results
        ]
        return {"query": q, "total": len(results), "hits": hits}

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()


def time_queries(index_dir: Path, warmup: Sequence[str], mix: Sequence[dict[str, str]]) -> dict:
    """First query, then the mix twice (cold pass, second pass), as bench.perf.run_inprocess."""
    t0 = time.perf_counter()
    s = WhooshSearch(index_dir)
    out: dict[str, Any] = {"passes": []}
    try:
        s.search(warmup[0])
        out["first_ms"] = (time.perf_counter() - t0) * 1000
        for q in warmup[1:]:
            s.search(q)
        for _ in range(2):
            ms, zero = [], 0
            for query in mix:
                t = time.perf_counter()
                res = s.search(query["text"])
                ms.append((time.perf_counter() - t) * 1000)
                zero += res["total"] == 0
            out["passes"].append({"ms": ms, "zero_hits": zero})
    finally:
        s.close()
    return out


def whoosh_app() -> Any:
    """Plain Whoosh behind a minimal Starlette app (uvicorn factory; index from the environment).

    Same search as WhooshSearch, from a small pool of searchers shared by the server threads
    (Whoosh searchers are not thread-safe; one per thread would copy the whole compound segment
    per thread through Whoosh's BufferFile, which took a worker past 7 GB on the full set).
    """
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    index_dir = os.environ["PERF_WHOOSH_INDEX"]
    pool: queue.LifoQueue[WhooshSearch] = queue.LifoQueue()
    slots = threading.BoundedSemaphore(WHOOSH_SEARCHERS)

    def api_search(request: Request) -> JSONResponse:
        q = request.query_params.get("q", "")
        with slots:
            try:
                s = pool.get_nowait()
            except queue.Empty:
                s = WhooshSearch(index_dir)
            try:
                return JSONResponse(s.search(q))
            except Exception as exc:  # a parse error is the client's
                return JSONResponse({"error": str(exc)}, status_code=400)
            finally:
                pool.put(s)

    def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "tracuu_loaded": tracuu_loaded()})

    return Starlette(routes=[Route("/api/search", api_search), Route("/healthz", healthz)])


def serve(index_dir: str, host: str, port: int, workers: int) -> None:
    """whoosh_app in `workers` uvicorn processes (the socket as search.serve makes it)."""
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ["PERF_WHOOSH_INDEX"] = index_dir
    config = uvicorn.Config(
        "bench.perf_whoosh:whoosh_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    Multiprocess(config, sockets=[sock]).run()


def main(argv: Sequence[str]) -> int:
    action, *args = argv
    if action == "serve":
        serve(args[0], args[1], int(args[2]), int(args[3]))
        return 0
    if action == "import":
        jsonl, index_dir, out = map(Path, args)
        result = import_whoosh(jsonl, index_dir)
    elif action == "query":
        index_dir, queries_file, out = map(Path, args)
        queries = json.loads(queries_file.read_text("utf-8"))
        result = time_queries(index_dir, queries["warmup"], queries["mix"])
    else:
        print(f"bench.perf_whoosh: unknown action {action!r}", file=sys.stderr)
        return 2
    result["tracuu_loaded"] = tracuu_loaded()
    out.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
