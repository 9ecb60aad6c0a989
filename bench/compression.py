"""Posting blocks and stored articles, zlib against ISA-L: `python -m bench.compression`.

    python -m bench.compression [--index DATA_DIR] [--articles PATH] [--sample N] [--out FILE]

--index: every posting block of DATA_DIR's live index is counted (a walk over the postings
parts' block lengths), a systematic sample of --sample blocks (default 20,000) is decompressed
to its pickle, and each codec compresses and decompresses the sample; the postings parts' size
with each codec is estimated from the sample (the part's bytes, less the sampled blocks' current
compressed bytes, plus the codec's, scaled to all blocks).
--articles: real articles (JSONL, gzip; default /work/shared/data/vi-news/vi_news.jsonl.gz), each
in its stored JSON (indexer.articles.encode_article's), compressed and decompressed by each codec:
µs per article and the store's compressed bytes.
Prints Markdown tables (the codec, µs to compress, µs to decompress, bytes), the codec chosen by
indexer/whoosh_seam/termfile.py and indexer/articles.py marked. Times are the best of --repeat
(default 3) passes over the sample.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import mmap
import pickle
import struct
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from isal import isal_zlib

DEFAULT_ARTICLES = Path("/work/shared/data/vi-news/vi_news.jsonl.gz")
_INT = struct.Struct("!i")
Codec = tuple[str, Callable[[bytes], bytes], Callable[[bytes], bytes]]


def _codecs(levels: Sequence[tuple[str, int]]) -> list[Codec]:
    out: list[Codec] = []
    for lib, level in levels:
        if lib == "zlib":
            out.append((f"zlib {level}", _bound(zlib.compress, level), zlib.decompress))
        else:
            out.append((f"isal {level}", _bound(isal_zlib.compress, level), isal_zlib.decompress))
    return out


def _bound(f: Callable[[bytes, int], bytes], level: int) -> Callable[[bytes], bytes]:
    return lambda b: f(b, level)


BLOCK_CODECS = _codecs(
    [("zlib", 1), ("zlib", 3), ("isal", 0), ("isal", 1), ("isal", 2), ("isal", 3)]
)
ARTICLE_CODECS = _codecs([("zlib", 1), ("zlib", 6), ("isal", 1), ("isal", 2), ("isal", 3)])


def _best(f: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def _postings_parts(data_dir: Path) -> list[tuple[Path, int, int]]:
    """(file, offset, length) of the postings part of every segment of the live index."""
    from indexer.layout import DataDir
    from indexer.whoosh_seam.files import SegmentFiles
    from indexer.whoosh_seam.storage import open_index

    folder = DataDir(data_dir).live_index()
    if folder is None:
        raise SystemExit(f"{data_dir}: no live index")
    ix = open_index(folder)
    out = []
    try:
        for segment in ix._segments():
            files = SegmentFiles(folder, ix.storage, segment)
            try:
                part = files.part(".pst")
                if part is None:
                    continue
                name = segment.make_filename(segment.COMPOUND_EXT)
                path = folder / (name if segment.is_compound() else part.name)
                out.append((path, part.offset, part.length))
            finally:
                files.close()
    finally:
        ix.close()
    return out


def _block_spans(buf: Any, offset: int, length: int) -> list[tuple[int, int]]:
    """(start, end) of every block (its pickled head, then its data) of a postings part."""
    spans = []
    pos, end = offset, offset + length
    while pos < end:
        if buf[pos : pos + 4] != b"W3Bl":
            raise SystemExit(f"no posting list at {pos - offset} of a postings part")
        pos += 4
        last = False
        while not last:
            (size,) = _INT.unpack_from(buf, pos)
            last = size < 0
            spans.append((pos + 4, pos + 4 + abs(size)))
            pos += 4 + abs(size)
    return spans


def block_sample(data_dir: Path, sample: int) -> tuple[list[bytes], list[int], int, int]:
    """A systematic sample of the index's posting blocks: their pickles, their compressed sizes
    now; the number of blocks and the bytes of the postings parts."""
    parts = _postings_parts(data_dir)
    spans: list[tuple[int, int, int]] = []  # (part, start, end)
    maps = []
    for i, (path, offset, length) in enumerate(parts):
        with open(path, "rb") as f:
            m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        maps.append(m)
        spans += [(i, a, b) for a, b in _block_spans(m, offset, length)]
    step = max(1, len(spans) // sample)
    raws, sizes = [], []
    for i, a, b in spans[::step][:sample]:
        header = io.BytesIO(maps[i][a : min(b, a + 256)])
        compression = pickle.Unpickler(header).load()[3]
        data = maps[i][a + header.tell() : b]
        raws.append(zlib.decompress(data) if compression else data)
        sizes.append(len(data))
    for m in maps:
        m.close()
    return raws, sizes, len(spans), sum(p[2] for p in parts)


def block_table(data_dir: Path, sample: int, repeat: int) -> str:
    from indexer.whoosh_seam import termfile

    raws, sizes, n_blocks, part_bytes = block_sample(data_dir, sample)
    now = sum(sizes)
    scale = n_blocks / len(raws)
    raw_bytes = sum(map(len, raws))
    rows = [
        f"Posting blocks of {data_dir}: {n_blocks:,} blocks in {part_bytes / 2**20:,.1f} MB of "
        f"postings parts; a sample of {len(raws):,} blocks, {raw_bytes / len(raws):,.0f} bytes "
        "of pickle each on average.",
        "",
        "| codec | compress µs/block | zlib.decompress µs/block | isal_zlib.decompress µs/block "
        "| compressed / pickle | postings parts (estimate) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, compress, _ in BLOCK_CODECS:
        out = [compress(r) for r in raws]
        if any(zlib.decompress(o) != r for o, r in zip(out, raws, strict=True)):
            raise SystemExit(f"{name}: a block does not read back through zlib")
        tc = _best(lambda c=compress: [c(r) for r in raws], repeat)  # type: ignore[misc]
        tz = _best(lambda o=out: [zlib.decompress(x) for x in o], repeat)  # type: ignore[misc]
        ti = _best(lambda o=out: [isal_zlib.decompress(x) for x in o], repeat)  # type: ignore[misc]
        size = sum(map(len, out))
        estimate = part_bytes + (size - now) * scale
        mark = " (termfile.py)" if name == f"isal {termfile.COMPRESSION}" else ""
        rows.append(
            f"| {name}{mark} | {tc * 1e6 / len(raws):.1f} | {tz * 1e6 / len(raws):.1f} | "
            f"{ti * 1e6 / len(raws):.1f} | {size / raw_bytes:.3f} | {estimate / 2**20:,.1f} MB |"
        )
    return "\n".join(rows)


def article_table(path: Path, repeat: int, limit: int) -> str:
    from indexer import articles
    from indexer.articles import decode_article
    from indexer.document import Article

    blobs = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            article, _ = Article.from_dict(json.loads(line))
            blobs.append(json.dumps(article.to_dict(), ensure_ascii=False).encode("utf-8"))
            if len(blobs) == limit:
                break
    raw = sum(map(len, blobs))
    rows = [
        f"Stored articles of {path}: {len(blobs):,} articles, {raw / 2**20:,.1f} MB of JSON, "
        f"{raw / len(blobs):,.0f} bytes each on average.",
        "",
        "| codec | compress µs/article | decompress µs/article | store's blobs | "
        "compressed / JSON |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, compress, decompress in ARTICLE_CODECS:
        out = [compress(b) for b in blobs]
        if decode_article(out[0]).to_dict() != json.loads(blobs[0]):
            raise SystemExit(f"{name}: an article does not read back")
        tc = _best(lambda c=compress: [c(b) for b in blobs], repeat)  # type: ignore[misc]
        td = _best(lambda d=decompress, o=out: [d(x) for x in o], repeat)  # type: ignore[misc]
        size = sum(map(len, out))
        mark = " (articles.py)" if name == f"isal {articles.LEVEL}" else ""
        rows.append(
            f"| {name}{mark} | {tc * 1e6 / len(blobs):.1f} | {td * 1e6 / len(blobs):.1f} | "
            f"{size / 2**20:,.1f} MB | {size / raw:.3f} |"
        )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--index", type=Path, help="a data directory whose live index to sample")
    p.add_argument("--articles", type=Path, default=None, help="articles JSONL.gz")
    p.add_argument("--sample", type=int, default=20_000, help="posting blocks sampled")
    p.add_argument("--limit", type=int, default=0, help="articles read (0: all)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    tables = []
    if args.index is not None:
        tables.append(block_table(args.index, args.sample, args.repeat))
    articles = args.articles or (DEFAULT_ARTICLES if args.index is None else None)
    if articles is not None:
        if not articles.is_file():
            print(
                f"{articles}: absent (pass --articles PATH, a JSONL.gz of articles)",
                file=sys.stderr,
            )
            return 2
        tables.append(article_table(articles, args.repeat, args.limit))
    text = "\n\n".join(tables) + "\n"
    print(text, end="")
    if args.out:
        args.out.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
