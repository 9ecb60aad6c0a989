"""The index's vocabulary, read once per index generation: accented forms of each folded syllable.

Body bigrams are indexed exact only; a typed pair ('dan van' or 'dân vận') is matched through the
exact pairs the index holds whose folded form is the same ('dân vận', 'dân vẫn', 'dân văn').
Their doc frequencies come from the index view's in-memory term tables, all candidates of a pair
in one lookup.
"""

from __future__ import annotations

import math
from collections import defaultdict
from itertools import product

from indexer.text import fold
from indexer.whoosh_seam import IndexView

MAX_FORMS = 8
LIKELY_SHARE = 0.2  # an accenting counts as meant when it scores this share of the best one


class Vocabulary:
    """Forms and document frequencies of the 'text' field of one index generation."""

    def __init__(self, view: IndexView) -> None:
        self.view = view
        forms: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for word, df in view.terms("text"):
            forms[fold(word)].append((df, word))
        self.forms = {
            k: [w for _, w in sorted(v, reverse=True)[:MAX_FORMS]] for k, v in forms.items()
        }
        self.folded_df = {k: sum(df for df, _ in v) for k, v in forms.items()}
        self.unigram_df = {w: df for v in forms.values() for df, w in v}

    def pair_variants(self, a: str, b: str) -> list[tuple[str, int]]:
        """Exact pairs in the index that fold like 'a b', with their document frequencies."""
        candidates = [
            f"{x} {y}"
            for x, y in product(self.forms.get(fold(a), [a]), self.forms.get(fold(b), [b]))
        ]
        dfs = self.view.doc_frequencies("text_bi", candidates)
        return [(pair, df) for pair, df in zip(candidates, dfs, strict=True) if df]

    def association(self, pairs: list[str]) -> list[tuple[str, float]]:
        """How likely each accented pair is the word meant: its frequency times how much more
        often its syllables meet than chance would have them (positive PMI), from the index."""
        n = max(self.view.doc_count, 1)
        out = []
        for pair, df in zip(pairs, self.view.doc_frequencies("text_bi", pairs), strict=True):
            a, b = pair.split(" ", 1)
            da, db = self.unigram_df.get(a, 0), self.unigram_df.get(b, 0)
            if not (df and da and db):
                out.append((pair, 0.0))
                continue
            pmi = math.log(df * n / (da * db))
            out.append((pair, df * max(pmi, 0.0)))
        return out

    def likely(self, pairs: list[str]) -> list[str]:
        """The pairs (one folded spelling, several accentings) a user most likely meant."""
        scored = self.association(pairs)
        best = max((s for _, s in scored), default=0.0)
        if best <= 0:
            return []
        return [p for p, s in scored if s >= LIKELY_SHARE * best]
