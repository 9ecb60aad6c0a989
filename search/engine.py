"""The search engine: requests in, ranked hits with snippets out, over the live index on disk.

One Engine serves many threads. The index phase of a search (match, score, page, stored fields,
suggestion) runs under one lock per process: search is bound by the GIL anyway (a process per
core gives parallelism: `tracuu serve --workers 2`), and the lock lets a new index generation
replace the old one (and close it) between two searches. Snippets and SQLite reads happen
outside the lock. The index is checked for a new generation at most once per
`refresh_interval` seconds, so new articles show up without a restart; the new generation is
prepared (vocabulary, speller) in a background thread while searches keep the current one, so
no request waits for it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from indexer.articles import LISTED, ArticleDB
from indexer.document import Article, facet_key
from indexer.errors import IndexMissing
from indexer.layout import DataDir
from indexer.mapping import FACETS
from search import query as qb
from search.errors import SearchTimeout
from search.facets import FacetTable
from search.filehits import best_file_page, text_score
from search.generation import Facets, Generation, LiveIndex
from search.numbers import number_docs, pinned_rank
from search.phrases import WINDOW as PHRASE_WINDOW
from search.phrases import Phrases, runs_of
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
        time_limit: float = math.inf,
        prune: bool = True,
    ) -> None:
        self.data = DataDir(Path(data_dir))
        self.prune = prune  # two-phase top-k (search.ranking.Ranker.top); False: score all
        self.time_limit = time_limit  # seconds a search may run before SearchTimeout
        self.refresh_interval = refresh_interval
        self.weights = weights
        self._local = _ThreadState()
        self._lock = threading.RLock()  # the index phase of a search; swapping generations
        self.live = LiveIndex(self.data, self._lock, refresh_interval, prune)
        self._cache: OrderedDict[tuple[Any, ...], SearchResult] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    # -- the current generation -------------------------------------------------------------------

    def generation(self) -> Generation:
        """The generation to search now (raises IndexMissing before the first import)."""
        return self.live.current()

    def refresh(self) -> Generation:
        """The newest generation, waiting for it (tests, one-shot commands)."""
        return self.live.refresh()

    def db(self) -> ArticleDB:
        """This thread's read-only connection to the article database."""
        st = self._local
        if st.db is None:
            if not self.data.articles_db.exists():
                raise IndexMissing(str(self.data.root))
            st.db = ArticleDB(self.data.articles_db, readonly=True)
        return st.db

    def doc_count(self) -> int:
        try:
            return self.generation().view.doc_count
        except IndexMissing as exc:
            self._empty_or_raise(exc)
            return 0

    def warm(self) -> None:
        """Read what the first search would (the vocabulary), before a visitor asks."""
        self.generation().vocabulary()

    # -- API --------------------------------------------------------------------------------------

    def _empty_or_raise(self, exc: IndexMissing) -> None:
        """Return (an empty answer follows) when the data directory is initialised, else raise.

        A data directory whose first import held no valid line, whose first crawl found nothing
        or whose first import was killed before its index was made live has an article database
        but no live index: it is empty, not missing. IndexMissing stays for a directory that was
        never initialised (no article database).
        """
        if not self.data.articles_db.exists():
            raise exc

    def search(self, req: SearchRequest) -> SearchResult:
        """Run a search (cached per index generation); no hits while the index is empty."""
        t0 = time.perf_counter()
        try:
            gen_key = self.generation().key
        except IndexMissing as exc:
            self._empty_or_raise(exc)
            return SearchResult(
                query=req.q, total=0, page=req.page, size=req.size, took_ms=0.0, hits=[]
            )
        key = (req, gen_key)
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
        deadline = time.monotonic() + self.time_limit
        with self._lock:
            gen = self.generation()
            gen.ranker.deadline = deadline  # checked between the steps of matching and scoring
            try:
                ranked, page_hits, said, facets = self._ranked(gen, req, pq)
            finally:
                gen.ranker.deadline = math.inf
        page_hits, docs = self._phrase_order(pq, page_hits, req)
        result = self._with_snippets(req, pq, ranked.total, page_hits, said, deadline, docs)
        result.facets = facets
        return result

    @staticmethod
    def _filter_docs(ranker: Ranker, req: SearchRequest) -> np.ndarray | None:
        terms = [
            (f"{name}_key", facet_key(getattr(req, name))) for name in FACETS if getattr(req, name)
        ]
        terms += [(field, value) for field, value in (("year_key", req.year),
                                                      ("kind_key", req.kind)) if value]
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
    ) -> tuple[Ranked, PageHits, tuple[str | None, str | None], dict[str, Any]]:
        """The index phase of a search (under the lock): page of stored fields, suggestion and
        the accented query the results are for, facet counts over every result."""
        ranker = gen.ranker
        allowed = self._filter_docs(ranker, req)
        offset = (req.page - 1) * req.size
        plan = None
        pinned = number_docs(ranker, req.q, allowed) if not pq.empty else np.zeros(0, np.int64)
        if pq.empty:
            candidates = ranker.live_docs() if allowed is None else allowed
            sort = "newest" if req.sort == "relevance" else req.sort
        else:
            plan = qb.plan(pq, gen.vocabulary(), self.weights)
            sort = req.sort
            candidates = ranker.match(plan)
            if not len(candidates) and not len(pinned) and len(pq.units) > 1:
                candidates = ranker.match(plan, require_all=False)  # any word, best first
            if allowed is not None:
                candidates = np.intersect1d(candidates, allowed, True)
            if len(pinned):  # a whole number typed in any spelling: its documents first
                candidates = np.union1d(candidates, pinned)
        table = gen.facet_table()
        if sort in ("signed_desc", "signed_asc"):
            ordered = table.by_signed(candidates, ranker.view.dates(), sort == "signed_desc")
            page = ordered[offset: offset + req.size]
            ranked = Ranked([int(d) for d in page], [None] * len(page), len(candidates))
        elif len(pinned) and sort == "relevance":
            ranked = pinned_rank(ranker, candidates, pinned, plan, offset, req.size)
        elif runs_of(pq) and sort == "relevance":
            # The first WINDOW hits, re-ordered by their text after the lock (_phrase_order).
            ranked = ranker.rank(candidates, plan, 0, max(PHRASE_WINDOW, offset + req.size), sort)
        else:
            ranked = ranker.rank(candidates, plan, offset, req.size, sort)
        facets = _facet_dict(table, candidates)
        showing = None if pq.empty else gen.speller().meant(pq)
        suggestion = None if pq.empty or showing else gen.speller().suggest(req.q, pq)
        view = gen.view
        page_hits = [
            (view.stored_fields(d), score)
            for d, score in zip(ranked.docnums, ranked.scores, strict=True)
        ]
        return ranked, page_hits, (suggestion, showing), facets

    def _phrase_order(
        self, pq: qb.ParsedQuery, hits: PageHits, req: SearchRequest
    ) -> tuple[PageHits, dict[str, Article]]:
        """The page, when _ranked gave the first hits of a short query: those hits re-ordered
        by whole phrase, then same clause (search.phrases), read from the stored articles
        (returned too: the snippets need them)."""
        offset = (req.page - 1) * req.size
        runs = runs_of(pq)
        if not runs or req.sort != "relevance":
            return hits, {}
        window = hits[: PHRASE_WINDOW]
        docs = self.db().get_many(stored["id"] for stored, _ in window)
        texts = [
            art.searchable_text() if (art := docs.get(stored["id"])) else stored.get("title", "")
            for stored, _ in window
        ]
        ordered = [window[i] for i in Phrases(runs).order(texts)] + hits[PHRASE_WINDOW :]
        return ordered[offset : offset + req.size], docs

    def _with_snippets(
        self,
        req: SearchRequest,
        pq: qb.ParsedQuery,
        total: int,
        page_hits: PageHits,
        said: tuple[str | None, str | None],
        deadline: float = math.inf,
        docs: dict[str, Article] | None = None,
    ) -> SearchResult:
        if docs is None or any(stored["id"] not in docs for stored, _ in page_hits):
            docs = self.db().get_many(stored["id"] for stored, _ in page_hits)
        terms, phrases = pq.highlight_terms(), pq.highlight_phrases()
        hits = []
        for stored, score in page_hits:
            if time.monotonic() > deadline:
                raise SearchTimeout("the search ran past its time limit (snippets)")
            meta = stored.get("meta") or {}
            art = docs.get(stored["id"])
            snippet = make_snippet(art.body if art else "", terms, phrases=phrases)
            in_file = (best_file_page(art, req.q, terms, text_score(art.body, req.q))
                       if art and art.attachments and terms else None)
            hits.append(
                Hit(
                    id=stored["id"],
                    url=meta.get("url"),
                    title=stored.get("title", ""),
                    snippet=in_file[0] if in_file else snippet,
                    published=meta.get("published"),
                    site=meta.get("site"),
                    category=meta.get("category"),
                    doc_type=meta.get("doc_type"),
                    doc_number=meta.get("doc_number"),
                    author=meta.get("author"),
                    score=round(score, 4) if score is not None else None,
                    issuer=meta.get("issuer"),
                    signed=meta.get("signed"),
                    attachment=in_file[1] if in_file else None,
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
        try:
            gen = self.generation()
        except IndexMissing as exc:
            self._empty_or_raise(exc)
            return []
        db = self.db()
        with self._lock:  # the generation is not retired meanwhile
            return gen.completer().complete(prefix, limit, partial(gen.texts_with, db))

    def facets(self) -> Facets:
        """Sites, categories and document types with counts (for the filter menus)."""
        try:
            gen = self.generation()
        except IndexMissing as exc:
            self._empty_or_raise(exc)
            return {name: [] for name in LISTED}
        return gen.facets(self.db())

    def stored_results(self, req: SearchRequest, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """The total and the stored fields of the first `limit` results (for an export)."""
        pq = qb.parse(req.q)
        first = replace(req, page=1, size=limit)
        with self._lock:
            ranked, page_hits, _, _ = self._ranked(self.generation(), first, pq)
        page_hits, _ = self._phrase_order(pq, page_hits, first)
        return ranked.total, [stored for stored, _ in page_hits]

    def file_owner(self, sha256: str) -> tuple[str, str] | None:
        """(article id, original file name) of an archived file some indexed article links."""
        gen = self.generation()
        with self._lock:
            ids = gen.ranker.docs((("file_sha", sha256),))
            if not len(ids):
                return None
            stored = gen.view.stored_fields(int(ids[0]))
        for name, sha, _ in (stored.get("meta") or {}).get("files") or []:
            if sha == sha256:
                return stored["id"], name
        return stored["id"], ""

    def close(self) -> None:
        """Close the index and this thread's database connection."""
        self.live.close()
        local = self._local
        if local.db is not None:
            local.db.close()
            local.db = None


def _facet_dict(table: FacetTable, docs: np.ndarray) -> dict[str, Any]:
    """Facet counts as the API gives them: {facet: [{value, label, count}, …]}."""
    return {
        name: [{"value": f.value, "label": f.label, "count": f.count} for f in values]
        for name, values in table.counts(docs).items()
    }
