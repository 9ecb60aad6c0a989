"""What a fetched page changes: one pure decision, used by the crawl and by `--reextract`.

Given what the crawler remembered of a URL and what it has just seen there, say whether the
page is new, changed, unchanged, an alias, not an article (any more), or gone; what to put in
and take out of the index; and what to remember.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from crawl.classify import INDEXED_KINDS
from crawl.state import PageState
from indexer.document import Article

NEW, CHANGED, UNCHANGED, ALIAS, OTHER, REMOVED, GONE = (
    "new", "changed", "unchanged", "alias", "other", "removed", "gone")


@dataclass(frozen=True)
class Seen:
    """What a visit found at a URL."""

    kind: str  # article | document | listing | empty | alias
    article: Article | None = None  # for articles and documents
    canonical: str | None = None  # for an alias: the page it duplicates


@dataclass(frozen=True)
class Change:
    """The outcome of a visit: index updates and what to remember."""

    outcome: str  # new | changed | unchanged | alias | other | removed | gone
    kind: str  # the page kind to remember
    put: Article | None = None
    delete: tuple[str, ...] = ()  # article ids to take out of the index
    article_id: str | None = None
    content_hash: str | None = None
    streak: int = 0  # visits in a row that found the page unchanged


def article_hash(article: Article) -> str:
    """A hash of what the index holds for an article (fetched_at excluded: it always changes)."""
    d = article.to_dict()
    d.pop("fetched_at", None)
    return hashlib.sha256(json.dumps(d, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def decide(prev: PageState | None, seen: Seen) -> Change:
    """The change a page's new content makes to the index."""
    old = prev.article_id if prev is not None else None
    if seen.kind in INDEXED_KINDS and seen.article is not None:
        art = seen.article
        digest = article_hash(art)
        if prev is not None and old == art.id and prev.content_hash == digest:
            return Change(UNCHANGED, seen.kind, article_id=art.id, content_hash=digest,
                          streak=prev.unchanged + 1)
        stale = (old,) if old and old != art.id else ()
        return Change(CHANGED if old else NEW, seen.kind, put=art, delete=stale,
                      article_id=art.id, content_hash=digest)
    outcome = ALIAS if seen.kind == "alias" else OTHER
    if old:  # it was an article, it is not any more
        return Change(REMOVED, seen.kind, delete=(old,))
    return Change(outcome, seen.kind)


def decide_gone(prev: PageState | None, times: int, fed_elsewhere: bool) -> Change:
    """A 404/410: the index keeps the article until a second visit in a row confirms it."""
    old = prev.article_id if prev is not None else None
    if times < 2 or not old:
        return Change(GONE, "page", article_id=old,
                      content_hash=prev.content_hash if prev is not None else None)
    return Change(REMOVED, "page", delete=() if fed_elsewhere else (old,))
