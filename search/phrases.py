"""Whole phrase, then same clause: tiers the index cannot tell, read from the top hits' text. Pure.

The index keeps adjacent pairs but no positions, so for 'nhà văn hóa' a title holding 'Nhà văn'
and 'Văn hóa' apart meets every pair requirement (search.tiers) and its title weight ranks it
first; and for 'dân vận' a text holding 'dân' and 'vận' in one clause is closer to what was meant
than one holding them paragraphs apart. For a query of two or three syllables the first WINDOW
hits are re-ordered by what their stored text holds, best level first, the order kept within a
level (tiers and BM25F decide there):

3. each typed run whole: its syllables separated by spaces only (one clause), with the diacritics
   typed (a syllable typed without diacritics: any accenting; the bench's relevance rule) — and a
   run typed with no diacritics at all written with some ('ngay lap tuc' means 'ngay lập tức'; a
   page written without diacritics is rarely what was looked for);
2. each run whole, written without diacritics as typed;
1. each run's syllables within one clause;
0. none of these.

A document of level 2 or 3 holds every pair of its runs as typed, so it is in the strict tier:
moving it up the window never lifts it over a better tier. Cost: one SQLite read of WINDOW
articles (the page's snippets reuse it) and a few regular expressions over their text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from indexer.text import CLAUSE_BREAK_RE, canonical, fold, fold_lower

if TYPE_CHECKING:
    from search.query import ParsedQuery

WINDOW = 20  # hits re-ordered (a deeper page keeps the order of the index)
# Syllables: a longer query is a title fragment, ranked well by its pairs alone.
LONGEST = 3
_GAP = "[^\\S\\n\\r\\t]+"  # spaces, not a clause break (tab and line breaks are)


def runs_of(pq: ParsedQuery) -> tuple[tuple[str, ...], ...]:
    """The runs to look for in the top hits: those of a query of two or three plain syllables."""
    if not pq.runs or any(u.kind not in ("word", "phrase") for u in pq.units):
        return ()
    if sum(len(u.alternatives[0]) for u in pq.units) > LONGEST:
        return ()
    return pq.runs if max(map(len, pq.runs)) >= 2 else ()


_MARK = re.compile("[\u0300-\u036f]")  # combining marks left in text NFC cannot compose


def _word(folded: str) -> re.Pattern[str]:
    """A folded syllable or run ending a word; _whole_words checks the start (a lookbehind first
    would keep the regular expression engine from skipping ahead to the literal)."""
    return re.compile(folded + r"(?![^\W_])")


def _whole_words(pattern: re.Pattern[str], folded: str) -> Iterator[re.Match[str]]:
    for m in pattern.finditer(folded):
        if not m.start() or not folded[m.start() - 1].isalnum():
            yield m


class Phrases:
    """The runs of one query, compiled once, and the level of a text (see the module doc).

    Texts are searched folded (fold_lower keeps the length of NFC text, so a match's offsets
    point into the text as written), then each match is checked against the diacritics typed.
    """

    def __init__(self, runs: Sequence[tuple[str, ...]]) -> None:
        self.runs = [tuple(canonical(t) for t in run) for run in runs]
        self._whole = [_word(_GAP.join(re.escape(fold(t)) for t in run)) for run in self.runs]
        self._words = {t: _word(re.escape(fold(t))) for run in self.runs for t in run}

    @staticmethod
    def _as_typed(typed: str, written: str) -> bool:
        """A syllable of the text matches a typed one: diacritics as typed, or typed without."""
        return typed == written or typed == fold(typed)

    def level(self, text: str) -> int:
        """3: every run whole as meant, 2: whole, 1: within one clause; 0: none of these."""
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        folded = fold_lower(text)
        if len(folded) != len(text):
            text = _MARK.sub("", text)
            folded = fold_lower(text)
        whole = [self._whole_in(text, folded, i) for i in range(len(self.runs))]
        if all(whole):
            return 3 if all(w == 2 for w in whole) else 2
        breaks = [m.start() for m in CLAUSE_BREAK_RE.finditer(folded)]
        return 1 if all(self._clause_in(text, folded, run, breaks) for run in self.runs) else 0

    def _whole_in(self, text: str, folded: str, i: int) -> int:
        """2: the run whole as meant; 1: only written without diacritics as typed; 0: no."""
        run = self.runs[i]
        unaccented = fold(" ".join(run)) == " ".join(run)
        found = 0
        for m in _whole_words(self._whole[i], folded):
            written = canonical(text[m.start() : m.end()]).split()
            if len(written) == len(run) and all(map(self._as_typed, run, written)):
                if not unaccented or written != list(run):
                    return 2
                found = 1
        return found

    def _clause_in(self, text: str, folded: str, run: tuple[str, ...], breaks: list[int]) -> bool:
        """Some clause holds every syllable of the run (as typed)."""
        clauses: set[int] | None = None
        for typed in run:
            any_accenting = typed == fold(typed)
            found = {
                bisect_right(breaks, m.start())
                for m in _whole_words(self._words[typed], folded)
                if any_accenting or typed == canonical(text[m.start() : m.end()])
            }
            clauses = found if clauses is None else clauses & found
            if not clauses:
                return False
        return True

    def order(self, texts: Sequence[str]) -> list[int]:
        """Indexes of the texts, best level first, the given order kept within a level."""
        levels = [self.level(t) for t in texts]
        return sorted(range(len(texts)), key=lambda i: -levels[i])
