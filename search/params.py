"""Validation of search parameters (query string → SearchRequest). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from indexer.mapping import KIND_DOCUMENT, KIND_NEWS
from search.errors import InvalidParam
from search.types import SORTS, SearchRequest

MAX_SIZE = 50
MAX_PAGE = 500
KINDS = (KIND_DOCUMENT, KIND_NEWS)
# Dates a filter is clamped into: the engine ends a `to` day at the next midnight, so the last
# day it can take is one before date.max (to=9999-12-31 would overflow).
DATE_MIN = date.min
DATE_MAX = date.max - timedelta(days=1)

__all__ = ["InvalidParam", "parse_search_params"]


def _int(params: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParam(f"invalid_{name}", f"'{name}' must be a whole number") from None
    if not lo <= value <= hi:
        raise InvalidParam(f"invalid_{name}", f"'{name}' must be between {lo} and {hi}")
    return value


def _date(params: Mapping[str, str], name: str) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise InvalidParam(
            f"invalid_{name}", f"'{name}' must be a date written YYYY-MM-DD"
        ) from None
    return min(max(value, DATE_MIN), DATE_MAX)


def _text(params: Mapping[str, str], name: str, limit: int = 200) -> str | None:
    raw = (params.get(name) or "").strip()
    if len(raw) > limit:
        raise InvalidParam(f"invalid_{name}", f"'{name}' is too long")
    return raw or None


def _year(params: Mapping[str, str]) -> str | None:
    raw = (params.get("year") or "").strip()
    if raw and not (len(raw) == 4 and raw.isdigit()):
        raise InvalidParam("invalid_year", "'year' must be a year written YYYY")
    return raw or None


def _kind(params: Mapping[str, str]) -> str | None:
    raw = (params.get("kind") or "").strip()
    if raw and raw not in KINDS:
        raise InvalidParam("invalid_kind", f"'kind' must be one of {', '.join(KINDS)}")
    return raw or None


def parse_search_params(params: Mapping[str, str], default_size: int = 10) -> SearchRequest:
    """A SearchRequest from query parameters, or InvalidParam."""
    sort = (params.get("sort") or "relevance").strip()
    if sort not in SORTS:
        raise InvalidParam("invalid_sort", f"'sort' must be one of {', '.join(SORTS)}")
    date_from, date_to = _date(params, "from"), _date(params, "to")
    if date_from and date_to and date_from > date_to:
        raise InvalidParam("invalid_range", "'from' must not be after 'to'")
    return SearchRequest(
        q=(params.get("q") or "")[:10_000],
        page=_int(params, "page", 1, 1, MAX_PAGE),
        size=_int(params, "size", default_size, 1, MAX_SIZE),
        site=_text(params, "site"),
        category=_text(params, "category"),
        doc_type=_text(params, "doc_type"),
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        issuer=_text(params, "issuer"),
        year=_year(params),
        kind=_kind(params),
    )
