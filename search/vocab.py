"""The index's vocabulary, read once per index generation: accented forms of each folded syllable.

Body bigrams are indexed exact only; a typed pair ('dan van' or 'dân vận') is matched through the
exact pairs the index holds whose folded form is the same ('dân vận', 'dân vẫn', 'dân văn').
"""

from __future__ import annotations

from collections import defaultdict
from itertools import product
from typing import Any

from indexer.text import fold

MAX_FORMS = 8


def _text(term: Any) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else str(term)


class Vocabulary:
    """Forms and document frequencies of the 'text' field of one reader."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        forms: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for term, info in reader.iter_field("text"):
            word = _text(term)
            forms[fold(word)].append((info.doc_frequency(), word))
        self.forms = {
            k: [w for _, w in sorted(v, reverse=True)[:MAX_FORMS]] for k, v in forms.items()
        }
        self.folded_df = {k: sum(df for df, _ in v) for k, v in forms.items()}
        self.unigram_df = {w: df for v in forms.values() for df, w in v}

    def pair_variants(self, a: str, b: str) -> list[tuple[str, int]]:
        """Exact pairs in the index that fold like 'a b', with their document frequencies."""
        out = []
        for x, y in product(self.forms.get(fold(a), [a]), self.forms.get(fold(b), [b])):
            pair = f"{x} {y}"
            df = int(self.reader.doc_frequency("text_bi", pair))
            if df:
                out.append((pair, df))
        return out

    def bigram_df(self, a: str, b: str) -> int:
        return int(self.reader.doc_frequency("text_bi", f"{a} {b}"))
