"""`--tune`: a coordinate search over search/weights.py on the dev split (tracuu only).

It never looks at the test split. Each candidate is a frozen `search.weights.Weights` value
handed to a fresh engine: no module global is ever overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.quality.metrics import score
from bench.quality.queries import Query
from bench.quality.systems import TracuuSystem

# The fields of search.weights.Weights.
WEIGHTS = (
    "fold",
    "exact",
    "title",
    "title_f",
    "bigram",
    "bigram_f",
    "title_bi",
    "title_bi_f",
    "accented_fold_scale",
)
# The weights a coordinate search moves, and the values it tries (the others stay as they are).
TUNE_GRID = {
    "title": (0.5, 1.0, 2.0, 4.0),
    "title_bi": (1.0, 2.0, 4.0),
    "bigram": (1.0, 2.0, 4.0),
    "exact": (0.5, 1.0, 2.0),
    "accented_fold_scale": (0.1, 0.25, 0.5),
}
# tone_swap and nfd queries reach the engine as the same text as tone_orig and exact (NFC and
# tone normalisation come first) and document numbers are single terms: none moves with weights.
TUNE_TYPES = ("exact", "no_diacritics", "abbrev")


def current_weights() -> dict[str, float]:
    """The default weights (search.weights.DEFAULT_WEIGHTS) as a dict."""
    from search.weights import DEFAULT_WEIGHTS

    return {n: float(getattr(DEFAULT_WEIGHTS, n)) for n in WEIGHTS}


def apply_weights(system: TracuuSystem, weights: dict[str, float]) -> None:
    """Give the system a fresh engine ranking with these weights (no cached result survives)."""
    from search.weights import Weights

    system.reset(Weights(**weights))


def objective(r: dict[str, tuple[float, float, int]]) -> float:
    """What tuning maximises: mean MRR of the title types, minus the missed accent-free gap."""
    m = {k: v[0] for k, v in r.items()}
    base = sum(m[t] for t in TUNE_TYPES) / len(TUNE_TYPES)
    return base - max(0.0, m["exact"] - m["no_diacritics"] - 0.04)


def tune(system: TracuuSystem, queries: Sequence[Query], rounds: int = 1) -> dict[str, float]:
    """The best weights found on the dev split; the system is left ranking with them."""
    dev = [q for q in queries if q.split == "dev" and q.type in TUNE_TYPES]
    cache: dict[tuple[float, ...], float] = {}

    def evaluate(w: dict[str, float]) -> float:
        key = tuple(w[n] for n in WEIGHTS)
        if key not in cache:
            apply_weights(system, w)
            r = score(dev, system.run)
            cache[key] = objective(r)
            print(
                f"  {cache[key]:.4f}  "
                + " ".join(f"{t}={r[t][0]:.3f}" for t in TUNE_TYPES if t in r)
                + "  "
                + " ".join(f"{n}={w[n]:g}" for n in WEIGHTS),
                flush=True,
            )
        return cache[key]

    best = current_weights()
    best_score = evaluate(best)
    for _ in range(rounds):
        improved = False
        for n, grid in TUNE_GRID.items():
            for v in grid:
                cand = {**best, n: v}
                s = evaluate(cand)
                if s > best_score + 1e-9:
                    best, best_score, improved = cand, s, True
        if not improved:
            break
    apply_weights(system, best)
    return best
