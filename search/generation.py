"""One generation of the index as the search side holds it, replaced as a whole when it changes.

Everything that is only true of one version of the index lives here together: the view of the
index (indexer.whoosh_seam), the plan executor and its postings cache, the vocabulary and the
speller read from the index, and the facet counts of the article database beside it. An Engine
swaps its Generation when an import or a rebuild has changed the index; nothing of the old one
can be mixed with the new one.
"""

from __future__ import annotations

import threading
from pathlib import Path

from indexer.articles import LISTED, ArticleDB
from indexer.whoosh_seam import IndexView
from search.caches import PostingsCache
from search.completion import Completer
from search.facets import FacetTable
from search.ranking import Ranker
from search.spelling import Speller
from search.vocab import Vocabulary

Facets = dict[str, list[tuple[str, int]]]


class Generation:
    """The searchable state of one index generation (built lazily where it is expensive)."""

    def __init__(self, view: IndexView, prune: bool = True) -> None:
        self.view = view
        self.key = (str(view.folder), view.generation)  # identifies results computed on it
        self.ranker = Ranker(view, PostingsCache(), prune)
        self._lock = threading.Lock()
        self._vocab: Vocabulary | None = None
        self._speller: Speller | None = None
        self._completer: Completer | None = None
        self._facets: Facets | None = None
        self._facet_table: FacetTable | None = None

    def vocabulary(self) -> Vocabulary:
        """The index's accented forms and frequencies (about a second on 45k articles; once)."""
        with self._lock:
            if self._vocab is None:
                self._vocab = Vocabulary(self.view)
                self._speller = Speller(self._vocab)
                self._completer = Completer(self._vocab)
            return self._vocab

    def speller(self) -> Speller:
        self.vocabulary()
        assert self._speller is not None
        return self._speller

    def completer(self) -> Completer:
        """Type-ahead over this generation (what it reads of the pairs is kept with it)."""
        self.vocabulary()
        assert self._completer is not None
        return self._completer

    def facets(self, db: ArticleDB) -> Facets:
        """Sites, categories and document types with their article counts."""
        with self._lock:
            if self._facets is None:
                self._facets = {name: db.distinct(name) for name in LISTED}
            return self._facets

    def facet_table(self) -> FacetTable:
        """Facet ordinals and signed dates of this generation's documents (built once)."""
        with self._lock:
            if self._facet_table is None:
                self._facet_table = FacetTable(self.view)
            return self._facet_table

    def successor(self, folder: Path, reuse: bool = True) -> Generation:
        """The generation of `folder`'s newest commit, its vocabulary and speller read.

        This one stays open and usable meanwhile (readers keep it while the successor is
        prepared, off the engine's lock); unchanged segments of the same folder are shared.
        """
        shared = (
            {s.segment_id: s for s in self.view.segments}
            if reuse and folder == self.view.folder
            else {}
        )
        fresh = Generation(IndexView(folder, shared), self.ranker.prune)
        fresh.speller()
        fresh.facet_table()  # the facet ordinals too: no request builds them under the lock
        return fresh

    def retire(self, successor: Generation | None) -> None:
        """Close this generation, except the segments its successor shares with it."""
        if successor is not None:
            kept = {id(s) for s in successor.view.segments}
            self.view.segments = [s for s in self.view.segments if id(s) not in kept]
        self.close()

    def close(self) -> None:
        self.view.close()
