"""The query mix of `python -m bench.scale`: bench.perf's five kinds plus filters, dates, sort.

Drawn (seeded) from articles present at every size (the first ones of the corpus), so the same
requests run against 45,000, 180,000 and 450,000 articles and the curve compares like with like.
Kinds added to bench/perf_queries.py's exact, folded, docnum, word1 and word6:
    short     1–3 consecutive syllables of a title, lower case (what most visitors type)
    site      a 1–2 syllable query filtered to one former district (site=)
    dates     a 1–2 syllable query within a 1–90 day window (from=, to=)
    newest    a 1–2 syllable query sorted by date (sort=newest)
    docno     an article's own doc_number, as written or folded and lower case
Every request is distinct (the engine caches results per request).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bench.perf_queries import WARMUP, build_mix
from indexer.text import fold

EXTRA = ("short", "site", "dates", "newest", "docno")
KINDS = ("exact", "folded", "docnum", "word1", "word6", *EXTRA)


@dataclass(frozen=True)
class Query:
    """One request of the mix: its kind and the /api/search parameters."""

    kind: str
    params: tuple[tuple[str, str], ...] = field(default=())

    @property
    def q(self) -> str:
        return dict(self.params).get("q", "")

    def as_dict(self) -> dict[str, str]:
        return dict(self.params)


def _fragment(rng: random.Random, title: str, low: int, high: int) -> str:
    words = [w for w in title.lower().split() if any(c.isalpha() for c in w)]
    words = [w.strip(",.:;!?\"'()") for w in words]
    words = [w for w in words if w]
    if not words:
        return ""
    n = min(len(words), rng.randint(low, high))
    start = rng.randrange(len(words) - n + 1)
    return " ".join(words[start : start + n])


def build(
    articles: Sequence[Mapping[str, Any]], per_kind: int = 40, seed: int = 20251
) -> list[Query]:
    """per_kind requests of each of the ten kinds (fewer document numbers if there are few)."""
    rng = random.Random(seed)
    base = build_mix([(a["title"], a["body"]) for a in articles], per_kind * 5, seed)
    out = [Query(q.kind, (("q", q.text),)) for q in base]
    seen = {q.params for q in out} | {(("q", w),) for w in WARMUP}

    def take(kind: str, **params: str) -> bool:
        key = tuple(sorted((k, v) for k, v in params.items() if v))
        if (not dict(key).get("q") and kind != "dates") or key in seen:
            return False
        seen.add(key)
        out.append(Query(kind, key))
        return True

    def draw(kind: str, make: Any, pool: Sequence[Mapping[str, Any]] = articles) -> None:
        count = attempts = 0
        while count < per_kind and attempts < per_kind * 50:
            attempts += 1
            if take(kind, **make(rng.choice(pool))):
                count += 1

    draw("short", lambda a: {"q": _fragment(rng, a["title"], 1, 3)})
    draw("site", lambda a: {"q": _fragment(rng, a["title"], 1, 2), "site": a.get("site", "")})
    # a quarter without words: the listing of a period, newest first
    draw(
        "dates",
        lambda a: {
            "q": _fragment(rng, a["title"], 1, 2) if rng.random() < 0.75 else "",
            **_window(rng, a),
        },
    )
    draw("newest", lambda a: {"q": _fragment(rng, a["title"], 1, 2), "sort": "newest"})
    docs = [a for a in articles if a.get("doc_number")]
    if docs:
        draw("docno", lambda a: {"q": _docno(rng, a["doc_number"])}, docs)
    rng.shuffle(out)
    return out


def _docno(rng: random.Random, number: str) -> str:
    return number if rng.random() < 0.7 else fold(number).lower()


def _window(rng: random.Random, article: Mapping[str, Any]) -> dict[str, str]:
    """from/to around the article's own day, 1–90 days wide."""
    try:
        middle = date.fromisoformat(str(article.get("published", ""))[:10])
    except ValueError:
        middle = date(2021, 6, 1)
    half = timedelta(days=rng.randint(0, 45))
    return {"from": (middle - half).isoformat(), "to": (middle + half).isoformat()}
