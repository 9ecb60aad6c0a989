"""Make demo/vi_news_demo.jsonl.gz: ~3,000 real vi-news articles, local-government news first.

    python -m bench.make_demo [--source ../shared/data/vi-news/vi_news.jsonl.gz]

Deterministic (sorted ids, fixed seed). Texts © their publishers (VNTC corpus, MIT);
see demo/SOURCES.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from pathlib import Path

DEFAULT_SOURCE = Path(__file__).resolve().parents[1] / ".." / "shared/data/vi-news/vi_news.jsonl.gz"
LOCAL = re.compile(r"UBND|HĐND|Ủy ban nhân dân|Uỷ ban nhân dân|huyện|Huyện ủy|Huyện uỷ|xã|MTTQ")
SITE = {
    "VNTC/VnExpress": "vnexpress.net",
    "VNTC/Tuổi Trẻ": "tuoitre.vn",
    "VNTC/Người Lao Động": "nld.com.vn",
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--out", type=Path, default=Path("demo/vi_news_demo.jsonl.gz"))
    ap.add_argument("--size", type=int, default=3000)
    args = ap.parse_args(argv)
    if not args.source.exists():
        print(
            f"vi-news not found at {args.source} (it lives in ../shared/data/vi-news)",
            file=sys.stderr,
        )
        return 2
    local, politics, other = [], [], []
    with gzip.open(args.source, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d["category"] in ("Chính trị Xã hội", "Pháp luật"):
                hits = len(LOCAL.findall(d["body"]))
                (local if hits >= 3 else politics).append(d)
            else:
                other.append(d)
    rng = random.Random(20261127)
    picked = local[: int(args.size * 0.6)]
    rest = args.size - len(picked) - 300
    picked += rng.sample(politics, min(rest, len(politics)))
    picked += rng.sample(other, 300)
    picked.sort(key=lambda d: d["id"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(args.out, "wt", encoding="utf-8", compresslevel=9) as out:
        for d in picked:
            art = {
                "id": d["id"],
                "title": d["title"],
                "body": d["body"],
                "category": d["category"],
                "site": SITE.get(d["source"], d["source"]),
            }
            out.write(json.dumps(art, ensure_ascii=False) + "\n")
    print(f"wrote {len(picked)} articles to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
