"""Where a query's time goes on a big index: `python -m bench.scale_profile DATA_DIR CORPUS`.

    python -m bench.scale_profile DATA_DIR CORPUS [--per-kind 40] [--slowest 8] [--out FILE]
        [--against DATA_DIR2 | --code-against CHECKOUT | --pruning | --maxscore]

DATA_DIR is a data directory kept by `python -m bench.scale --keep` (under its --cache, as
data-N), CORPUS the corpus file the mix is drawn from (corpus-...-0-N.jsonl.gz beside it). Runs
the mix of bench/scale_queries.py once through one Engine, each query under cProfile, and
reports per kind: time, the postings the plan touches (the sum of the document frequencies of
its match and scoring terms: what search.ranking decodes), and the share of each stage —
decoding posting lists, matching, scoring, the spelling suggestion, the plan (with the
vocabulary's pair variants), stored fields, snippets and the article store. cProfile slows
Python-level code more than NumPy calls: shares, not absolute times, are the point.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from bench.scale import first_articles, request_of
from bench.scale_queries import KINDS, Query, build

# stage → (file suffix, function name) whose cumulative time makes the stage
STAGES = {
    "postings (decode, cache)": [("search/ranking.py", "postings")],
    "block decoding": [("search/ranking.py", "_block_arrays")],
    "match (incl. its decoding)": [("search/ranking.py", "match")],
    "filters": [("search/ranking.py", "filter_docs")],
    "score (incl. its decoding)": [("search/ranking.py", "score")],
    "rank (incl. score, sort)": [("search/ranking.py", "rank")],
    "plan + pair variants": [("search/query.py", "plan")],
    "suggestion": [("search/spelling.py", "suggest")],
    "stored fields": [
        ("whoosh/reading.py", "stored_fields"),
        ("whoosh/searching.py", "stored_fields"),
    ],
    "snippets": [("search/snippet.py", "make_snippet")],
    "article store": [("indexer/store.py", "get_many")],
}


def stage_times(prof: cProfile.Profile) -> dict[str, float]:
    """Cumulative seconds of each stage in one profile (the outermost of its functions: Ranker's
    postings() calls Leaf's, the searcher's stored_fields() the reader's)."""
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    out: dict[str, float] = defaultdict(float)
    for (path, _, name), (_, _, _, cum, _) in stats.items():
        for stage, keys in STAGES.items():
            if any(path.endswith(suffix) and name == fn for suffix, fn in keys):
                out[stage] = max(out[stage], cum)
    return out


def touched(engine: object, q: str) -> int:
    """Postings of every term the plan of q matches or scores with (document frequencies)."""
    from search import query as qb

    pq = qb.parse(q)
    if pq.empty:
        return 0
    gen = engine.generation()  # type: ignore[attr-defined]
    plan = qb.plan(pq, gen.vocabulary())
    terms = {(f, t) for f, t, _ in plan.scoring}
    terms |= {term for unit in plan.units for alt in unit for part in alt for term in part}
    return sum(int(gen.view.doc_frequency(f, t)) for f, t in terms)


BODY_FIELDS = ("text", "text_f")


def maxscore(data_dir: Path, mix: Sequence[Query]) -> str:
    """For relevance requests: the share of candidates that could still reach the top 10 once
    scored on every term but the body syllables, plus the most those terms can add."""
    import math

    import numpy as np

    from search import query as qb
    from search.engine import Engine, SearchRequest
    from search.ranking import K1

    engine = Engine(data_dir)
    engine.search(SearchRequest(q="hội nghị"))
    with engine._lock:
        gen = engine.generation()
        ranker, vocab = gen.ranker, gen.vocabulary()
        n = ranker.doc_count
        rows = []  # kind, candidates, still in the running, body postings, other postings
        for query in mix:
            req = request_of(query)
            pq = qb.parse(req.q)
            if req.sort != "relevance" or pq.empty:
                continue
            plan = qb.plan(pq, vocab)
            cands = ranker.match(plan)
            allowed = engine._filter_docs(ranker, req)
            if allowed is not None:
                cands = np.intersect1d(cands, allowed, True)
            if len(cands) <= 10:
                continue
            full = ranker.score(cands, plan)
            rest = tuple(t for t in plan.scoring if t[0] not in BODY_FIELDS)
            part = ranker.score(cands, qb.Plan(plan.units, plan.excluded, rest))
            bound = 0.0
            body = other = 0
            for field, text, weight in plan.scoring:
                df = int(gen.view.doc_frequency(field, text))
                if field in BODY_FIELDS:
                    body += df
                    bound += weight * (math.log(n / (df + 1)) + 1.0) * (K1 + 1) if df else 0.0
                else:
                    other += df
            tenth = np.partition(full, -10)[-10]
            left = int(np.count_nonzero(part + bound >= tenth))
            rows.append((query.kind, len(cands), left, body, other))
    engine.close()
    if not rows:
        return "no relevance request with more than 10 candidates\n"
    share = sorted(r[2] / r[1] for r in rows)
    body = sum(r[3] for r in rows)
    total = body + sum(r[4] for r in rows)
    lines = [
        f"# MaxScore bound on {n:,} documents ({data_dir})",
        "",
        f"{len(rows)} relevance requests with more than 10 candidates (median "
        f"{statistics.median(r[1] for r in rows):,.0f} candidates). Body-syllable terms "
        f"({', '.join(BODY_FIELDS)}) hold {100 * body / total:.1f} % of the scoring postings. "
        "Candidates whose score without them, plus the most they can add (weight × idf × "
        "(k1 + 1) per term), reaches the 10th full score: median "
        f"{100 * statistics.median(share):.1f} %, p75 {100 * share[int(0.75 * len(share))]:.1f} %, "
        f"p95 {100 * share[int(0.95 * len(share))]:.1f} %.",
        "",
        "| kind | n | median candidates | median share still in the running |",
        "|---|---:|---:|---:|",
    ]
    for kind in KINDS:
        sel = [r for r in rows if r[0] == kind]
        if sel:
            lines.append(
                f"| {kind} | {len(sel)} | {statistics.median(r[1] for r in sel):,.0f} | "
                f"{100 * statistics.median(r[2] / r[1] for r in sel):.1f} % |"
            )
    return "\n".join(lines) + "\n"


def compare(a_dir: Path, b_dir: Path, mix: Sequence[Query], prune_a: bool = True) -> str:
    """Each request on two indexes (or on one index, with and without two-phase ranking),
    alternately (same load for both): per kind p50/p95 and the median ratio B/A of the same
    request."""
    from search.engine import Engine, SearchRequest

    engines = [Engine(a_dir, prune=prune_a), Engine(b_dir)]
    for e in engines:
        e.search(SearchRequest(q="hội nghị"))
    docs = [e.doc_count() for e in engines]
    names = [f"{d:,}" for d in docs]
    if not prune_a:
        names = ["full scoring", "two-phase"]
    ms: list[list[float]] = [[], []]
    for i, query in enumerate(mix):
        req = request_of(query)
        for k in (0, 1) if i % 2 == 0 else (1, 0):
            t = time.perf_counter()
            engines[k].search(req)
            ms[k].append((time.perf_counter() - t) * 1000)
    for e in engines:
        e.close()
    title = (
        f"# {docs[1]:,} documents ({b_dir}) against {docs[0]:,} ({a_dir})"
        if prune_a
        else f"# Two-phase top-k against full scoring, {docs[0]:,} documents ({a_dir})"
    )
    return table(title, mix, ms, names)


# A search process of another checkout: one request (JSON parameters) per line in, ms out.
_WORKER = """
import json, sys, time
from search.engine import Engine, SearchRequest
from search.params import parse_search_params
t = time.perf_counter()
engine = Engine(sys.argv[1], cache_size=0)
engine.search(SearchRequest(q="hội nghị"))  # opens the generation, reads the vocabulary
print(json.dumps([engine.doc_count(), (time.perf_counter() - t) * 1000]), flush=True)
for line in sys.stdin:
    params = json.loads(line)
    t = time.perf_counter()
    if "suggest" in params:
        out = repr(engine.suggest(params["suggest"]))
    else:
        res = engine.search(parse_search_params(params))
        out = repr((res.total, [(h.id, h.score) for h in res.hits], res.suggestion))
    ms = (time.perf_counter() - t) * 1000
    print(json.dumps([ms, out], ensure_ascii=False), flush=True)
"""


def suggest_mix(corpus: Path, n: int) -> list[Query]:
    """n type-ahead prefixes drawn as bench.load draws its /api/suggest requests."""
    from urllib.parse import parse_qs, urlsplit

    from bench.load_mix import build_mix

    hits = first_articles(corpus, 6000)
    out = []
    for r in build_mix(hits, [], n * 20):
        if r.kind == "suggest" and len(out) < n:
            out.append(Query("suggest", (("suggest", parse_qs(urlsplit(r.path).query)["q"][0]),)))
    return out


def against_code(data_dir: Path, baseline: Path, mix: Sequence[Query]) -> str:
    """Each request on the same index in two processes, one running this checkout's code and
    one the baseline checkout's, alternately (same load for both)."""
    here = Path(__file__).resolve().parents[1]
    procs = []
    for code in (baseline, here):
        env = dict(os.environ, PYTHONPATH=str(code))
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", _WORKER, str(data_dir)], cwd=code, env=env, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            )
        )
    ms: list[list[float]] = [[], []]
    differ = 0  # requests whose results (ids, scores, totals, suggestions) are not the same
    try:
        starts = [json.loads(p.stdout.readline()) for p in procs]  # type: ignore[union-attr]
        docs = [int(n) for n, _ in starts]
        for i, query in enumerate(mix):
            line = json.dumps(query.as_dict(), ensure_ascii=False) + "\n"
            got = ["", ""]
            for k in (0, 1) if i % 2 == 0 else (1, 0):
                procs[k].stdin.write(line)  # type: ignore[union-attr]
                procs[k].stdin.flush()  # type: ignore[union-attr]
                took, got[k] = json.loads(procs[k].stdout.readline())  # type: ignore[union-attr]
                ms[k].append(float(took))
            differ += got[0] != got[1]
    finally:
        for p in procs:
            p.stdin.close()  # type: ignore[union-attr]
            p.wait(timeout=60)
            p.stdout.close()  # type: ignore[union-attr]
    title = f"# This code ({here}) against {baseline}, {docs[0]:,} documents ({data_dir})"
    same = (
        f"\n{differ} of {len(mix)} requests gave different results (hits, scores, totals)."
        f" First query of a fresh engine (generation opened, vocabulary read): baseline"
        f" {starts[0][1]:,.0f} ms, this code {starts[1][1]:,.0f} ms.\n"
    )
    return table(title, mix, ms, ["baseline", "this code"]) + same + "\n" + side_files(data_dir)


