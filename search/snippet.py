"""Snippets: the best passage of a text, HTML-escaped, matched words in <mark>. Pure."""

from __future__ import annotations

from html import escape

from indexer.text import Span, canonical, fold, spans

WINDOW = 220  # characters shown around the best spot


def _match_flags(sp: list[Span], exact: frozenset[str], folded: frozenset[str]) -> list[int]:
    """2 for an exact match, 1 for a folded one, 0 otherwise."""
    out = []
    for s in sp:
        if s.text in exact:
            out.append(2)
        elif fold(s.text) in folded:
            out.append(1)
        else:
            out.append(0)
    return out


def _best_window(sp: list[Span], flags: list[int], width: int) -> tuple[int, int]:
    """Character range of width `width` holding the most distinct matched words."""
    best = (0, -1.0)
    j = 0
    counts: dict[str, int] = {}
    score = 0.0
    for i, s in enumerate(sp):
        # Window of spans i..j-1 starting at s.start.
        while j < len(sp) and sp[j].end - s.start <= width:
            if flags[j]:
                key = fold(sp[j].text)
                counts[key] = counts.get(key, 0) + 1
                if counts[key] == 1:
                    score += 1.0 + 0.1 * flags[j]
            j += 1
        # Prefer windows where matches are adjacent (a phrase) and that start a sentence.
        bonus = sum(0.5 for k in range(i, j - 1) if flags[k] and flags[k + 1])
        total = score + bonus
        if total > best[1]:
            best = (s.start, total)
        if flags[i]:
            key = fold(s.text)
            counts[key] -= 1
            if counts[key] == 0:
                score -= 1.0 + 0.1 * flags[i]
    return best[0], best[0] + width


def make_snippet(
    text: str, terms: frozenset[str], width: int = WINDOW, max_input: int = 60_000
) -> str:
    """HTML: the passage of `text` that best shows `terms`, escaped, matches in <mark>."""
    text = text[:max_input]
    canon = canonical(text)
    if len(canon) != len(text):  # a lower() that changes length: fall back to the canonical text
        text = canon
    sp = spans(canon)
    exact = frozenset(terms)
    folded = frozenset(fold(t) for t in terms)
    flags = _match_flags(sp, exact, folded)
    if any(flags):
        start, end = _best_window(sp, flags, width)
        # Begin at a word boundary a little before the first match, within the window.
        first = next((k for k, s in enumerate(sp) if s.start >= start and flags[k]), None)
        if first is not None and sp[first].start - start > width // 3:
            start = max(0, sp[first].start - width // 3)
            end = start + width
    else:
        start, end = 0, width
    # Snap to word boundaries.
    if start > 0:
        sp_start = next((s.start for s in sp if s.start >= start), start)
        start = sp_start
    end = min(len(text), end)
    if end < len(text):
        last = [s.end for s in sp if s.end <= end]
        end = last[-1] if last else end
    out: list[str] = ["…"] if start > 0 else []
    # Runs of matched words separated by spaces become one <mark> ("Ủy ban nhân dân").
    runs: list[list[int]] = []
    for s, f in zip(sp, flags, strict=True):
        if not f or s.start < start or s.end > end:
            continue
        if runs and text[runs[-1][1] : s.start].strip(" ") == "":
            runs[-1][1] = s.end
        else:
            runs.append([s.start, s.end])
    pos = start
    for a, b in runs:
        out.append(escape(text[pos:a]).replace("\n", " "))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    out.append(escape(text[pos:end]).replace("\n", " "))
    if end < len(text):
        out.append("…")
    return "".join(out).strip()
