"""Whole document numbers first: a query naming a number puts the documents with that number
at the top, in every spelling ("08 / CT-UBND", "08/ct-ubnd", "so 08 ct ubnd")."""

from __future__ import annotations

import numpy as np

from indexer.docfields import query_number
from search.query import Plan
from search.ranking import Ranked, Ranker

NUMBER_FIELD = "number_key"


def number_docs(ranker: Ranker, q: str, allowed: np.ndarray | None) -> np.ndarray:
    """Documents whose own number is the one the query types (empty when it types none)."""
    key = query_number(q)
    if not key:
        return np.zeros(0, dtype=np.int64)
    docs = ranker.docs(((NUMBER_FIELD, key),))
    return docs if allowed is None else np.intersect1d(docs, allowed, True)


def pinned_rank(ranker: Ranker, candidates: np.ndarray, pinned: np.ndarray, p: Plan | None,
                offset: int, size: int) -> Ranked:
    """A page of `pinned` (by score) followed by the other candidates (by score)."""
    rest = np.setdiff1d(candidates, pinned, True)
    first = ranker.rank(pinned, p, 0, len(pinned), "relevance")
    docnums, scores = first.docnums[offset: offset + size], first.scores[offset: offset + size]
    if len(docnums) < size:
        more = ranker.rank(rest, p, max(0, offset - len(pinned)), size - len(docnums),
                           "relevance")
        docnums, scores = docnums + more.docnums, scores + more.scores
    return Ranked(docnums, scores, len(pinned) + len(rest))
