"""Body-extraction quality on the Scrapinghub benchmark: `python -m bench.extract`.

Scores our `crawl.extract.extract(...).body` against `articleBody` the way the benchmark's
evaluate.py does (tokens are `\\w+` runs compared as bags of 4-token shingles, counts normalised
per page, precision and recall averaged over pages, F1 of the two means), plus a plain bag of
whitespace tokens, beside the published outputs kept with the data.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from crawl.encoding import decode_html
from crawl.extract import extract

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "extraction-benchmark"
PUBLISHED = ("trafilatura", "readability", "justext")
_WORD = re.compile(r"\w+")

Counts = tuple[float, float, float]


def _shingles(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1))
                   if tokens[i:i + n])


def page_counts(true: str, pred: str, tokenize: Callable[[str], list[str]], n: int) -> Counts:
    """Normalised (tp, fp, fn) of one page, so that long pages do not weigh more."""
    t, p = _shingles(tokenize(true), n), _shingles(tokenize(pred), n)
    tp, fp, fn = sum((t & p).values()), sum((p - t).values()), sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def score(pages: list[Counts]) -> tuple[float, float, float]:
    """(F1, precision, recall): means over pages, F1 of the means (as upstream does)."""
    ps = [_precision(*c) for c in pages if c[0] + c[1] > 0]
    rs = [_recall(*c) for c in pages if c[0] + c[2] > 0]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    return (2 * p * r / (p + r) if p + r else 0.0), p, r


def evaluate(truth: dict[str, str], pred: dict[str, str]) -> dict[str, tuple[float, float, float]]:
    """Scores under the upstream shingle rule and under a bag of whitespace tokens."""
    keys = sorted(truth)
    return {
        "shingles": score([page_counts(truth[k], pred.get(k, ""), _WORD.findall, 4)
                           for k in keys]),
        "tokens": score([page_counts(truth[k], pred.get(k, ""), str.split, 1) for k in keys]),
    }


def run_ours(html_dir: Path, truth: dict[str, dict[str, str]]) -> tuple[dict[str, str], float]:
    """Our bodies for every page, and pages per second (decoding and extraction)."""
    raw = {k: gzip.decompress((html_dir / f"{k}.html.gz").read_bytes()) for k in truth}
    out: dict[str, str] = {}
    start = time.perf_counter()
    for key, body in raw.items():
        html, _ = decode_html(body, "text/html; charset=utf-8")
        url = truth[key].get("url") or "https://example.com/a"
        out[key] = extract(html, url, always_body=True).body
    return out, len(raw) / (time.perf_counter() - start)


def table(rows: list[tuple[str, str, dict[str, tuple[float, float, float]], str]]) -> str:
    """The Markdown table of all systems."""
    lines = [
        "| system | version | F1 | precision | recall | F1 (bag of tokens) | pages/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, version, m, speed in rows:
        f1, p, r = m["shingles"]
        lines.append(f"| {name} | {version} | {f1:.3f} | {p:.3f} | {r:.3f} | "
                     f"{m['tokens'][0]:.3f} | {speed} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, write bench/out/extract.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.extract", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="folder holding scrapinghub-aeb/ (default: %(default)s)")
    args = parser.parse_args(argv)
    aeb = args.data / "scrapinghub-aeb"
    if not (aeb / "ground-truth.json").is_file():
        print(f"benchmark data not found: {aeb / 'ground-truth.json'} "
              "(pass --data DIR holding scrapinghub-aeb/)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.ERROR)
    truth_full = json.loads((aeb / "ground-truth.json").read_text("utf-8"))
    truth = {k: v.get("articleBody", "") for k, v in truth_full.items()}
    rows = []
    ours, speed = run_ours(aeb / "html", truth_full)
    rows.append(("tracuu (crawl.extract)", "this tree", evaluate(truth, ours), f"{speed:.1f}"))
    for name in PUBLISHED:
        path = aeb / "output" / f"{name}.json"
        if not path.is_file():
            continue
        data = json.loads(path.read_text("utf-8"))
        outputs = data.get("output", data)
        pred = {k: v.get("articleBody", "") or "" for k, v in outputs.items()}
        rows.append((f"{name} (published)", str(data.get("version", "?")),
                     evaluate(truth, pred), "–"))
    text = (f"Body extraction on scrapinghub-aeb ({len(truth)} pages), "
            f"`python -m bench.extract`\n\n{table(rows)}\n")
    print(text)
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "extract.md").write_text(text, "utf-8")
    best = max(m["shingles"][0] for name, _, m, _ in rows[1:]) if len(rows) > 1 else 0.0
    ours_f1 = rows[0][2]["shingles"][0]
    print(f"ours F1 {ours_f1:.3f} vs best published {best:.3f}: "
          f"{'OK' if ours_f1 >= best else 'BELOW'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
