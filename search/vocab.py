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
LIKELY_SHARE = 0.4  # an accenting counts as meant when it scores this share of the best one
# Function syllables (adverbs, particles, copulas, pronouns, classifiers): 'người dân vẫn …' makes
# 'dân vẫn' frequent without making it a word, so a pair holding one is rarely what 'dan van'
# meant. Written for tracuu (no word list is shipped).
_FUNCTION = (
    "vẫn đã đang sẽ cũng còn là của và có được bị thì mà này đó kia với cho các những một "
    "không chưa rất đều lại nên nữa mới vừa hãy đừng chỉ cứ ở tại từ vì nếu nhưng hay hoặc "
    "theo đến tới khi sau trước trong ngoài trên dưới ai gì nào đâu sao thế ấy họ tôi anh chị "
    "em ông bà nó chúng ta mình thể vào về ra lên xuống để do bởi rằng cả mỗi từng"
)
FUNCTION_SYLLABLES = frozenset(_FUNCTION.split())
FUNCTION_PENALTY = 0.1


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
        self._margins: dict[str, int] = {}

    def pair_variants(self, a: str, b: str) -> list[tuple[str, int]]:
        """Exact pairs in the index that fold like 'a b', with their document frequencies."""
        candidates = [
            f"{x} {y}"
            for x, y in product(self.forms.get(fold(a), [a]), self.forms.get(fold(b), [b]))
        ]
        dfs = self.view.doc_frequencies("text_bi", candidates)
        return [(pair, df) for pair, df in zip(candidates, dfs, strict=True) if df]

    def margin(self, word: str) -> int:
        """How often the word starts an adjacent pair (the summed frequencies of 'word x')."""
        found = self._margins.get(word)
        if found is None:
            found = self.view.margin("text_bi", word)  # per segment, no prefix scan
            self._margins[word] = found
        return found

    def association(self, pairs: list[str]) -> list[tuple[str, float]]:
        """How likely each accented pair is the word meant: its frequency times how much more
        often its syllables meet than their frequencies in pairs predict (positive PMI)."""
        total = max(self.view.field_total("text_bi"), 1.0)
        out = []
        for pair, df in zip(pairs, self.view.doc_frequencies("text_bi", pairs), strict=True):
            if not df:
                out.append((pair, 0.0))
                continue
            a, b = pair.split(" ", 1)
            ma, mb = max(self.margin(a), df), max(self.margin(b), df)
            score = df * max(math.log(df * total / (ma * mb)), 0.0)
            if a in FUNCTION_SYLLABLES or b in FUNCTION_SYLLABLES:
                score *= FUNCTION_PENALTY
            out.append((pair, score))
        return out

    def likely(self, pairs: list[str]) -> list[str]:
        """The pairs (one folded spelling, several accentings) a user most likely meant."""
        scored = self.association(pairs)
        best = max((s for _, s in scored), default=0.0)
        if best <= 0:
            return []
        ranked = sorted(scored, key=lambda ps: -ps[1])  # best first
        return [p for p, s in ranked if s >= LIKELY_SHARE * best]
