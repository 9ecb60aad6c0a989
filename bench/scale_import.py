"""Import only, two builds side by side: `python -m bench.scale_import`.

    python -m bench.scale_import --size 20000 [--before /work/main/.venv/bin/tracuu]
                                 [--rounds 2] [--env NAME=VALUE ...] [--out FILE] [--data PATH]

Imports the same N recombined vi-news articles (bench/scale_corpus.py, as bench.scale) into a
fresh data directory with `--before` (another checkout's `tracuu`, e.g. main's) and with this
checkout's, alternately, `--rounds` times each, and prints a Markdown table: articles/s, CPU
ms per article (all processes; robust on a shared machine), peak RSS of the process tree,
segments. Alternating the two in the same minutes is what makes their ratio fair on a noisy
machine. Exit 2 when the vi-news file is missing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench import scale_corpus as corpus
from bench.scale import DEFAULT_DATA, ImportRun, corpus_file, log, run_import, tracuu_cmd

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "tracuu-scale"


def run_one(
    cmd: list[str], data_dir: Path, path: Path, articles: int, env: dict[str, str]
) -> ImportRun:
    """One timed import with another `tracuu` and environment."""
    return run_import(data_dir, path, articles, cmd, env)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scale_import")
    p.add_argument("--size", type=int, default=20000)
    p.add_argument("--before", default="/work/main/.venv/bin/tracuu", help="the other `tracuu`")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--env", action="append", default=[], help="NAME=VALUE for this checkout")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    if not args.data.exists():
        print(f"bench.scale_import: the vi-news file is absent ({args.data})", file=sys.stderr)
        return 2
    args.cache.mkdir(parents=True, exist_ok=True)
    written = corpus_file(
        args.cache, lambda: corpus.Generator(corpus.load_source(args.data)), 0, args.size
    )
    env = dict(item.split("=", 1) for item in args.env)
    builds = {"before": ([args.before], {}), "after": (tracuu_cmd(), env)}
    runs: dict[str, list[ImportRun]] = {name: [] for name in builds}
    work = Path(tempfile.mkdtemp(prefix="tracuu-scale-import-"))
    try:
        for r in range(args.rounds):
            for name, (cmd, extra) in builds.items():
                data_dir = work / f"{name}-{r}"
                log(f"import {args.size:,} with {name} (round {r + 1})")
                run = run_one(cmd, data_dir, written.path, args.size, extra)
                runs[name].append(run)
                log(f"{name}: {args.size / run.seconds:.0f} art/s, {run.peak_rss_mb:.0f} MB")
                shutil.rmtree(data_dir, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [
        f"Import of {args.size:,} articles, {args.rounds} alternating rounds (medians); "
        f"`python -m bench.scale_import {' '.join(argv if argv is not None else sys.argv[1:])}`",
        "",
        "| build | art/s | CPU ms / article | peak RSS MB | segments | load |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, done in runs.items():
        rows.append(
            f"| {name} | {statistics.median(args.size / x.seconds for x in done):.0f} "
            f"| {statistics.median(1000 * x.cpu_seconds / args.size for x in done):.1f} "
            f"| {statistics.median(x.peak_rss_mb for x in done):,.0f} "
            f"| {done[0].segments} | {statistics.median(x.load for x in done):.1f} |"
        )
    text = "\n".join(rows)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
