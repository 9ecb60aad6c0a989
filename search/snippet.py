"""Snippets: the best passage of a text, HTML-escaped, matched words in <mark>. Pure.

Matches are found with one regular expression over the text as stored, not by tokenizing, lower-
casing or folding the whole body: each letter of a folded term becomes the class of every letter
that folds to it, in either case ('dan' → [dDđĐ][aAàÀáÁ…][nN]), so 'dan van' marks 'Dân vận'
and the body is read once, by the regular expression. Ten snippets per page of results must cost
far less than the search itself.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from html import escape

from indexer.text import fold

WINDOW = 220  # characters shown around the best spot
_WORD_CHARS = r"[^\W_]"


def _folding_to() -> dict[str, str]:
    """Each lower-case folded letter → a regex class of every letter folding to it."""
    letters: dict[str, set[str]] = {}
    for cp in [*range(0x41, 0x5B), *range(0x61, 0x7B), *range(0xC0, 0x1EFF + 1)]:
        ch = chr(cp)
        base = fold(ch).lower()
        if len(base) == 1 and base.isascii() and base.isalpha():
            letters.setdefault(base, set()).add(ch)
    return {b: "[" + "".join(sorted(chars)) + "]" for b, chars in letters.items()}


_CLASS_OF = _folding_to()


def _char_pattern(c: str) -> str:
    """A regex matching one character of a folded term, as it may be written."""
    if c in _CLASS_OF:
        return _CLASS_OF[c]
    if c.upper() != c and len(c.upper()) == 1:
        return f"[{re.escape(c)}{re.escape(c.upper())}]"
    return re.escape(c)


def _in_class(c: str) -> str:
    """_char_pattern(c) as the inside of a character class."""
    pattern = _char_pattern(c)
    return pattern[1:-1] if pattern.startswith("[") else pattern


@lru_cache(maxsize=256)
def _matcher(folded_terms: frozenset[str]) -> re.Pattern[str] | None:
    """Whole-word matches of any of the terms, longest first, accents and case free."""
    terms = sorted((t for t in folded_terms if t), key=len, reverse=True)
    if not terms:
        return None
    by_first: dict[str, list[str]] = {}
    for t in terms:
        by_first.setdefault(t[0], []).append(t[1:])
    # The pattern opens with one character class (the terms' first letters), which lets the
    # regex engine skip every other character in C; a one-character lookbehind then tells
    # which terms can follow. Same matches as '(?<!\w)(?:term|term…)(?!\w)', twice as fast.
    first = "".join(_in_class(f) for f in by_first)
    branches = "|".join(
        f"(?<={_char_pattern(f)})(?:" + "|".join(map(_term_rest, rests)) + ")"
        for f, rests in by_first.items()
    )
    return re.compile(rf"[{first}](?<!{_WORD_CHARS}.)(?:{branches})(?!{_WORD_CHARS})")


def _term_rest(rest: str) -> str:
    return "".join(_char_pattern(c) for c in rest)


def _best_start(matches: list[tuple[int, int, str]], width: int) -> int:
    """Start of the window of `width` chars holding the most distinct matched words."""
    best_start, best_score = matches[0][0], -1.0
    j = 0
    for i, (start, _, _) in enumerate(matches):
        while j < len(matches) and matches[j][1] - start <= width:
            j += 1
        window = matches[i:j]
        distinct = len({key for _, _, key in window})
        # Adjacent matches (a phrase) are worth a little more than scattered ones.
        adjacent = sum(1 for a, b in itertools.pairwise(window) if b[0] - a[1] <= 1)
        score = distinct + 0.5 * adjacent
        if score > best_score:
            best_start, best_score = start, score
    return best_start


def make_snippet(
    text: str, terms: frozenset[str], width: int = WINDOW, max_input: int = 60_000
) -> str:
    """HTML: the passage of `text` that best shows `terms`, escaped, matches in <mark>."""
    text = text[:max_input]
    pattern = _matcher(frozenset(fold(t).lower() for t in terms))
    matches = (
        [(m.start(), m.end(), fold(m.group(0)).lower()) for m in pattern.finditer(text)]
        if pattern
        else []
    )
    if matches:
        first = _best_start(matches, width)
        start = max(0, first - width // 4)
        # Back up to the start of a word, and to a sentence start if one is close.
        sentence = max(text.rfind(". ", start - 40 if start > 40 else 0, first), -1)
        if sentence >= 0 and first - sentence < width // 2:
            start = sentence + 2
    else:
        start = 0
    while 0 < start < len(text) and re.match(_WORD_CHARS, text[start - 1]):
        start -= 1
    end = min(len(text), start + width)
    while end < len(text) and re.match(_WORD_CHARS, text[end]):
        end += 1
    out: list[str] = ["…"] if start > 0 else []
    # Runs of matched words separated by spaces become one <mark> ("Ủy ban nhân dân").
    runs: list[list[int]] = []
    for a, b, _ in matches:
        if a < start or b > end:
            continue
        if runs and text[runs[-1][1] : a].strip(" ") == "":
            runs[-1][1] = b
        else:
            runs.append([a, b])
    pos = start
    for a, b in runs:
        out.append(escape(text[pos:a]).replace("\n", " "))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    out.append(escape(text[pos:end]).replace("\n", " "))
    if end < len(text):
        out.append("…")
    return "".join(out).strip()
