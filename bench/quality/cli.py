"""`python -m bench.quality`: index the sample, run the query sets, write the tables."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.quality import __doc__ as PACKAGE_DOC
from bench.quality.corpus import DEFAULT_DATA, ROOT, Doc, corpus_hash, read_docs, sample
from bench.quality.metrics import score, score_short
from bench.quality.probe import infer_forms
from bench.quality.queries import QUERY_DIR, Query, load_or_generate, query_file
from bench.quality.relevance import Judge
from bench.quality.report import (
    Long,
    Short,
    acceptance,
    misses,
    short_acceptance,
    short_table,
    table,
)
from bench.quality.short import (
    DEFAULT_LEXICON,
    SHORT_SETS,
    ShortQuery,
    StaleQueries,
    load_or_generate_short,
    read_wordlist,
)
from bench.quality.systems import SYSTEM_CLASSES, SYSTEMS, TantivySystem, TracuuSystem
from bench.quality.tuning import WEIGHTS, tune

OUT_DIR = ROOT / "bench" / "out"


def corpus_name(data: Path) -> str:
    """'vi-news' for vi_news.jsonl.gz, else the file's name (vi_news_demo → vi-news-demo)."""
    name = data.name.removesuffix(".gz").removesuffix(".jsonl")
    return name.replace("_", "-")


