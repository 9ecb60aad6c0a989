"""Vietnamese text rules, pure functions shared by indexing, querying and highlighting.

The rules (DESIGN.md, "Vietnamese text rules"):
1. NFC.
2. One tone-placement style for open syllables: oà→òa, oé→óe, uỷ→ủy (the "old" style), never
   touching quý (qu is a consonant), hoàn (closed syllable) or khuỷu (uy+u).
3. Tokens are lower-cased syllables; document numbers (123/KH-UBND) and dates stay whole.
4. fold(): no diacritics, đ→d, for queries typed without accents.
5. Adjacent syllables (bigrams) inside one clause, for compound words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, pairwise

_TONE_MARKS = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}  # huyền sắc hỏi ngã nặng


def _build_fold_table() -> list[int | str]:
    table: dict[int, int | str] = {}
    for cp in range(0x00C0, 0x1EFF + 1):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii() and base.isalpha():
            table[cp] = base
    table[ord("đ")] = "d"
    table[ord("Đ")] = "D"
    # Lone combining marks left by broken NFD input fold to nothing.
    for cp in range(0x0300, 0x036F + 1):
        table[cp] = ""
    # A list indexed by code point (past its end: unchanged) translates twice as fast as a dict.
    return [table.get(cp, cp) for cp in range(max(table) + 1)]


_FOLD_TABLE = _build_fold_table()


def fold(text: str) -> str:
    """Remove Vietnamese diacritics (đ→d); keeps case and length for NFC input letters."""
    return text.translate(_FOLD_TABLE)


@lru_cache(maxsize=1)
def _fold_lower_table() -> list[int | str]:
    return [fold(chr(cp).lower()) for cp in range(0x10000)]


def fold_lower(text: str) -> str:
    """fold(text.lower()) in one pass (lower() per character: no final-sigma rule)."""
    return text.translate(_fold_lower_table())


def _move_tone(pair: str) -> str:
    """'oà' → 'òa': take the tone mark off the second vowel and put it on the first."""
    first, second = pair[0], pair[1]
    decomposed = unicodedata.normalize("NFD", second)
    tone = "".join(c for c in decomposed if c in _TONE_MARKS)
    bare = "".join(c for c in decomposed if c not in _TONE_MARKS)
    return unicodedata.normalize("NFC", first + tone) + unicodedata.normalize("NFC", bare)


def _toned(bases: str) -> str:
    out = []
    for base in bases:
        for mark in _TONE_MARKS:
            out.append(unicodedata.normalize("NFC", base + mark))
    return "".join(out)


# oa, oe, uy at the very end of a syllable, tone written on the second vowel ("new" style).
# Not after q (quý: "qu" is the consonant) and not followed by a letter (hoàn, khuỷu, hoài).
_TONE_STYLE = re.compile(
    "(?<![qQ])([oO][" + _toned("aAeE") + "]|[uU][" + _toned("yY") + "])(?![^\\W\\d_])"
)
_TONE_MAP = {
    m: _move_tone(m) for first in "oO" for second in _toned("aAeE") for m in [first + second]
} | {m: _move_tone(m) for first in "uU" for second in _toned("yY") for m in [first + second]}


def normalize(text: str) -> str:
    """NFC plus one tone-placement style; keeps case. Same length as the NFC text."""
    text = unicodedata.normalize("NFC", text)
    return _TONE_STYLE.sub(lambda m: _TONE_MAP[m.group(0)], text)


# A document number: digits, then /- separated parts of which at least one holds letters:
# 123/KH-UBND, 45/2021/QĐ-UBND, 05-CT/HU, 12/NQ-HĐND, 1234/QĐ-TTg, 35-NQ/TW, 01/2020/TT-BTC.
_L = "a-zA-ZđĐ"
_DOCNUM = rf"\d+(?:[/\-–]\d+)*[/\-–][{_L}][{_L}\d]*(?:(?:[/\-–]|&)[{_L}\d]+)*"
_DATE = r"\d{1,2}/\d{1,2}/\d{4}"
_WORD = r"[^\W_]+"
_TOKEN_RE = re.compile(rf"(?P<docnum>{_DOCNUM})|(?P<date>{_DATE})(?![/\w])|(?P<word>{_WORD})")
# Clause breaks: adjacent syllables across these are not a compound. Sentence punctuation counts
# only when followed by a space ("TP.HCM", "1.000" stay joined); a hyphen or slash never breaks
# ("kinh tế - xã hội" is still one phrase for bigram matching).
_CLAUSE_BREAK_RE = re.compile(r"[.,;:!?…](?=\s|$)|[()\[\]{}\"“”‘’«»|\n\r\t]")
CLAUSE_BREAK_RE = _CLAUSE_BREAK_RE  # search.phrases finds the clauses of stored text with it


@dataclass(frozen=True, slots=True)
class Span:
    """One token: its canonical text, its character offsets in the input, its clause number."""

    text: str
    start: int
    end: int
    clause: int
    kind: str  # "word", "docnum" or "date"


def _canon_docnum(raw: str) -> str:
    return raw.replace("–", "-").lower()


def _canon_date(raw: str) -> str:
    d, m, y = raw.split("/")
    return f"{int(d):02d}/{int(m):02d}/{y}"


def spans(text: str) -> list[Span]:
    """Tokenize normalized text into spans with offsets (offsets index into `text`)."""
    out: list[Span] = []
    clause = 0
    last_end = 0
    for m in _TOKEN_RE.finditer(text):
        # endpos one past the gap, so "(?=\s|$)" sees the next letter, not a fake end.
        if _CLAUSE_BREAK_RE.search(text, last_end, m.start() + 1):
            clause += 1
        last_end = m.end()
        kind = m.lastgroup or "word"
        raw = m.group(0)
        if kind == "docnum":
            tok = _canon_docnum(raw)
        elif kind == "date":
            tok = _canon_date(raw)
        else:
            tok = raw.lower()
        out.append(Span(tok, m.start(), m.end(), clause, kind))
        if kind != "word":
            clause += 1  # a number is not half of a compound word
    return out


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the index needs from one text: exact and folded tokens and bigrams."""

    tokens: tuple[str, ...]
    folded: tuple[str, ...]
    bigrams: tuple[str, ...]
    folded_bigrams: tuple[str, ...]


