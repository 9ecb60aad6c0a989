"""Matches inside attached files: the page of which file holds the query best, for a hit's
snippet ("… Chỉ thị 08.pdf, trang 2"). Pure.

A page is scored on its own folded words, not on its snippet: the query's words it holds, and
more when it holds them in the order typed (the phrase). The snippet then starts at the phrase
when the page has it, so that what is shown is what matched.
"""

from __future__ import annotations

import re
from typing import Any

from indexer.document import Article
from indexer.text import fold_lower
from search.snippet import make_snippet

MAX_PAGES = 400  # pages read per hit: a 500-page file is not read whole for one snippet
LEAD = 60  # characters shown before a phrase found on a page
_WORD = re.compile(r"[^\W_]+")


def query_words(q: str) -> list[str]:
    """The query's words, folded and lower-cased, in the order typed."""
    return _WORD.findall(fold_lower(q))


def archive_path(stored: str) -> str:
    """The URL path of an archived original ('ab/ab12….pdf' → '/luu-tru/ab/ab12….pdf')."""
    return f"/luu-tru/{stored}" if stored else ""


def _page_score(folded: str, words: list[str]) -> tuple[float, int]:
    """(score, where the phrase starts or -1): distinct query words on the page, plus as many
    again when the page holds them all in the order typed."""
    present = set(_WORD.findall(folded))
    score = float(len(set(words) & present))
    at = -1
    if len(words) > 1:
        m = re.search(r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, words)) + r"(?![^\W_])",
                      folded)
        if m:
            at = m.start()
            score += len(set(words))
    return score, at


def text_score(text: str, q: str) -> float:
    """How well a text (an article's body) holds the query, on the scale pages are scored."""
    return _page_score(fold_lower(text), query_words(q))[0]


def best_file_page(article: Article, q: str, terms: frozenset[str], better_than: float
                   ) -> tuple[str, dict[str, Any]] | None:
    """(snippet, {name, page, archive, url, anchor}) of the attached page holding the query best, if
    it scores more than `better_than`; page is 1-based."""
    words = query_words(q)
    if not words:
        return None
    best: tuple[float, str, int, dict[str, Any]] | None = None
    read = 0
    for index, att in enumerate(article.attachments):
        pages = att.pages or ([att.text] if att.text else [])
        for i, text in enumerate(pages):
            read += 1
            if read > MAX_PAGES:
                break
            if not text:
                continue
            score, at = _page_score(fold_lower(text), words)
            if score > better_than and (best is None or score > best[0]):
                where = {"name": att.name or att.title or att.url.rsplit("/", 1)[-1],
                         "page": i + 1, "archive": archive_path(att.stored), "url": att.url,
                         "anchor": f"tep-{index}-trang-{i + 1}"}
                best = (score, text, at, where)
    if best is None:
        return None
    _, text, at, where = best
    if at > LEAD:
        start = text.rfind(" ", 0, at - LEAD) + 1
        return "…" + make_snippet(text[start:], terms), where
    return make_snippet(text, terms), where
