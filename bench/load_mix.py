"""The request mix of bench.load: what visitors of a district portal search send, seeded.

Built from articles the server itself returns (titles, ids, document numbers, sites, categories,
dates, a few bodies), so it fits whatever data directory is served. Pure: samples in, paths out.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

# kind → weight (per 100 requests) and what it stands for.
KINDS: dict[str, tuple[int, str]] = {
    "short": (20, "2–3 words of a title, as written"),
    "folded": (17, "the same without diacritics"),
    "abbrev": (7, "UBND, HĐND, MTTQ... with or without a word"),
    "docnum": (7, "a document number (123/KH-UBND)"),
    "filter": (8, "a short query with a site, category or doc_type filter"),
    "dates": (6, "a date range, with or without words"),
    "newest": (6, "a short query sorted by date"),
    "deep": (5, "page 20–100 of a common word"),
    "suggest": (12, "type-ahead on a prefix"),
    "document": (5, "GET /api/documents/{id}"),
    "html": (4, "the server-rendered page /search?q="),
    "heavy": (3, "the longest query (24+ words of a body), deepest page, largest size"),
}
ABBREVIATIONS = ("UBND", "HĐND", "MTTQ", "UBND huyện", "HĐND xã", "BCH", "KT-XH", "ubnd tỉnh",
                 "MTTQ Việt Nam", "BTV Huyện ủy")
COMMON = ("huyện", "xã", "năm", "ủy ban", "nhân dân", "tỉnh", "thông báo", "kế hoạch")
DOCNUM = re.compile(r"\b\d{1,4}(?:/\d{4})?/[A-ZĐ]{1,6}(?:-[A-ZĐ]{1,8})*\b")
FALLBACK_DOCNUMS = ("123/KH-UBND", "45/2021/QĐ-UBND", "05-CT/HU", "01/NQ-HĐND")


@dataclass(frozen=True)
class Request:
    """One GET of the mix."""

    kind: str
    path: str  # path and query string


def fold(text: str) -> str:
    """Without diacritics, đ → d (what a visitor without a Vietnamese keyboard types)."""
    nfd = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in nfd if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[\w/-]+", text) if not w.isdigit()]


def _fragment(rng: random.Random, title: str, low: int = 2, high: int = 3) -> str:
    words = _words(title) or list(COMMON)
    n = min(len(words), rng.randint(low, high))
    start = rng.randrange(0, len(words) - n + 1)
    return " ".join(words[start:start + n]).lower()


def _search(**params: Any) -> str:
    return "/api/search?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def build_mix(hits: Sequence[Mapping[str, Any]], bodies: Sequence[str], n: int,
              seed: int = 13) -> list[Request]:
    """n requests drawn by weight from the kinds, deterministic for a seed and samples."""
    rng = random.Random(seed)
    titles = [str(h["title"]) for h in hits if h.get("title")] or list(COMMON)
    docnums = sorted({str(h["doc_number"]) for h in hits if h.get("doc_number")})
    docnums += sorted({m for t in titles for m in DOCNUM.findall(t)} - set(docnums))
    docnums = docnums or list(FALLBACK_DOCNUMS)
    facets = [(name, str(h[name])) for h in hits for name in ("site", "category", "doc_type")
              if h.get(name)]
    days = sorted({str(h["published"])[:10] for h in hits if h.get("published")})
    ids = [str(h["id"]) for h in hits if h.get("id")]
    texts = list(bodies) or titles
    kinds = list(KINDS)
    weights = [KINDS[k][0] for k in kinds]
    out = []
    for kind in rng.choices(kinds, weights, k=n):
        title = rng.choice(titles)
        if kind == "short":
            path = _search(q=_fragment(rng, title))
        elif kind == "folded":
            path = _search(q=fold(_fragment(rng, title)))
        elif kind == "abbrev":
            path = _search(q=rng.choice(ABBREVIATIONS))
        elif kind == "docnum":
            num = rng.choice(docnums)
            path = _search(q=num if rng.random() < 0.7 else fold(num).lower())
        elif kind == "filter":
            name, value = rng.choice(facets) if facets else ("site", "")
            path = _search(q=_fragment(rng, title, 1, 2), **{name: value})
        elif kind == "dates":
            path = _search(q=rng.choice(["", _fragment(rng, title, 1, 2)]), **_range(rng, days))
        elif kind == "newest":
            path = _search(q=_fragment(rng, title, 1, 2), sort="newest")
        elif kind == "deep":
            path = _search(q=rng.choice(COMMON), page=rng.randint(20, 100))
        elif kind == "suggest":
            word = _fragment(rng, title, 1, 2)
            path = "/api/suggest?" + urlencode({"q": word[: max(2, len(word) - rng.randint(0, 3))]})
        elif kind == "document":
            path = "/api/documents/" + quote(rng.choice(ids), safe="") if ids else _search(q="xã")
        elif kind == "html":
            path = "/search?" + urlencode({"q": _fragment(rng, title)})
        else:  # heavy
            body = _words(rng.choice(texts))
            start = rng.randrange(0, max(1, len(body) - 30))
            path = _search(q=" ".join(body[start:start + 30]), page=rng.randint(200, 500),
                           size=50, sort=rng.choice(["relevance", "newest"]))
        out.append(Request(kind, path))
    return out


def _range(rng: random.Random, days: Sequence[str]) -> dict[str, str]:
    """A from/to window of 1–90 days around a real publication day (or a recent year)."""
    try:
        middle = date.fromisoformat(rng.choice(days)) if days else date(2021, 6, 1)
    except ValueError:
        middle = date(2021, 6, 1)
    half = timedelta(days=rng.randint(1, 45))
    return {"from": (middle - half).isoformat(), "to": (middle + half).isoformat()}
