"""Snippets: the best passage of a text, HTML-escaped, matched words in <mark>. Pure.

Matches are found with one regular expression of plain (folded) terms over the folded, lower-cased
text (both keep the length of NFC text, so offsets carry over to the text shown), not by
tokenizing the whole body: ten snippets per page of results must cost far less than the search
itself. (A pattern of accent-free letter classes over the raw text reads the body no faster, and
compiling it for each new query cost more than the whole search.)
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from indexer.text import canonical, fold, fold_lower, has_diacritics, normalize

WINDOW = 220  # characters shown around the best spot
_WORD_CHARS = r"[^\W_]"
_WORD_CHAR = re.compile(_WORD_CHARS)


@lru_cache(maxsize=256)
def _matcher(folded_terms: frozenset[str]) -> re.Pattern[str] | None:
    terms = sorted((t for t in folded_terms if t), key=len, reverse=True)
    if not terms:
        return None
    alternation = "|".join(re.escape(t) for t in terms)
    return re.compile(rf"(?<!{_WORD_CHARS})(?:{alternation})(?!{_WORD_CHARS})")


def _best_start(matches: list[tuple[int, int, str]], width: int) -> int:
    """Start of the window of `width` chars holding the most distinct matched words.

    Adjacent matches (a phrase) are worth a little more than scattered ones: a window scores
    its distinct words + 0.5 × its adjacent pairs. One pass, the window's counts kept as it
    slides (a body with hundreds of matches of common words must stay cheap).
    """
    n = len(matches)
    # adjacent_before[k]: adjacent pairs among matches[0..k]
    adjacent_before = [0] * n
    for k in range(1, n):
        near = matches[k][0] - matches[k - 1][1] <= 1
        adjacent_before[k] = adjacent_before[k - 1] + near
    counts: dict[str, int] = {}
    best_start, best_score = matches[0][0], -1.0
    j = 0
    for i, (start, _, key_i) in enumerate(matches):
        if j < i:  # the previous window was empty: start afresh here
            j = i
            counts.clear()
        while j < n and matches[j][1] - start <= width:
            counts[matches[j][2]] = counts.get(matches[j][2], 0) + 1
            j += 1
        adjacent = adjacent_before[j - 1] - adjacent_before[i] if j > i else 0
        score = len(counts) + 0.5 * adjacent
        if score > best_score:
            best_start, best_score = start, score
        if j > i:  # slide: matches[i] leaves the window
            left = counts[key_i] - 1
            if left:
                counts[key_i] = left
            else:
                del counts[key_i]
    return best_start


def _find(
    text: str, folded: str, terms: frozenset[str], typed: bool
) -> list[tuple[int, int, str]]:
    """Where the terms occur: a term with diacritics as typed when `typed`, else folded; one in
    capitals (an abbreviation that is also a syllable: 'ĐU') only as written."""
    caps = frozenset(t for t in terms if t.isupper())
    terms = terms - caps
    exact = frozenset(t for t in terms if typed and has_diacritics(t))
    plain = frozenset(fold(t) for t in terms if t not in exact)
    found: list[tuple[int, int, str]] = []
    as_written = normalize(text) if caps else ""
    if caps and len(as_written) == len(text):
        pattern = _matcher(caps)
        assert pattern is not None
        found += [(m.start(), m.end(), fold(m.group(0).lower()))
                  for m in pattern.finditer(as_written)]
    for pattern, where in ((_matcher(exact), None), (_matcher(plain), folded)):
        if pattern is None:
            continue
        if where is None:
            where = normalize(text).lower()
            if len(where) != len(text):
                where = fold(where)  # cannot line up: compare folded instead
                pattern = _matcher(frozenset(fold(t) for t in exact))
                assert pattern is not None
        found += [(m.start(), m.end(), fold(m.group(0))) for m in pattern.finditer(where)]
    found.sort()
    out: list[tuple[int, int, str]] = []
    for m in found:  # overlapping matches: the first, longest one
        if out and m[0] < out[-1][1]:
            continue
        out.append(m)
    return out


def make_snippet(
    text: str,
    terms: frozenset[str],
    width: int = WINDOW,
    max_input: int = 60_000,
    phrases: frozenset[str] = frozenset(),
) -> str:
    """HTML: the passage of `text` that best shows `terms`, escaped, matches in <mark>.

    Marks what made the document match, the way it matched: the phrases as typed (diacritics
    kept) if the text holds them, else folded, else the single words as typed, else folded.
    """
    text = text[:max_input]
    folded = fold_lower(text)  # as fold(canonical(text)) for NFC text, and far cheaper
    if len(folded) != len(text):  # not NFC, or a lower() that changes length
        text = canonical(text)
        folded = fold(text)
    matches: list[tuple[int, int, str]] = []
    for group, typed in ((phrases, True), (phrases, False), (terms, True), (terms, False)):
        if group:
            matches = _find(text, folded, group, typed)
        if matches:
            break
    if matches:
        first = _best_start(matches, width)
        start = max(0, first - width // 4)
        # Back up to the start of a word, and to a sentence start if one is close.
        sentence = max(text.rfind(". ", start - 40 if start > 40 else 0, first), -1)
        if sentence >= 0 and first - sentence < width // 2:
            start = sentence + 2
    else:
        start = 0
    if len(text) <= width:  # it fits: shown whole (a title, a one-line notice)
        start = 0
    while 0 < start < len(text) and _WORD_CHAR.match(text, start - 1):
        start -= 1
    end = min(len(text), start + width)
    while end < len(text) and _WORD_CHAR.match(text, end):
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
