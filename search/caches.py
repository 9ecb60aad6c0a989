"""What one index generation keeps between requests: decoded posting lists and bit sets.

Both are LRUs bounded by bytes and shared by a process's threads; a new generation (an index
change) starts with empty ones.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

import numpy as np

from indexer.whoosh_seam import Postings
from search.query import Term

CACHE_BYTES = 32 * 1024 * 1024  # decoded posting lists kept per index generation, per process
CACHE_MIN_POSTINGS = 256  # shorter lists are kept apart, in their own LRU
SHORT_BYTES = 8 * 1024 * 1024  # short (and empty) lists kept per generation, per process
ENTRY_BYTES = 400  # what keeping one list costs beside its arrays (key, tuple, array headers)
DOCSET_BYTES = 32 * 1024 * 1024  # bit sets of frequent terms kept per generation, per process
DOCSET_SHARE = 64  # a term in 1/64 of the documents or more is kept as a bit set

V = TypeVar("V")


class ByteLRU(Generic[V]):
    """Values by term, least recently used dropped first once their bytes pass the limit."""

    def __init__(self, limit: int, size: Callable[[V], int]) -> None:
        self.limit = limit
        self._size = size
        self._items: OrderedDict[Term, V] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Term) -> V | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: Term, value: V) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self._bytes += self._size(value)
            while self._bytes > self.limit and self._items:
                _, old = self._items.popitem(last=False)
                self._bytes -= self._size(old)


class PostingsCache:
    """Decoded posting lists of one index generation: long and short ones in separate LRUs.

    A short list costs little to keep but a term lookup in every segment to read again, and
    a six-word query asks for dozens of rare pair variants; kept with the long lists, the few
    lists of common syllables a query reads would push them all out.
    """

    def __init__(self, limit: int = CACHE_BYTES, short_limit: int = SHORT_BYTES) -> None:
        self.long = ByteLRU[Postings](limit, lambda p: int(p.ids.nbytes + p.weights.nbytes))
        self.short = ByteLRU[Postings](
            short_limit, lambda p: ENTRY_BYTES + int(p.ids.nbytes + p.weights.nbytes)
        )

    def get(self, key: Term) -> Postings | None:
        hit = self.short.get(key)
        return hit if hit is not None else self.long.get(key)

    def put(self, key: Term, value: Postings) -> None:
        (self.long if len(value.ids) >= CACHE_MIN_POSTINGS else self.short).put(key, value)


class DocSets(ByteLRU[np.ndarray]):
    """The documents of frequent terms as bit sets.

    A syllable in a sixty-fourth of the articles or more costs 12 bytes a posting decoded and
    an eighth of a byte per article as a bit set: many times more of the common syllables that
    every query holds stay matched without decoding their postings again.
    """

    def __init__(self, limit: int = DOCSET_BYTES) -> None:
        super().__init__(limit, lambda bits: int(bits.nbytes))
