"""'Did you mean' and type-ahead from the index's own vocabulary.

- Diacritics restoration: 'dan van huyen uy' → 'dân vận huyện ủy'. Each folded syllable has a
  few accented forms in the index; the best sequence maximizes unigram document frequencies plus
  (weighted more) bigram frequencies, by dynamic programming over the candidates.
- Typos: a syllable absent from the folded vocabulary is replaced by its most frequent neighbour
  at edit distance one.
- Completions: search.completion (abbreviations and numbers shown as written(), below).
"""

from __future__ import annotations

import math
import re
from functools import cache
from importlib import resources

from indexer.lexicon import abbreviations, syllables
from indexer.text import canonical, fold, has_diacritics, spans
from search.query import ParsedQuery
from search.vocab import FUNCTION_SYLLABLES, Vocabulary


@cache
def _written_forms() -> dict[str, str]:
    """Abbreviations as written ('ubnd' → 'UBND', 'ttg' → 'TTg'), keyed by the indexed token."""
    data = resources.files("indexer").joinpath("data/abbreviations.tsv").read_text("utf-8")
    out = {}
    for line in data.splitlines():
        raw = line.partition("\t")[0].strip()
        if raw and not raw.startswith("#") and raw.isalnum():
            out[raw.lower()] = raw
    return out


def written(token: str) -> str:
    """An indexed (lower-case) token as people write it: UBND, KT, 123/KH-UBND, 45/2021/NĐ-CP;
    syllables stay as they are."""
    if token.isdigit():
        return token
    if any(c.isdigit() for c in token):  # a document number
        parts = re.split(r"([/\-])", token)
        return "".join(_written_forms().get(p, p.upper()) for p in parts)
    if token in syllables():
        return token
    return _written_forms().get(token, token)
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _ALPHABET}
    inserts = {a + c + b for a, b in splits for c in _ALPHABET}
    return deletes | transposes | replaces | inserts


class Speller:
    """Suggestions over one index generation's vocabulary."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.view = vocab.view
        self.forms = vocab.forms
        self.folded_df = vocab.folded_df
        self.unigram_df = vocab.unigram_df

    def _correct(self, folded: str) -> str:
        # Syllables are at most 7 letters: longer tokens are names or noise, not typos.
        if folded in self.folded_df or not 2 <= len(folded) <= 10 or not folded.isalpha():
            return folded
        best = max(
            (w for w in _edits1(folded) if w in self.folded_df),
            key=lambda w: self.folded_df[w],
            default=None,
        )
        return best or folded

    def restore(self, tokens: list[str]) -> list[str]:
        """The likeliest accented sequence for folded tokens (Viterbi over index forms)."""
        cands = [self.forms.get(fold(t), [t]) or [t] for t in tokens]
        # best[i][w] = (score, path)
        prev: dict[str, tuple[float, list[str]]] = {
            w: (math.log1p(self.unigram_df.get(w, 0)), [w]) for w in cands[0]
        }
        for i in range(1, len(cands)):
            pairs = [f"{p} {w}" for w in cands[i] for p in prev]  # looked up all at once
            bigram = dict(zip(pairs, self.view.doc_frequencies("text_bi", pairs), strict=True))
            cur: dict[str, tuple[float, list[str]]] = {}
            for w in cands[i]:
                uni = math.log1p(self.unigram_df.get(w, 0))
                cur[w] = max(
                    (
                        (score + uni + 3.0 * math.log1p(bigram[f"{p} {w}"]), [*path, w])
                        for p, (score, path) in prev.items()
                    ),
                    key=lambda x: x[0],
                )
            prev = cur
        return max(prev.values(), key=lambda x: x[0])[1]

    def suggest(self, q: str, pq: ParsedQuery) -> str | None:
        """A better query than q, or None."""
        words = [s.text for s in spans(canonical(q))]
        numbers = ("docnum", "date", "docpart")
        if not words or len(words) > 12 or any(u.kind in numbers for u in pq.units):
            return None
        # An abbreviation typed as one (HU, UBND) is not a syllable missing its diacritics.
        keys = abbreviations().expansions
        abbr = {
            t
            for u in pq.units
            if u.kind == "abbr" and fold("".join(u.alternatives[0])) in keys
            for t in u.alternatives[0]
        }
        if set(words) <= abbr:
            return None
        corrected = [self._correct(fold(w)) if fold(w) == w else w for w in words]
        typo = corrected != words
        if has_diacritics(" ".join(words)) and not typo:
            return None
        restored = self.restore(corrected)
        if restored == words:
            return None
        if not typo and all(self.unigram_df.get(w, 0) == 0 for w in restored):
            return None
        # Two syllables typed bare, restored as a pair holding a function syllable ('dan van' →
        # 'dân vẫn', as in 'người dân vẫn …'): two words, rarely the word meant (as meant()).
        if not typo and len(words) == 2 and FUNCTION_SYLLABLES & set(restored):
            return None
        return " ".join(restored)

    def meant(self, pq: ParsedQuery) -> str | None:
        """The accented words a query typed without diacritics stands for, when the index is
        confident (one likely accenting of each pair, Vocabulary.likely): 'dan van' → 'dân vận'."""
        if len(pq.runs) != 1 or any(u.kind != "word" for u in pq.units):
            return None
        run = pq.runs[0]
        if not any(fold(t) == t for t in run):
            return None
        out = list(run)
        for i in range(len(run) - 1):
            typed = (out[i], run[i + 1])
            found = [
                p
                for p, _ in self.vocab.pair_variants(*typed)
                if all(t == w or fold(t) == t for t, w in zip(typed, p.split(" "), strict=True))
            ]
            likely = self.vocab.likely(found)
            # A pair holding a function syllable ('dân vẫn') is two words, not the word the user
            # meant: say nothing rather than 'showing results for dân vẫn'.
            if len(likely) != 1 or FUNCTION_SYLLABLES & set(likely[0].split(" ")):
                return None
            out[i : i + 2] = likely[0].split(" ")
        return " ".join(out) if out != list(run) else None
