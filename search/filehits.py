"""Matches inside attached files: the page of which file holds the query best, for a hit's
snippet ("… trong Chỉ thị 08.pdf, trang 2"). Pure."""

from __future__ import annotations

import re
from typing import Any

from indexer.document import Article
from search.snippet import make_snippet

_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
MAX_PAGES = 400  # pages read per hit: a 500-page file is not read whole for one snippet


def marked(snippet: str) -> int:
    """How many distinct words a snippet marks."""
    return len({m.lower() for m in _MARK.findall(snippet)})


def archive_path(stored: str) -> str:
    """The URL path of an archived original ('ab/ab12….pdf' → '/luu-tru/ab/ab12….pdf')."""
    return f"/luu-tru/{stored}" if stored else ""


def best_file_page(article: Article, terms: frozenset[str], better_than: int
                   ) -> tuple[str, dict[str, Any]] | None:
    """(snippet, {name, page, archive}) of the attached page marking the most query words,
    if it marks more than `better_than`; page is 1-based."""
    best: tuple[int, str, dict[str, Any]] | None = None
    read = 0
    for att in article.attachments:
        pages = att.pages or ([att.text] if att.text else [])
        for i, text in enumerate(pages):
            read += 1
            if read > MAX_PAGES:
                break
            if not text:
                continue
            snippet = make_snippet(text, terms)
            score = marked(snippet)
            if score > better_than and (best is None or score > best[0]):
                where = {"name": att.name or att.title or att.url.rsplit("/", 1)[-1],
                         "page": i + 1, "archive": archive_path(att.stored), "url": att.url}
                best = (score, snippet, where)
    return (best[1], best[2]) if best else None
