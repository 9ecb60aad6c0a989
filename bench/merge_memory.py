"""Memory of a merge's pool: `python -m bench.merge_memory DATA_DIR`.

    python -m bench.merge_memory DATA_DIR [--out FILE]

Reads the biggest segment of DATA_DIR's live index (read only) as a merge does
(indexer/whoosh_seam/merging.py: every list as arrays into a BulkPool), then sorts each field as
the flush does, and prints a Markdown table: the segment's documents and postings, the seconds
the reading took, the pool's memory once filled and the process's peak (both above what it held
before), per posting and per document. What a merge of N documents costs the process merging
them: the figure behind merging.TIER.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.merge_memory")
    p.add_argument("data_dir", type=Path)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    from indexer.layout import DataDir
    from indexer.whoosh_seam import merging
    from indexer.whoosh_seam.pool import BulkPool, counted
    from indexer.whoosh_seam.storage import open_index

    folder = DataDir(args.data_dir).live_index()
    if folder is None:
        print(f"bench.merge_memory: no index in {args.data_dir}", file=sys.stderr)
        return 2
    ix = open_index(folder)
    try:
        segment = max(ix._segments(), key=lambda s: s.doc_count_all())
        n = segment.doc_count_all()
        schema = ix.schema
        pool = BulkPool()
        pool.schema = schema
        start = _rss_mb()
        t0 = time.perf_counter()
        postings = 0
        for lists in merging.segment_lists(folder, ix.storage, segment, np.arange(n)):
            field = schema[lists.field]
            terms = [field.from_bytes(t) for t in lists.terms] if counted(field) else lists.terms
            pool.field(lists.field, field).add_lists(
                terms, lists.counts, lists.docs, lists.weights, field.format.field_boost
            )
            postings += len(lists.docs)
        seconds = time.perf_counter() - t0
        filled = _rss_mb() - start
        for name in sorted(pool.fields):
            fp = pool.fields.pop(name)
            in_order = fp.sorted(str.encode if counted(schema[name]) else bytes)
            del fp, in_order
        peak = _peak_mb() - start
    finally:
        ix.close()
    text = "\n".join(
        [
            f"A merge's pool, the biggest segment of {args.data_dir} "
            f"(`python -m bench.merge_memory {args.data_dir}`, load {os.getloadavg()[0]:.1f})",
            "",
            "| documents | postings | read s | pool MB | B / posting | peak MB | KB / document |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {n:,} | {postings:,} | {seconds:.1f} | {filled:,.0f} "
            f"| {filled * 2**20 / max(postings, 1):.0f} | {peak:,.0f} "
            f"| {peak * 1024 / max(n, 1):.0f} |",
        ]
    )
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
