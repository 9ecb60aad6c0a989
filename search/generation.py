"""One generation of the index as the search side holds it, replaced as a whole when it changes.

Everything that is only true of one version of the index lives here together: the view of the
index (indexer.whoosh_seam), the plan executor and its postings cache, the vocabulary and the
speller read from the index, and the facet counts of the article database beside it. An Engine
swaps its Generation when an import or a rebuild has changed the index; nothing of the old one
can be mixed with the new one.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from indexer.articles import LISTED, ArticleDB
from indexer.errors import IndexMissing
from indexer.layout import DataDir
from indexer.mapping import check_version
from indexer.whoosh_seam import IndexView
from search.caches import PostingsCache
from search.completion import PHRASE_TEXTS, Completer
from search.facets import FacetTable
from search.ranking import Ranker
from search.spelling import Speller
from search.vocab import Vocabulary

log = logging.getLogger(__name__)

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

    def texts_with(self, db: ArticleDB, pair: str) -> list[str]:
        """Title and body of up to PHRASE_TEXTS articles holding the pair, taken evenly over the
        archive (type-ahead reads what follows the pair in them)."""
        docs = self.ranker.term_docs("text_bi", pair)
        step = max(1, -(-len(docs) // PHRASE_TEXTS))
        ids = [str(self.view.stored_fields(int(d))["id"]) for d in docs[::step]]
        return [f"{a.title}\n{a.body}" for a in db.get_many(ids).values()]

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


class LiveIndex:
    """Which generation searches use now, and its replacement when the index changes.

    The index is checked for a newer generation at most once per `refresh_interval` seconds;
    the successor is prepared (view, vocabulary, speller: seconds on a big index) in a
    background thread while searches keep the current one, then swapped in under `lock` — the
    lock a search holds for its index phase, so no search sees a generation closed under it.
    """

    def __init__(
        self, data: DataDir, lock: threading.RLock, refresh_interval: float, prune: bool = True
    ) -> None:
        self.data = data
        self.refresh_interval = refresh_interval
        self.prune = prune
        self._lock = lock
        self._gen: Generation | None = None
        self._checked = 0.0
        self._refresher: threading.Thread | None = None  # preparing the next generation
        self._reuse_ok = True  # whether the current generation's segments can be shared

    def current(self) -> Generation:
        """The generation to search now (raises IndexMissing before the first import).

        Never waits for a newer one once there is one.
        """
        with self._lock:
            gen = self._gen
            if gen is None:
                folder = self.data.live_index()
                if folder is None:
                    raise IndexMissing(str(self.data.root))
                gen = self._gen = self._open(folder)
                self._checked = time.monotonic()
                return gen
            now = time.monotonic()
            if now - self._checked < self.refresh_interval or self._refresher is not None:
                return gen
            self._checked = now
            folder = self._newer_folder(gen)
            if folder is not None:
                self._refresher = threading.Thread(
                    target=self._prepare, args=(gen, folder), name="tracuu-refresh", daemon=True
                )
                self._refresher.start()
            return gen

    def _newer_folder(self, gen: Generation) -> Path | None:
        """The live index folder when it holds a newer generation than gen, else None."""
        folder = self.data.live_index()
        if folder is None:
            return None  # CURRENT gone (a data directory being restored): keep serving gen
        if folder == gen.view.folder and gen.view.latest_generation() == gen.view.generation:
            return None
        return folder

    def _prepare(self, old: Generation, folder: Path) -> None:
        """Build the successor of `old` (off the lock), then swap it in."""
        t0 = time.perf_counter()
        fresh: Generation | None = None
        try:
            fresh = old.successor(folder, reuse=self._reuse_ok)
        except Exception:  # a rebuild may swap folders under us: the next check tries again
            log.warning("index refresh from %s failed; retrying", folder, exc_info=True)
            self._reuse_ok = False  # segments of `old` may have been closed with the failure
        with self._lock:
            self._refresher = None
            if fresh is None:
                self._checked = 0.0
                return
            if self._gen is not old:  # closed meanwhile
                fresh.retire(self._gen)
                return
            self._gen = fresh
            self._reuse_ok = True
            old.retire(fresh)
        log.info(
            "index generation %s/%s live (prepared in %.2f s)",
            folder.name,
            fresh.view.generation,
            time.perf_counter() - t0,
        )

    def refresh(self) -> Generation:
        """The newest generation, waiting for it (tests, one-shot commands)."""
        while True:
            with self._lock:
                worker = self._refresher
            if worker is None:
                break
            worker.join()
        with self._lock:
            gen = self._gen
            if gen is None:
                return self.current()
            folder = self._newer_folder(gen)
            if folder is None:
                return gen
            fresh = gen.successor(folder, reuse=self._reuse_ok)
            self._gen = fresh
            self._reuse_ok = True
            self._checked = time.monotonic()
            gen.retire(fresh)
            return fresh

    def _open(self, folder: Path) -> Generation:
        check_version(folder)
        return Generation(IndexView(folder), self.prune)

    def close(self) -> None:
        """Wait for a generation being prepared, then close the current one."""
        with self._lock:
            worker = self._refresher
        if worker is not None:
            worker.join()
        with self._lock:
            if self._gen is not None:
                self._gen.close()
                self._gen = None