def canonical(text: str) -> str:
    """The form every token is read from: NFC, one tone style, lower case."""
    return normalize(text).lower()


def _pairs(run: list[str]) -> map[str]:
    """'a b' for every two adjacent tokens of one clause."""
    return map(" ".join, pairwise(run))


_DIGIT_RE = re.compile(r"\d")
_WORD_RE = re.compile(_WORD)


def _runs(text: str) -> list[list[str]]:
    """Tokens of canonical text grouped by clause, as spans() groups them, without offsets.

    The indexing path: a clause-break split first, then one finditer per clause, is several
    times faster than spans()'s break search between every two tokens. A clause without a
    digit holds neither a document number nor a date (both start with one): only words, found
    by one findall.
    """
    runs: list[list[str]] = []
    for part in _CLAUSE_BREAK_RE.split(text):
        if not _DIGIT_RE.search(part):
            words = _WORD_RE.findall(part)
            if words:
                runs.append(words)
            continue
        run: list[str] = []
        for m in _TOKEN_RE.finditer(part):
            kind = m.lastgroup
            if kind == "word":
                run.append(m.group(0))
                continue
            run.append(_canon_docnum(m.group(0)) if kind == "docnum" else _canon_date(m.group(0)))
            runs.append(run)  # a number is not half of a compound word
            run = []
        if run:
            runs.append(run)
    return runs


@lru_cache(maxsize=16)
def analyze(text: str) -> Analysis:
    """Tokens, folded tokens, bigrams and folded bigrams of a text (cached: several fields ask)."""
    runs = _runs(canonical(text))
    # Tokens hold no space and no newline: fold every run at once, split back (C-level work).
    folded_runs = [r.split(" ") for r in fold("\n".join(map(" ".join, runs))).split("\n")]
    if not runs:
        folded_runs = []
    return Analysis(
        tuple(chain.from_iterable(runs)),
        tuple(chain.from_iterable(folded_runs)),
        tuple(chain.from_iterable(_pairs(run) for run in runs)),
        tuple(chain.from_iterable(_pairs(run) for run in folded_runs)),
    )


def has_diacritics(text: str) -> bool:
    """True when folding changes the text (it carries Vietnamese marks or đ)."""
    return fold(text) != text
