"""Snippets: the best passage of a text, HTML-escaped, matched words in <mark>. Pure.

Matches are found with one regular expression of plain (folded) terms over the folded, lower-cased
text (both keep the length of NFC text, so offsets carry over to the text shown), not by
tokenizing the whole body: ten snippets per page of results must cost far less than the search
itself. (A pattern of accent-free letter classes over the raw text reads the body no faster, and
compiling it for each new query cost more than the whole search.)
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from html import escape

from indexer.text import canonical, fold

WINDOW = 220  # characters shown around the best spot
_WORD_CHARS = r"[^\W_]"


@lru_cache(maxsize=256)
def _matcher(folded_terms: frozenset[str]) -> re.Pattern[str] | None:
    terms = sorted((t for t in folded_terms if t), key=len, reverse=True)
    if not terms:
        return None
    alternation = "|".join(re.escape(t) for t in terms)
    return re.compile(rf"(?<!{_WORD_CHARS})(?:{alternation})(?!{_WORD_CHARS})")


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
    folded = fold(text.lower())  # as fold(canonical(text)) for NFC text, and far cheaper
    if len(folded) != len(text):  # not NFC, or a lower() that changes length
        text = canonical(text)
        folded = fold(text)
    pattern = _matcher(frozenset(fold(t) for t in terms))
    matches = (
        [(m.start(), m.end(), m.group(0)) for m in pattern.finditer(folded)] if pattern else []
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
