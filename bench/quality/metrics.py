"""Scoring a ranked list against the relevant documents: MRR@10, recall@10, precision@10."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

K = 10


def reciprocal_rank(ranked: Sequence[str], relevant: Iterable[str], k: int = K) -> float:
    rel = set(relevant)
    for i, doc in enumerate(ranked[:k]):
        if doc in rel:
            return 1.0 / (i + 1)
    return 0.0


def recall_at(ranked: Sequence[str], relevant: Iterable[str], k: int = K) -> float:
    rel = set(relevant)
    if not rel:
        return 0.0
    return len(rel & set(ranked[:k])) / min(k, len(rel))


def precision_at(ranked: Sequence[str], relevant: Iterable[str], k: int = K) -> float:
    """Relevant hits in the top k over min(k, |relevant|): 1.0 is the best any system can do,
    also when fewer than k documents are relevant (then it equals recall@k)."""
    rel = set(relevant)
    if not rel:
        return 0.0
    return sum(1 for d in ranked[:k] if d in rel) / min(k, len(rel))


def first_hit_right(ranked: Sequence[str], relevant: Iterable[str]) -> float:
    return 1.0 if ranked and ranked[0] in set(relevant) else 0.0


class Judged(Protocol):
    """A query with its set name and relevant documents."""

    @property
    def type(self) -> str: ...
    @property
    def q(self) -> str: ...
    @property
    def relevant(self) -> list[str]: ...


def score(
    queries: Sequence[Judged], run: Callable[[str], list[str]]
) -> dict[str, tuple[float, float, int]]:
    """Per type: (MRR@10, recall@10, number of queries)."""
    acc: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for q in queries:
        ranked = run(q.q)
        acc[q.type].append((reciprocal_rank(ranked, q.relevant), recall_at(ranked, q.relevant)))
    return {
        t: (sum(a for a, _ in v) / len(v), sum(b for _, b in v) / len(v), len(v))
        for t, v in acc.items()
    }


@dataclass(frozen=True)
class ShortScore:
    """One set's figures: means over its queries."""

    precision: float  # precision@10 against min(10, |relevant|)
    first: float  # share of queries whose first hit is relevant
    mrr: float  # MRR@10
    n: int


def score_short(
    queries: Sequence[Judged],
    run: Callable[[str], list[str]],
    key: Callable[[Judged], str] = lambda q: q.type,
) -> tuple[dict[str, ShortScore], dict[str, list[str]]]:
    """Per group (default: per set) the figures, and every query's ranked ids (for examples)."""
    acc: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    ranked_by_q: dict[str, list[str]] = {}
    for q in queries:
        ranked = ranked_by_q.get(q.q)
        if ranked is None:
            ranked = ranked_by_q[q.q] = run(q.q)
        acc[key(q)].append(
            (
                precision_at(ranked, q.relevant),
                first_hit_right(ranked, q.relevant),
                reciprocal_rank(ranked, q.relevant),
            )
        )
    out = {
        g: ShortScore(
            sum(p for p, _, _ in v) / len(v),
            sum(f for _, f, _ in v) / len(v),
            sum(m for _, _, m in v) / len(v),
            len(v),
        )
        for g, v in acc.items()
    }
    return out, ranked_by_q
