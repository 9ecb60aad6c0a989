"""The search engine: requests in, ranked hits with snippets out, over the live index on disk.

One Engine serves many threads: each thread keeps its own Whoosh searcher (searchers are not
thread-safe) and reopens it when an import or a rebuild has changed the index, at most once per
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

from whoosh import index as whoosh_index
from whoosh import query as wq

from indexer.document import Article, facet_key
from indexer.errors import IndexMissing
from indexer.store import ArticleDB, Paths, open_index_readonly
from search import query as qb
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


class _ThreadState(threading.local):
    folder: Path | None = None
    ix: Any = None
    searcher: Any = None
    checked: float = 0.0
    db: ArticleDB | None = None


class Engine:
    """Search over the data directory's live index and stored articles."""

    def __init__(
        self, data_dir: Path | str, refresh_interval: float = 1.0, cache_size: int = 1024
    ) -> None:
        self.paths = Paths(Path(data_dir))
        self.refresh_interval = refresh_interval
        self._local = _ThreadState()
        self._cache: OrderedDict[tuple[Any, ...], SearchResult] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._vocab: tuple[tuple[str, int], Vocabulary, Speller] | None = None
        self._vocab_lock = threading.Lock()
        self._facets: tuple[tuple[str, int], dict[str, list[tuple[str, int]]]] | None = None

    # -- plumbing -------------------------------------------------------------------------------

    def searcher(self) -> Any:
        """This thread's up-to-date searcher (raises IndexMissing before the first import)."""
        st = self._local
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
            st.searcher = st.ix.searcher()
        elif not st.searcher.up_to_date():
            try:
                st.searcher = st.searcher.refresh()
            except (OSError, whoosh_index.IndexError):  # a rebuild swapped folders under us
                st.searcher = None
                return self.searcher()
        return st.searcher

    def generation(self) -> tuple[str, int]:
        """Identifies the index version a result was computed on (for caches)."""
        s = self.searcher()
        return (str(self._local.folder), int(s.reader().generation()))

    def db(self) -> ArticleDB:
        st = self._local
        if st.db is None:
            if not self.paths.db.exists():
                raise IndexMissing(str(self.paths.root))
            st.db = ArticleDB(self.paths.db, readonly=True)
        return st.db

    def doc_count(self) -> int:
        return int(self.searcher().doc_count())

    def vocabulary(self) -> tuple[Vocabulary, Speller]:
        """The vocabulary of the current index generation (read once, shared by threads)."""
        gen = self.generation()
        with self._vocab_lock:
            if self._vocab is None or self._vocab[0] != gen:
                vocab = Vocabulary(self.searcher().reader())
                self._vocab = (gen, vocab, Speller(vocab))
            return self._vocab[1], self._vocab[2]

    def speller(self) -> Speller:
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

    def _filter(self, req: SearchRequest) -> wq.Query | None:
        parts: list[wq.Query] = []
        for name in ("site", "category", "doc_type"):
            value = getattr(req, name)
            if value:
                parts.append(wq.Term(f"{name}_key", facet_key(value)))
        if req.date_from or req.date_to:
            start = datetime.combine(req.date_from, datetime.min.time()) if req.date_from else None
            end = (
                datetime.combine(req.date_to + timedelta(days=1), datetime.min.time())
                - timedelta(microseconds=1)
                if req.date_to
                else None
            )
            parts.append(wq.DateRange("date", start, end))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def _search(self, req: SearchRequest) -> SearchResult:
        s = self.searcher()
        pq = qb.parse(req.q)
        flt = self._filter(req)
        sort_kwargs: dict[str, Any] = {}
        if req.sort != "relevance" or pq.empty:
            sort_kwargs = {"sortedby": "date", "reverse": req.sort != "oldest"}
        if pq.empty:
            q: wq.Query = flt if flt is not None else wq.Every()
            must = q
            flt = None
        else:
            vocab = self.vocabulary()[0]
            q = qb.build(pq, vocab)
            must = qb.required_query(pq, vocab)
        hits_page, total = self._run(s, q, must, flt, req, sort_kwargs)
        if total == 0 and len(pq.units) > 1:
            vocab = self.vocabulary()[0]
            q = qb.build(pq, vocab, require_all=False)
            must = qb.required_query(pq, vocab, require_all=False)
            hits_page, total = self._run(s, q, must, flt, req, sort_kwargs)
        suggestion = None
        if not pq.empty:
            try:
                suggestion = self.speller().suggest(req.q, pq)
            except Exception:  # a suggestion is a nicety: never fail a search for it
                log.exception("suggestion failed for %r", req.q)
        page_hits = [(hit["id"], hit.fields(), hit.score) for hit in hits_page]
        docs = self.db().get_many(i for i, _, _ in page_hits)
        terms = pq.highlight_terms()
        hits = []
        for art_id, stored, score in page_hits:
            meta = stored.get("meta") or {}
            art = docs.get(art_id)
            body = art.body if art else ""
            hits.append(
                Hit(
                    id=art_id,
                    url=meta.get("url"),
                    title=stored.get("title", ""),
                    snippet=make_snippet(body, terms),
                    published=meta.get("published"),
                    site=meta.get("site"),
                    category=meta.get("category"),
                    doc_type=meta.get("doc_type"),
                    doc_number=meta.get("doc_number"),
                    author=meta.get("author"),
                    score=round(float(score), 4) if score is not None and not sort_kwargs else None,
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

    @staticmethod
    def _run(
        s: Any,
        q: wq.Query,
        must: wq.Query,
        flt: wq.Query | None,
        req: SearchRequest,
        sort_kwargs: dict[str, Any],
    ) -> tuple[list[Any], int]:
        """One page of hits and the exact total (with the filter applied)."""
        offset = (req.page - 1) * req.size
        allowed: set[int] | None = None
        if flt is not None:
            allowed = set(s.docs_for_query(flt))
            if not allowed:  # Whoosh treats an empty filter set as no filter at all
                return [], 0
        results = s.search(q, limit=offset + req.size, filter=allowed, **sort_kwargs)
        if results.has_exact_length():
            total = len(results)
        else:
            # Whoosh skipped low-scoring blocks; count matches without scoring. Its own count
            # ignores the filter, so apply it here.
            ids = s.docs_for_query(must)
            total = sum(1 for _ in ids) if allowed is None else sum(1 for d in ids if d in allowed)
        # Past the last page there is nothing (Whoosh's search_page would repeat the last one).
        return list(results[offset : offset + req.size]), total

    def document(self, article_id: str) -> Article | None:
        """The stored article, or None."""
        return self.db().get(article_id)

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Type-ahead completions of what the user is typing."""
        return self.speller().complete(prefix, limit)

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """Sites, categories and document types with counts (for the filter menus)."""
        gen = self.generation()
        if self._facets is None or self._facets[0] != gen:
            db = self.db()
            self._facets = (gen, {n: db.distinct(n) for n in ("site", "category", "doc_type")})
        return self._facets[1]

    def close(self) -> None:
        st = self._local
        if st.searcher is not None:
            st.searcher.close()
            st.ix.close()
            st.searcher = None
        if st.db is not None:
            st.db.close()
            st.db = None
