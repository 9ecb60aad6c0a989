"""The search engine: requests in, ranked hits with snippets out, over the live index on disk.

One Engine serves many threads. The index phase of a search (match, score, page, stored fields,
suggestion) runs under one lock per process: search is bound by the GIL anyway (a process per
core gives parallelism: `tracuu serve --workers 2`), and the lock lets a new index generation
replace the old one (and close it) between two searches. Snippets and SQLite reads happen
outside the lock. The index is checked for a new generation at most once per
`refresh_interval` seconds, so new articles show up without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from indexer.articles import ArticleDB
from indexer.document import Article, facet_key
from indexer.errors import IndexMissing
from indexer.layout import DataDir
from indexer.mapping import FACETS, check_version
from indexer.whoosh_seam import IndexView
from search import query as qb
from search.generation import Facets, Generation
from search.ranking import Ranked, Ranker
from search.snippet import make_snippet
from search.types import Hit, SearchRequest, SearchResult
from search.weights import DEFAULT_WEIGHTS, Weights

log = logging.getLogger(__name__)

PageHits = list[tuple[dict[str, Any], float | None]]


class _ThreadState(threading.local):
    db: ArticleDB | None = None


class Engine:
    """Search over the data directory's live index and stored articles."""

    def __init__(
        self,
        data_dir: Path | str,
        refresh_interval: float = 1.0,
        cache_size: int = 1024,
        weights: Weights = DEFAULT_WEIGHTS,
    ) -> None:
        self.data = DataDir(Path(data_dir))
        self.refresh_interval = refresh_interval
        self.weights = weights
        self._local = _ThreadState()
        self._gen: Generation | None = None
        self._checked = 0.0
        self._lock = threading.RLock()  # the index phase of a search; swapping generations
        self._cache: OrderedDict[tuple[Any, ...], SearchResult] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    # -- the current generation -------------------------------------------------------------------

    def generation(self) -> Generation:
        """The up-to-date generation (raises IndexMissing before the first import)."""
        with self._lock:
            gen = self._gen
            now = time.monotonic()
            if gen is not None and now - self._checked < self.refresh_interval:
                return gen
            self._checked = now
            folder = self.data.live_index()
            if folder is None:
                raise IndexMissing(str(self.data.root))
            if gen is not None and folder == gen.view.folder:
                if gen.view.latest_generation() == gen.view.generation:
                    return gen
                self._gen = None
                try:
                    fresh = gen.reopened()  # closes the old view, keeps unchanged segments
                except (OSError, IndexMissing):  # a rebuild swapped folders under us
                    fresh = self._open(folder)
            else:
                self._gen = None
                if gen is not None:
                    gen.close()
                fresh = self._open(folder)
            self._gen = fresh
            return fresh

    def _open(self, folder: Path) -> Generation:
        check_version(folder)
        return Generation(IndexView(folder))

    def db(self) -> ArticleDB:
        """This thread's read-only connection to the article database."""
        st = self._local
        if st.db is None:
            if not self.data.articles_db.exists():
                raise IndexMissing(str(self.data.root))
            st.db = ArticleDB(self.data.articles_db, readonly=True)
        return st.db

    def doc_count(self) -> int:
        return self.generation().view.doc_count

    def warm(self) -> None:
        """Read what the first search would (the vocabulary), before a visitor asks."""
        self.generation().vocabulary()

    # -- API --------------------------------------------------------------------------------------

    def search(self, req: SearchRequest) -> SearchResult:
        """Run a search (cached per index generation)."""
        t0 = time.perf_counter()
        key = (req, self.generation().key)
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is not None:
            result = replace(cached, hits=list(cached.hits))
        else:
            result = self._search(req)
            with self._cache_lock:
                self._cache[key] = result
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        result.took_ms = round((time.perf_counter() - t0) * 1000, 2)
        return result

    def _search(self, req: SearchRequest) -> SearchResult:
        pq = qb.parse(req.q)
        with self._lock:
            ranked, page_hits, said = self._ranked(self.generation(), req, pq)
        return self._with_snippets(req, pq, ranked.total, page_hits, said)

    @staticmethod
    def _filter_docs(ranker: Ranker, req: SearchRequest) -> np.ndarray | None:
        terms = [
            (f"{name}_key", facet_key(getattr(req, name))) for name in FACETS if getattr(req, name)
        ]
        start = datetime.combine(req.date_from, datetime.min.time()) if req.date_from else None
        end = (
            datetime.combine(req.date_to + timedelta(days=1), datetime.min.time())
            - timedelta(microseconds=1)
            if req.date_to
            else None
        )
        return ranker.filter_docs(terms, start, end)

    def _ranked(
        self, gen: Generation, req: SearchRequest, pq: qb.ParsedQuery
    ) -> tuple[Ranked, PageHits, tuple[str | None, str | None]]:
        """The index phase of a search (under the lock): page of stored fields, suggestion and
        the accented query the results are for."""
        ranker = gen.ranker
        allowed = self._filter_docs(ranker, req)
        offset = (req.page - 1) * req.size
        plan = None
        if pq.empty:
            candidates = ranker.live_docs() if allowed is None else allowed
            sort = "newest" if req.sort == "relevance" else req.sort
        else:
            plan = qb.plan(pq, gen.vocabulary(), self.weights)
            sort = req.sort
            candidates = ranker.match(plan)
            if not len(candidates) and len(pq.units) > 1:
                candidates = ranker.match(plan, require_all=False)  # any word, best first
            if allowed is not None:
                candidates = np.intersect1d(candidates, allowed, True)
        ranked = ranker.rank(candidates, plan, offset, req.size, sort)
        showing = None if pq.empty else gen.speller().meant(pq)
        suggestion = None if pq.empty or showing else gen.speller().suggest(req.q, pq)
        view = gen.view
        page_hits = [
            (view.stored_fields(d), score)
            for d, score in zip(ranked.docnums, ranked.scores, strict=True)
        ]
        return ranked, page_hits, (suggestion, showing)

    def _with_snippets(
        self,
        req: SearchRequest,
        pq: qb.ParsedQuery,
        total: int,
        page_hits: PageHits,
        said: tuple[str | None, str | None],
    ) -> SearchResult:
        docs = self.db().get_many(stored["id"] for stored, _ in page_hits)
        terms, phrases = pq.highlight_terms(), pq.highlight_phrases()
        hits = []
        for stored, score in page_hits:
            meta = stored.get("meta") or {}
            art = docs.get(stored["id"])
            hits.append(
                Hit(
                    id=stored["id"],
                    url=meta.get("url"),
                    title=stored.get("title", ""),
                    snippet=make_snippet(art.body if art else "", terms, phrases=phrases),
                    published=meta.get("published"),
                    site=meta.get("site"),
                    category=meta.get("category"),
                    doc_type=meta.get("doc_type"),
                    doc_number=meta.get("doc_number"),
                    author=meta.get("author"),
                    score=round(score, 4) if score is not None else None,
                )
            )
        return SearchResult(
            query=req.q,
            total=total,
            page=req.page,
            size=req.size,
            took_ms=0.0,
            hits=hits,
            suggestion=said[0],
            showing=said[1],
        )

    def document(self, article_id: str) -> Article | None:
        """The stored article, or None."""
        return self.db().get(article_id)

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Type-ahead completions of what the user is typing."""
        with self._lock:
            return self.generation().speller().complete(prefix, limit)

    def facets(self) -> Facets:
        """Sites, categories and document types with counts (for the filter menus)."""
        return self.generation().facets(self.db())

    def close(self) -> None:
        """Close the index and this thread's database connection."""
        with self._lock:
            if self._gen is not None:
                self._gen.close()
                self._gen = None
        local = self._local
        if local.db is not None:
            local.db.close()
            local.db = None
