"""Memory of a merge: `python -m bench.merge_memory DATA_DIR`.

    python -m bench.merge_memory DATA_DIR [--scratch DIR] [--out FILE]

Takes the biggest segment of DATA_DIR's live index (read only) and measures, in a process of its
own, what merging it costs the process merging: a real merge of the segment by BulkWriter
(indexer/whoosh_seam/writer.py: stored fields, then its lists streamed into the new segment a
slab at a time), on a copy of the segment in --scratch (default: a temporary directory beside
DATA_DIR). (Until session 6 a `--mode pooled` measured the merges that loaded every list into the
pool; bench/SCALE.md §9 keeps its figures.)
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


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _biggest(ix: Any) -> Any:
    return max(ix._segments(), key=lambda s: s.doc_count_all())


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
        figures = _streamed(folder, scratch)
        print(json.dumps(figures))
        return 0
    # In a process of its own: a peak RSS is a process's.
    cmd = [sys.executable, "-m", "bench.merge_memory", str(args.data_dir),
           "--scratch", str(scratch), "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    f = json.loads(out.strip().splitlines()[-1])
    row = (
        f"| streamed | {f['documents']:,} | {f['seconds']:.1f} | {f['peak_mb']:,.0f} "
        f"| {f['peak_mb'] * 1024 / max(f['documents'], 1):.1f} |"
    )
    text = "\n".join(
        [
            f"A merge of the biggest segment of {args.data_dir} "
            f"(`python -m bench.merge_memory {args.data_dir}`, load {os.getloadavg()[0]:.1f})",
            "",
            "| merge | documents | s | peak MB above start | KB / document |",
            "|---|---:|---:|---:|---:|",
            row,
        ]
    )
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