def side_files(data_dir: Path) -> str:
    """What the index's side files (indexer/whoosh_seam/sidefile.py) weigh against the rest."""
    from indexer.layout import DataDir
    from indexer.whoosh_seam import IndexView

    folder = DataDir(data_dir).live_index()
    if folder is None:
        return "No index.\n"
    total = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    view = IndexView(folder)
    try:
        sides = [s.files.part(".spl") for s in view.segments]
        side_bytes = sum(p.length for p in sides if p is not None)
        postings = sum(len(s.side.ids) for s in view.segments if s.side is not None)
        lists = sum(s.side.lists for s in view.segments if s.side is not None)
        n = sum(p is not None for p in sides)
    finally:
        view.close()
    per = side_bytes / postings if postings else 0.0
    return (
        f"Index {total / 2**20:,.0f} MB, of which side files {side_bytes / 2**20:,.0f} MB "
        f"({n} of {len(sides)} segments; {lists:,} lists, {postings:,} postings, "
        f"{per:.2f} bytes a posting); without them {(total - side_bytes) / 2**20:,.0f} MB.\n"
    )


def table(title: str, mix: Sequence[Query], ms: list[list[float]], names: list[str]) -> str:
    """Per kind p50/p95 of two timings of the same requests and their median ratio B/A."""

    def pq(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1]

    lines = [
        title,
        "",
        f"{len(mix)} requests, each run on both one after the other (order alternating),"
        f" cold result cache; load average at the end {os.getloadavg()[0]:.1f}"
        f" ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).",
        "",
        f"| kind | n | p50 / p95 ms, {names[0]} | p50 / p95 ms, {names[1]} | "
        "median ratio of the same request |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind in [*KINDS, "suggest", None]:
        idx = [i for i, q in enumerate(mix) if kind is None or q.kind == kind]
        if len(idx) < 2:
            continue
        a = [ms[0][i] for i in idx]
        b = [ms[1][i] for i in idx]
        ratio = statistics.median(y / x for x, y in zip(a, b, strict=True) if x > 0)
        lines.append(
            f"| {kind or '**all**'} | {len(idx)} | {pq(a, 50):.0f} / {pq(a, 95):.0f} | "
            f"{pq(b, 50):.0f} / {pq(b, 95):.0f} | {ratio:.2f}× |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scale_profile")
    p.add_argument("data_dir", type=Path)
    p.add_argument("corpus", type=Path)
    p.add_argument("--per-kind", type=int, default=40)
    p.add_argument("--slowest", type=int, default=8)
    p.add_argument("--out", type=Path)
    p.add_argument(
        "--against",
        type=Path,
        help="a second data directory: time each request on both, interleaved, and compare",
    )
    p.add_argument(
        "--code-against",
        type=Path,
        help="another checkout (e.g. `git worktree add /tmp/base main`): time each request with "
        "its code and with this one, on the same index, interleaved",
    )
    p.add_argument(
        "--suggest",
        type=int,
        default=0,
        help="with --code-against: also this many /api/suggest prefixes (drawn like bench.load's)",
    )
    p.add_argument(
        "--pruning",
        action="store_true",
        help="time each request with full scoring and with two-phase top-k, interleaved",
    )
    p.add_argument(
        "--maxscore",
        action="store_true",
        help="how many candidates a MaxScore bound on the body-syllable terms would leave",
    )
    args = p.parse_args(argv)
    from search.engine import Engine, SearchRequest

    mix = build(first_articles(args.corpus, 6000), args.per_kind)
    if args.maxscore:
        md = maxscore(args.data_dir, mix)
        if args.out:
            args.out.write_text(md, encoding="utf-8")
        print(md)
        return 0
    if args.code_against:
        mix += suggest_mix(args.corpus, args.suggest)
        md = against_code(args.data_dir, args.code_against, mix)
        if args.out:
            args.out.write_text(md, encoding="utf-8")
        print(md)
        return 0
    if args.against or args.pruning:
        md = compare(args.data_dir, args.against or args.data_dir, mix, not args.pruning)
        if args.out:
            args.out.write_text(md, encoding="utf-8")
        print(md)
        return 0
    engine = Engine(args.data_dir)
    engine.search(SearchRequest(q="hội nghị"))
    docs = engine.doc_count()
    rows = []  # (kind, params, ms, profiled ms, postings, stages)
    for query in mix:
        req = request_of(query)
        t = time.perf_counter()
        engine.search(req)  # cold, timed without the profiler
        ms = (time.perf_counter() - t) * 1000
        with engine._cache_lock:
            engine._cache.clear()
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        engine.search(req)
        prof.disable()
        pms = (time.perf_counter() - t) * 1000
        rows.append(
            (query.kind, query.as_dict(), ms, pms, touched(engine, query.q), stage_times(prof))
        )
    lines = [
        f"# Query profile: {docs:,} documents in {args.data_dir}",
        "",
        f"{len(mix)} requests of bench/scale_queries.py, load average "
        f"{os.getloadavg()[0]:.1f}. Time columns: unprofiled ms; stage shares are of the "
        "profiled time (second run of the same request, result cache cleared; the "
        "postings cache may hold lists the first run decoded).",
        "",
        "| kind | n | p50 ms | p95 ms | mean postings touched | ms per 100k postings | "
        + " | ".join(STAGES)
        + " |",
        "|---|---:|---:|---:|---:|---:|" + "---:|" * len(STAGES),
    ]

    def line(label: str, sel: list[tuple]) -> str:  # type: ignore[type-arg]
        ms = [r[2] for r in sel]
        post = [r[4] for r in sel]
        total = sum(r[3] for r in sel) / 1000 or 1.0
        per = sum(ms) / (sum(post) / 100_000) if sum(post) else float("nan")
        q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
        shares = [100 * sum(r[5].get(s, 0.0) for r in sel) / total for s in STAGES]
        return (
            f"| {label} | {len(sel)} | {q[49]:.0f} | {q[94]:.0f} | "
            f"{statistics.mean(post):,.0f} | {per:.1f} | "
            + " | ".join(f"{s:.0f} %" for s in shares)
            + " |"
        )

    for kind in KINDS:
        sel = [r for r in rows if r[0] == kind]
        if sel:
            lines.append(line(kind, sel))
    lines.append(line("**all**", rows))
    lines += ["", f"Slowest {args.slowest} (unprofiled ms; stages in profiled ms):", ""]
    for kind, params, ms, _, post, st in sorted(rows, key=lambda r: -r[2])[: args.slowest]:
        top = ", ".join(
            f"{s} {1000 * v:.0f}" for s, v in sorted(st.items(), key=lambda x: -x[1]) if v > 0.002
        )
        lines.append(f"- {ms:.0f} ms, {kind} `{params}`: {post:,} postings; {top}")
    # correlation of time with postings touched (queries with words)
    pairs = [(r[4], r[2]) for r in rows if r[4]]
    if len(pairs) > 2:
        xs, ys = zip(*pairs, strict=True)
        r = statistics.correlation(xs, ys)
        slope, icpt = statistics.linear_regression(xs, ys)
        lines += [
            "",
            f"Time vs postings touched over {len(pairs)} queries with words: "
            f"r = {r:.2f}, ms ≈ {icpt:.1f} + {slope * 100_000:.1f} per 100k postings.",
        ]
    engine.close()
    md = "\n".join(lines) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
