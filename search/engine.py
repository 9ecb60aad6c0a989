"""The search engine: requests in, ranked hits with snippets out, over the live index on disk.

One Engine serves many threads through one Whoosh searcher guarded by a lock: Whoosh readers
keep file positions (not thread-safe), search is bound by the GIL anyway (a process per core
gives parallelism: `tracuu serve --workers 2`), and one searcher means one mapping of the index
per process instead of one per thread. Snippets and SQLite reads happen outside the lock. The
searcher is reopened when an import or a rebuild changed the index, checked at most once per
`refresh_interval` seconds, so new articles show up without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index

from indexer.document import Article, facet_key
from indexer.errors import IndexMissing
from indexer.store import ArticleDB, Paths, open_index_readonly
from search import query as qb
from search.ranking import PostingsCache, Ranker
from search.snippet import make_snippet
from search.spelling import Speller
from search.vocab import Vocabulary

log = logging.getLogger(__name__)

SORTS = ("relevance", "newest", "oldest")


@dataclass(frozen=True)
class SearchRequest:
    """A validated search: what /api/search, the page and `tracuu search` ask."""

    q: str = ""
    page: int = 1
    size: int = 10
    site: str | None = None
    category: str | None = None
    doc_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"

    def has_filters(self) -> bool:
        return any((self.site, self.category, self.doc_type, self.date_from, self.date_to))


@dataclass
class Hit:
    """One result."""

    id: str
    url: str | None
    title: str
    snippet: str
    published: str | None
    site: str | None
    category: str | None
    doc_type: str | None
    doc_number: str | None
    author: str | None
    score: float | None


@dataclass
class SearchResult:
    """A page of results."""

    query: str
    total: int
    page: int
    size: int
    took_ms: float
    hits: list[Hit] = field(default_factory=list)
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _IndexState:
    """The one open index of an Engine: searcher, plan executor, generation."""

    folder: Path | None = None
    ix: Any = None
    searcher: Any = None
    ranker: Ranker | None = None
    gen: int = -1  # TOC generation the searcher was opened at
    checked: float = 0.0


class _ThreadState(threading.local):
    db: ArticleDB | None = None


class Engine:
    """Search over the data directory's live index and stored articles."""

    def __init__(
        self, data_dir: Path | str, refresh_interval: float = 1.0, cache_size: int = 1024
    ) -> None:
        self.paths = Paths(Path(data_dir))
        self.refresh_interval = refresh_interval
        self._local = _ThreadState()
        self._idx = _IndexState()
        self._lock = threading.RLock()  # guards self._idx and everything read through it
        self._cache: OrderedDict[tuple[Any, ...], SearchResult] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._vocab: tuple[tuple[str, int], Vocabulary, Speller] | None = None
        self._facets: tuple[tuple[str, int], dict[str, list[tuple[str, int]]]] | None = None
        self._postings = PostingsCache(None)

    # -- plumbing -------------------------------------------------------------------------------

    def searcher(self) -> Any:
        """The up-to-date searcher (raises IndexMissing before the first import); hold _lock."""
        st = self._idx
        now = time.monotonic()
        if st.searcher is not None and now - st.checked < self.refresh_interval:
            return st.searcher
        st.checked = now
        folder = self.paths.live_index()
        if folder is None:
            raise IndexMissing(str(self.paths.root))
        if st.searcher is None or folder != st.folder:
            if st.searcher is not None:
                st.searcher.close()
                st.ix.close()
            st.ix = open_index_readonly(self.paths.root)
            st.folder = folder
            st.gen = st.ix.latest_generation()
            st.searcher = st.ix.searcher()
        elif st.ix.latest_generation() != st.gen:
            try:
                st.gen = st.ix.latest_generation()
                st.searcher = st.searcher.refresh()
            except (OSError, whoosh_index.IndexError):  # a rebuild swapped folders under us
                st.searcher = None
                st.checked = 0.0
                return self.searcher()
        return st.searcher

    def generation(self) -> tuple[str, int]:
        """Identifies the index version a result was computed on (for caches)."""
        with self._lock:
            self.searcher()
            return (str(self._idx.folder), self._idx.gen)

    def ranker(self) -> Ranker:
        """The plan executor over the current searcher; hold _lock."""
        s = self.searcher()
        st = self._idx
        if st.ranker is None or st.ranker.searcher is not s:
            gen = self.generation()
            if self._postings.generation != gen:
                self._postings = PostingsCache(gen)
            st.ranker = Ranker(s, self._postings)
        return st.ranker

    def db(self) -> ArticleDB:
        st = self._local
        if st.db is None:
            if not self.paths.db.exists():
                raise IndexMissing(str(self.paths.root))
            st.db = ArticleDB(self.paths.db, readonly=True)
        return st.db

    def doc_count(self) -> int:
        with self._lock:
            return int(self.searcher().doc_count())

    def vocabulary(self) -> tuple[Vocabulary, Speller]:
        """The vocabulary of the current index generation (read once, shared by threads)."""
        with self._lock:
            gen = self.generation()
            if self._vocab is None or self._vocab[0] != gen:
                vocab = Vocabulary(self.searcher().reader())
                self._vocab = (gen, vocab, Speller(vocab))
            return self._vocab[1], self._vocab[2]

    def speller(self) -> Speller:
        """The speller of the current generation; hold _lock while using it."""
        return self.vocabulary()[1]

    # -- API --------------------------------------------------------------------------------------

    def search(self, req: SearchRequest) -> SearchResult:
        """Run a search (cached per index generation)."""
        t0 = time.perf_counter()
        key = (req, self.generation())
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is not None:
            result = SearchResult(**{**cached.__dict__, "hits": list(cached.hits)})
        else:
            result = self._search(req)
            with self._cache_lock:
                self._cache[key] = result
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        result.took_ms = round((time.perf_counter() - t0) * 1000, 2)
        return result

    def _filter_docs(self, ranker: Ranker, req: SearchRequest) -> np.ndarray | None:
        terms = [
            (f"{name}_key", facet_key(getattr(req, name)))
            for name in ("site", "category", "doc_type")
            if getattr(req, name)
        ]
        start = datetime.combine(req.date_from, datetime.min.time()) if req.date_from else None
        end = (
            datetime.combine(req.date_to + timedelta(days=1), datetime.min.time())
            - timedelta(microseconds=1)
            if req.date_to
            else None
        )
        return ranker.filter_docs(terms, start, end)

    def _search(self, req: SearchRequest) -> SearchResult:
        pq = qb.parse(req.q)
        with self._lock:
            ranked, page_hits, suggestion = self._ranked(req, pq)
        return self._with_snippets(req, pq, ranked.total, page_hits, suggestion)

    def _ranked(
        self, req: SearchRequest, pq: qb.ParsedQuery
    ) -> tuple[Any, list[tuple[dict[str, Any], float | None]], str | None]:
        """The index phase of a search (under the lock): page of stored fields, suggestion."""
        ranker = self.ranker()
        allowed = self._filter_docs(ranker, req)
        offset = (req.page - 1) * req.size
        plan = None
        if pq.empty:
            candidates = ranker.live_docs() if allowed is None else allowed
            sort = "newest" if req.sort == "relevance" else req.sort
        else:
            plan = qb.plan(pq, self.vocabulary()[0])
            sort = req.sort
            candidates = ranker.match(plan)
            if not len(candidates) and len(pq.units) > 1:
                candidates = ranker.match(plan, require_all=False)  # any word, best first
            if allowed is not None:
                candidates = np.intersect1d(candidates, allowed, True)
        ranked = ranker.rank(candidates, plan, offset, req.size, sort)
        suggestion = None
        if not pq.empty:
            try:
                suggestion = self.speller().suggest(req.q, pq)
            except Exception:  # a suggestion is a nicety: never fail a search for it
                log.exception("suggestion failed for %r", req.q)
        s = ranker.searcher
        page_hits = [
            (s.stored_fields(d), score)
            for d, score in zip(ranked.docnums, ranked.scores, strict=True)
        ]
        return ranked, page_hits, suggestion

    def _with_snippets(
        self,
        req: SearchRequest,
        pq: qb.ParsedQuery,
        total: int,
        page_hits: list[tuple[dict[str, Any], float | None]],
        suggestion: str | None,
    ) -> SearchResult:
        docs = self.db().get_many(stored["id"] for stored, _ in page_hits)
        terms = pq.highlight_terms()
        hits = []
        for stored, score in page_hits:
            meta = stored.get("meta") or {}
            art = docs.get(stored["id"])
            hits.append(
                Hit(
                    id=stored["id"],
                    url=meta.get("url"),
                    title=stored.get("title", ""),
                    snippet=make_snippet(art.body if art else "", terms),
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
            suggestion=suggestion,
        )

    def document(self, article_id: str) -> Article | None:
        """The stored article, or None."""
        return self.db().get(article_id)

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Type-ahead completions of what the user is typing."""
        with self._lock:
            return self.speller().complete(prefix, limit)

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """Sites, categories and document types with counts (for the filter menus)."""
        gen = self.generation()
        if self._facets is None or self._facets[0] != gen:
            db = self.db()
            self._facets = (gen, {n: db.distinct(n) for n in ("site", "category", "doc_type")})
        return self._facets[1]

    def close(self) -> None:
        """Close the index and this thread's database connection."""
        with self._lock:
            st = self._idx
            if st.searcher is not None:
                st.searcher.close()
                st.ix.close()
                st.searcher = None
                st.ranker = None
        local = self._local
        if local.db is not None:
            local.db.close()
            local.db = None
