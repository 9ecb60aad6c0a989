"""What a search asks and what it answers: plain data shared by the API, the page and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

SORTS = ("relevance", "newest", "oldest", "signed_desc", "signed_asc")  # signed: date signed


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
    issuer: str | None = None
    year: str | None = None  # the year a document was signed ("2019")
    kind: str | None = None  # "van-ban" (official documents) or "tin" (news)

    def has_filters(self) -> bool:
        return any((self.site, self.category, self.doc_type, self.date_from, self.date_to,
                    self.issuer, self.year, self.kind))


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
    issuer: str | None = None
    signed: str | None = None  # the date a document was signed, as its header or title says
    # Where the match is when it is inside an attached file: {name, page, archive}.
    attachment: dict[str, Any] | None = None


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
    # Each facet's values among all results: {facet: [{value, label, count}, …]}.
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # The accented query the results are ranked for, when typed without diacritics and the
    # index is confident: 'Hiển thị kết quả cho {showing}. Tìm chính xác {query}'.
    showing: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
