"""Facet counts over a result set, and the signed-date order, from one index generation.

Each facet field (document type, issuing body, year, site, kind) holds one value per document.
Once per generation every value gets an ordinal and every document the ordinal of its value in
one int32 array; counting a result set is then a bincount over its docnums, whatever its size
(the 450k-article index counts a whole-index result in milliseconds). A value's label is the
stored form of one document holding it ("Ủy ban nhân dân huyện Krông Nô"); filters compare
facet keys, so any label of a key selects it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.whoosh_seam import IndexView

# The facets of a result, in the order the page shows them: request field → index field.
FACET_FIELDS = {
    "kind": "kind_key",
    "doc_type": "doc_type_key",
    "issuer": "issuer_key",
    "year": "year_key",
    "site": "site_key",
}
KIND_LABELS = {"van-ban": "Văn bản", "tin": "Tin bài"}
MAX_VALUES = 50  # values listed per facet (the most frequent; a filter reaches any other)


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet with the number of results holding it."""

    value: str  # what the filter parameter takes
    label: str  # what a person reads
    count: int


class FacetTable:
    """Per-document facet ordinals and signed dates of one index generation (read-only)."""

    def __init__(self, view: IndexView) -> None:
        size = view.doc_count_all
        self.ordinals: dict[str, np.ndarray] = {}
        self.values: dict[str, list[tuple[str, str]]] = {}
        for name, field in FACET_FIELDS.items():
            arr = np.full(size, -1, dtype=np.int32)
            values: list[tuple[str, str]] = []
            for term, _ in view.terms(field):
                ids = view.postings(field, term).ids
                if not len(ids):
                    continue  # only deleted documents hold it
                arr[ids] = len(values)
                values.append(self._label(view, name, term, int(ids[0])))
            self.ordinals[name], self.values[name] = arr, values
        self.signed = np.zeros(size, dtype=np.int64)  # YYYYMMDD; 0 when unknown
        for term, _ in view.terms("signed_key"):
            ids = view.postings("signed_key", term).ids
            if len(ids) and term.isdigit():
                self.signed[ids] = int(term)

    @staticmethod
    def _label(view: IndexView, name: str, term: str, docnum: int) -> tuple[str, str]:
        if name == "year":
            return term, term
        if name == "kind":
            return term, KIND_LABELS.get(term, term)
        meta = view.stored_fields(docnum).get("meta") or {}
        label = meta.get(name) or term
        return label, label

    def counts(self, docs: np.ndarray, limit: int = MAX_VALUES) -> dict[str, list[FacetValue]]:
        """Each facet's values among `docs` with their counts, most frequent first (years
        newest first)."""
        out: dict[str, list[FacetValue]] = {}
        for name, arr in self.ordinals.items():
            values = self.values[name]
            if not values:
                out[name] = []
                continue
            picked = arr[docs] if len(docs) else arr[:0]
            counts = np.bincount(picked[picked >= 0], minlength=len(values))
            found = [FacetValue(v, label, int(n)) for (v, label), n in zip(values, counts,
                                                                         strict=True) if n]
            if name == "year":
                found.sort(key=lambda f: f.value, reverse=True)
            else:
                found.sort(key=lambda f: (-f.count, f.label))
            out[name] = found[:limit]
        return out

    def by_signed(self, docs: np.ndarray, dates: np.ndarray, newest: bool) -> np.ndarray:
        """`docs` by signed date (newest or oldest first; unknown last), then by posting date."""
        signed = self.signed[docs]
        posted = dates[docs]
        unknown = signed == 0
        sign = -1 if newest else 1
        keys = (docs, sign * posted, sign * signed, unknown)
        return docs[np.lexsort(keys)]
