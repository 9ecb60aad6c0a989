"""Memory of a merge, pooled or streamed: `python -m bench.merge_memory DATA_DIR`.

    python -m bench.merge_memory DATA_DIR [--mode pooled|streamed|both] [--scratch DIR]
                                 [--out FILE]

Takes the biggest segment of DATA_DIR's live index (read only) and measures, in a process of its
own per mode, what merging it costs the process merging:
  * pooled: the lists read as a merge did before merges streamed (merging.segment_lists, every
    list as arrays into a BulkPool), then each field sorted as the flush does;
  * streamed: a real merge of the segment by BulkWriter (indexer/whoosh_seam/writer.py: stored
    fields, then its lists streamed into the new segment a slab at a time), on a copy of the
    segment in --scratch (default: a temporary directory beside DATA_DIR).
Prints a Markdown table: the segment's documents, the seconds taken, the process's peak RSS
above what it held before, and that per document: the figure behind merging.TIER.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _biggest(ix: Any) -> Any:
    return max(ix._segments(), key=lambda s: s.doc_count_all())


def _pooled(folder: Path) -> dict[str, Any]:
    from indexer.whoosh_seam import merging
    from indexer.whoosh_seam.pool import BulkPool, counted
    from indexer.whoosh_seam.storage import open_index

    ix = open_index(folder)
    try:
        segment = _biggest(ix)
        n = segment.doc_count_all()
        schema = ix.schema
        pool = BulkPool()
        pool.schema = schema
        start = _rss_mb()
        t0 = time.perf_counter()
        for lists in merging.segment_lists(folder, ix.storage, segment, np.arange(n)):
            field = schema[lists.field]
            terms = [field.from_bytes(t) for t in lists.terms] if counted(field) else lists.terms
            pool.field(lists.field, field).add_lists(
                terms, lists.counts, lists.docs, lists.weights, field.format.field_boost
            )
        for name in sorted(pool.fields):
            fp = pool.fields.pop(name)
            in_order = fp.sorted(str.encode if counted(schema[name]) else bytes)
            del fp, in_order
        seconds = time.perf_counter() - t0
        peak = _peak_mb() - start
    finally:
        ix.close()
    return {"documents": n, "seconds": seconds, "peak_mb": peak}


def _streamed(folder: Path, scratch: Path) -> dict[str, Any]:
    from whoosh.reading import SegmentReader

    from indexer.whoosh_seam.codec import InliningCodec
    from indexer.whoosh_seam.storage import open_index
    from indexer.whoosh_seam.termfile import INLINE_LIMIT
    from indexer.whoosh_seam.writer import POOL_MB, BulkWriter

    ix = open_index(folder)
    try:
        segment = _biggest(ix)
    finally:
        ix.close()
    sid = segment.segment_id()
    n = segment.doc_count_all()
    copy = Path(tempfile.mkdtemp(prefix="merge-memory-", dir=scratch))
    try:
        for path in folder.iterdir():  # the table of contents and the segment's files
            if path.suffix == ".toc" or sid in path.name or path.name == "SCHEMA_VERSION":
                shutil.copy(path, copy / path.name)
        ix = open_index(copy, readonly=False)
        start = _rss_mb()
        t0 = time.perf_counter()
        writer = BulkWriter(ix, limitmb=POOL_MB, codec=InliningCodec(INLINE_LIMIT))

        def merge_the_biggest(w: Any, segments: list[Any]) -> list[Any]:
            reader = SegmentReader(w.storage, w.schema, segment)
            try:
                w.add_reader(reader)
            finally:
                reader.close()
            return [s for s in segments if s.segment_id() != sid]

        writer.commit(mergetype=merge_the_biggest)
        seconds = time.perf_counter() - t0
        peak = _peak_mb() - start
        ix.close()
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    return {"documents": n, "seconds": seconds, "peak_mb": peak}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.merge_memory")
    p.add_argument("data_dir", type=Path)
    p.add_argument("--mode", choices=("pooled", "streamed", "both"), default="both")
    p.add_argument("--scratch", type=Path, help="where the streamed merge writes (a copy)")
    p.add_argument("--out", type=Path)
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one mode's figures
    args = p.parse_args(argv)
    from indexer.layout import DataDir

    folder = DataDir(args.data_dir).live_index()
    if folder is None:
        print(f"bench.merge_memory: no index in {args.data_dir}", file=sys.stderr)
        return 2
    scratch = args.scratch or args.data_dir.resolve().parent
    if args.json:
        figures = _pooled(folder) if args.mode == "pooled" else _streamed(folder, scratch)
        print(json.dumps(figures))
        return 0
    modes = ["pooled", "streamed"] if args.mode == "both" else [args.mode]
    rows = []
    for mode in modes:  # each in a process of its own: a peak RSS is a process's
        cmd = [sys.executable, "-m", "bench.merge_memory", str(args.data_dir), "--mode", mode,
               "--scratch", str(scratch), "--json"]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        f = json.loads(out.strip().splitlines()[-1])
        rows.append(
            f"| {mode} | {f['documents']:,} | {f['seconds']:.1f} | {f['peak_mb']:,.0f} "
            f"| {f['peak_mb'] * 1024 / max(f['documents'], 1):.1f} |"
        )
    text = "\n".join(
        [
            f"A merge of the biggest segment of {args.data_dir} "
            f"(`python -m bench.merge_memory {args.data_dir}`, load {os.getloadavg()[0]:.1f})",
            "",
            "| merge | documents | s | peak MB above start | KB / document |",
            "|---|---:|---:|---:|---:|",
            *rows,
        ]
    )
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