def _probe(docs: Sequence[Doc], cache: Path, texts: Sequence[str], lexicon: Path) -> int:
    """Print tracuu's top 5 for each text, each hit marked relevant (+) or not (-)."""
    try:
        words: set[str] | None = read_wordlist(lexicon)
    except FileNotFoundError as e:
        print(f"{e}: unaccented probes get no relevance", file=sys.stderr)
        words = None
    judge = Judge(docs)
    titles = {d.id: d.title for d in docs}
    system = TracuuSystem(docs, cache)
    try:
        for text in texts:
            rule, forms = infer_forms(text, words)
            rel = set(judge.relevant(forms))
            top = system.run(text)
            print(f"\n{text!r}: {rule}, {len(rel)} relevant, accepts {forms[:6]}")
            for i, d in enumerate(top[:5], 1):
                print(f"  {i}. {'+' if d in rel else '-'} {titles.get(d, d)}")
            hits = sum(1 for d in top if d in rel)
            print(f"  relevant in top 10: {hits}/{min(10, len(rel))}")
    finally:
        system.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.quality", description=(PACKAGE_DOC or "").split("\n")[0]
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="vi_news.jsonl.gz")
    ap.add_argument("--docs", type=int, default=12000, help="sample size (default 12000)")
    ap.add_argument("--split", choices=("test", "dev"), default="test")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset")
    ap.add_argument(
        "--sets",
        choices=("all", "long", "short"),
        default="all",
        help="the original title/number sets, the short-query sets, or both",
    )
    ap.add_argument(
        "--lexicon",
        type=Path,
        default=DEFAULT_LEXICON,
        help="vi-lexicon folder (word list; needed only to generate short sets)",
    )
    ap.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "tracuu-bench-quality"
    )
    ap.add_argument("--out", type=Path, default=OUT_DIR / "quality.md")
    ap.add_argument(
        "--queries", type=Path, default=QUERY_DIR, help="folder of the query files (bench/queries)"
    )
    ap.add_argument(
        "--examples", type=int, default=5, help="tracuu's misses listed per short set (default 5)"
    )
    ap.add_argument(
        "--probe",
        action="append",
        metavar="QUERY",
        help="print tracuu's top hits for QUERY, judged by the short-set rule",
    )
    ap.add_argument("--tune", action="store_true", help="tune the query weights on the dev split")
    args = ap.parse_args(argv)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in systems if s not in SYSTEM_CLASSES]
    if unknown:
        ap.error(f"unknown system(s): {', '.join(unknown)}")
    if not args.data.exists():
        print(f"vi-news data not found: {args.data} (pass --data PATH)", file=sys.stderr)
        return 2

    t0 = time.perf_counter()
    docs = sample(read_docs(args.data), args.docs)
    chash = corpus_hash(docs)
    cache = args.cache / chash
    if args.probe:
        return _probe(docs, cache, args.probe, args.lexicon)
    name = corpus_name(args.data)
    long_file = query_file(name, args.docs, folder=args.queries)
    short_file = query_file(name, args.docs, "-short", folder=args.queries)
    queries: list[Query] = []
    if args.sets in ("all", "long") or args.tune:
        queries = load_or_generate(docs, chash, long_file)
    shorts: list[ShortQuery] = []
    if args.sets in ("all", "short") and not args.tune:
        try:
            shorts = load_or_generate_short(docs, chash, short_file, args.lexicon)
        except (FileNotFoundError, StaleQueries) as e:
            print(e, file=sys.stderr)
            return 2
    print(
        f"corpus: {len(docs)} articles (sample {chash}), {len(queries)} + {len(shorts)} "
        f"short queries ({time.perf_counter() - t0:.1f}s)",
        flush=True,
    )

    if args.tune:
        sysm = TracuuSystem(docs, cache)
        best = tune(sysm, queries)
        sysm.close()
        print("best weights on dev:")
        for n in WEIGHTS:
            print(f"{n} = {best[n]:g}")
        return 0

    chosen = [q for q in queries if q.split == args.split]
    chosen_short = [q for q in shorts if q.split == args.split]
    res: Long = {}
    res_short: Short = {}
    breakdown: Short = {}
    examples = ""
    notes = []
    for name_ in systems:
        t1 = time.perf_counter()
        sysm = SYSTEM_CLASSES[name_](docs, cache)
        built = sysm.index_seconds
        t2 = time.perf_counter()
        if chosen:
            res[name_] = score(chosen, sysm.run)
        if chosen_short:
            res_short[name_], ranked = score_short(chosen_short, sysm.run)
            if name_ == "tracuu":
                breakdown["tracuu"], _ = score_short(
                    chosen_short, ranked.__getitem__, key=lambda q: f"{q.type}: {q.kind}"
                )
                examples = misses(chosen_short, ranked, docs, args.examples)
        sysm.close()
        took = time.perf_counter() - t2
        idx = f"indexed in {built:.0f}s" if built is not None else "index cached"
        notes.append(f"{name_}: {idx}, {len(chosen) + len(chosen_short)} queries in {took:.1f}s")
        if isinstance(sysm, TantivySystem) and sysm.fallbacks:
            notes.append(f"tantivy: {sysm.fallbacks} queries retried without syntax characters")
        print(notes[-1], f"(setup {t2 - t1:.1f}s)", flush=True)

    cmd = "python -m bench.quality " + " ".join(argv if argv is not None else sys.argv[1:])
    md = [
        f"# Search quality, {args.split} split",
        "",
        f"Command: `{cmd.strip()}`  ",
        f"Corpus: {len(docs)} articles of {args.data.name} (sample {chash}); queries: "
        + ", ".join(
            str(f.relative_to(ROOT) if f.is_relative_to(ROOT) else f)
            for f, q in ((long_file, chosen), (short_file, chosen_short))
            if q
        )
        + f", split {args.split}.",
        "",
    ]
    if res:
        md += [table(res), ""]
    if res_short:
        order = sorted(
            breakdown.get("tracuu", {}), key=lambda g: (SHORT_SETS.index(g.split(":")[0]), g)
        )
        md += [
            "Short queries (precision@10 over min(10, relevant); first hit relevant; MRR@10):",
            "",
            short_table(res_short),
            "",
            "tracuu by query shape:",
            "",
            short_table(breakdown, order),
            "",
        ]
    md += [*(f"- {n}" for n in notes), ""]
    checks = acceptance(res) + short_acceptance(res_short)
    md += [*(f"- [{'x' if ok else ' '}] {label}" for label, ok in checks), ""]
    if examples:
        md += ["tracuu's misses (first hit not relevant):", "", examples, ""]
    text = "\n".join(md)
    print()
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    return 0
