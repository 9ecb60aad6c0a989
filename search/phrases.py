"""Whole phrase, then same clause: tiers the index cannot tell, read from the top hits' text. Pure.

The index keeps adjacent pairs but no positions, so for 'nhà văn hóa' a title holding 'Nhà văn'
and 'Văn hóa' apart meets every pair requirement (search.tiers) and its title weight ranks it
first. For a query of three syllables the first WINDOW hits are re-ordered by what their stored
text holds, best level first, the order kept within a level (tiers and BM25F decide there):

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
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from indexer.text import CLAUSE_BREAK_RE, canonical, fold

if TYPE_CHECKING:
    from search.query import ParsedQuery

WINDOW = 20  # hits re-ordered (a deeper page keeps the order of the index)
# Syllables: a longer query is a title fragment, ranked well by its pairs alone; a shorter one is a
# pair, which the index tells adjacent already (README: what the same-clause level would cost it).
LONGEST = 3
_GAP = "[^\\S\\n\\r\\t]+"  # spaces, not a clause break (tab and line breaks are)


def runs_of(pq: ParsedQuery) -> tuple[tuple[str, ...], ...]:
    """The runs to look for in the top hits: those of a query of three plain syllables."""
    if not pq.runs or any(u.kind not in ("word", "phrase") for u in pq.units):
        return ()
    if sum(len(u.alternatives[0]) for u in pq.units) > LONGEST:
        return ()
    return pq.runs if max(map(len, pq.runs)) == LONGEST else ()


# The marks of Vietnamese letters: grave, acute, tilde, hook, dot below; circumflex, breve, horn.
_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")


@cache
def _letters() -> dict[str, str]:
    """Each ASCII letter → the Vietnamese letters folding to it, both cases ('d' → 'DdĐđ')."""
    out: dict[str, set[str]] = {}
    for cp in range(0x41, 0x1EFF + 1):
        ch = chr(cp)
        parts = unicodedata.normalize("NFD", ch)
        base, marks = parts[0], set(parts[1:])
        if ch.isalpha() and base.isascii() and marks <= _MARKS and len(parts) <= 3:
            out.setdefault(base.lower(), set()).add(ch)
    out["d"].update("đĐ")
    return {k: "".join(sorted(v)) for k, v in out.items()}


def _any_accenting(syllable: str) -> str:
    """A pattern matching the syllable with any diacritics, in any case, in NFC text."""
    letters = _letters()
    return "".join(
        f"[{letters[c]}]" if c in letters else re.escape(c) for c in fold(syllable).lower()
    )


@lru_cache(maxsize=256)
def _word(pattern: str) -> re.Pattern[str]:
    """The pattern as whole words; the start is checked by _starts_word (a lookbehind first
    would stop the regular expression engine skipping ahead to the first letter's set)."""
    return re.compile(pattern + r"(?![^\W_])")


def _starts_word(text: str, m: re.Match[str]) -> bool:
    start = m.start()
    return not start or not text[start - 1].isalnum()


class Phrases:
    """The runs of one query, compiled once, and the level of a text (see the module doc)."""

    def __init__(self, runs: Sequence[tuple[str, ...]]) -> None:
        self.runs = [tuple(canonical(t) for t in run) for run in runs]
        self._whole = [_word(_GAP.join(map(_any_accenting, run))) for run in self.runs]
        self._words = {t: _word(_any_accenting(t)) for run in self.runs for t in run}

    @staticmethod
    def _as_typed(typed: str, written: str) -> bool:
        """A syllable of the text matches a typed one: diacritics as typed, or typed without."""
        return typed == written or typed == fold(typed)

    def level(self, text: str) -> int:
        """3: every run whole as meant, 2: whole, 1: within one clause; 0: none of these."""
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        whole = [self._whole_in(text, i) for i in range(len(self.runs))]
        if all(whole):
            return 3 if all(w == 2 for w in whole) else 2
        breaks = [m.start() for m in CLAUSE_BREAK_RE.finditer(text)]
        return 1 if all(self._clause_in(text, run, breaks) for run in self.runs) else 0

    def _whole_in(self, text: str, i: int) -> int:
        """2: the run whole as meant; 1: only written without diacritics as typed; 0: no."""
        run = self.runs[i]
        unaccented = fold(" ".join(run)) == " ".join(run)
        found = 0
        for m in self._whole[i].finditer(text):
            if not _starts_word(text, m):
                continue
            written = canonical(m.group(0)).split()
            if len(written) == len(run) and all(map(self._as_typed, run, written)):
                if not unaccented or written != list(run):
                    return 2
                found = 1
        return found

    def _clause_in(self, text: str, run: tuple[str, ...], breaks: list[int]) -> bool:
        """Some clause holds every syllable of the run (as typed)."""
        clauses: set[int] | None = None
        for typed in run:
            any_accenting = typed == fold(typed)
            found = {
                bisect_right(breaks, m.start())
                for m in self._words[typed].finditer(text)
                if _starts_word(text, m) and (any_accenting or typed == canonical(m.group(0)))
            }
            clauses = found if clauses is None else clauses & found
            if not clauses:
                return False
        return True

    def order(self, texts: Sequence[str]) -> list[int]:
        """Indexes of the texts, best level first, the given order kept within a level."""
        levels = [self.level(t) for t in texts]
        return sorted(range(len(texts)), key=lambda i: -levels[i])
