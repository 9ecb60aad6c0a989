"""The corpus of `python -m bench.scale`: vi-news recombined into N distinct portal articles.

One province after the 2025 reform holds the archives of its former district portals. There is no
such archive of several hundred thousand real articles to measure on, so this module makes one,
deterministically, from the 45,033 vi-news articles:

  * article i takes its title and first paragraph from a base article (each vi-news article is a
    base once per round of 45,033), the longest paragraph of another article of the category
    (another one each round), and each further paragraph either from the base (in order) or
    from a random article of the same category, so bodies keep vi-news' length and vocabulary;
  * a site among 30 former districts and towns of Lâm Đồng, Đắk Nông and Bình Thuận (merged into
    Lâm Đồng in 2025), by a fixed uneven weight; a URL and id of its own on that site's host;
  * a publication time between the site's launch (2010–2016) and mid-2025, later years busier;
  * ~18 % are official documents: a doc_type, a number drawn from 1–1500 in the site's
    pattern (`123/KH-UBND`, `45/2021/QĐ-UBND`, `12/UBND-VP`: the same number recurs across
    sites and years, as it does in real archives), the title `Kế hoạch 123/KH-UBND về ...` and
    a first line naming the number, the date and the district's People's Committee.

Article i depends only on (seed, i): the 45,000-article corpus is the first 45,000 of the 450,000
one, and articles N, N+1, ... are new articles for an incremental import. Honest limits: the
vocabulary stays that of vi-news (a real archive ten times larger has more distinct words and
names), and titles repeat once per round (as reposts of provincial news do across districts).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from indexer.text import fold

SEED = 2025
VERSION = 2  # bump when the output of generate() changes: cached corpora are keyed by it

# (name, province host part) of former district-level units; the site name is what a portal shows.
DISTRICTS = (
    ("Thành phố Đà Lạt", "lamdong"),
    ("Thành phố Bảo Lộc", "lamdong"),
    ("Huyện Lạc Dương", "lamdong"),
    ("Huyện Đơn Dương", "lamdong"),
    ("Huyện Đức Trọng", "lamdong"),
    ("Huyện Lâm Hà", "lamdong"),
    ("Huyện Đam Rông", "lamdong"),
    ("Huyện Di Linh", "lamdong"),
    ("Huyện Bảo Lâm", "lamdong"),
    ("Huyện Đạ Huoai", "lamdong"),
    ("Huyện Đạ Tẻh", "lamdong"),
    ("Huyện Cát Tiên", "lamdong"),
    ("Thành phố Gia Nghĩa", "daknong"),
    ("Huyện Cư Jút", "daknong"),
    ("Huyện Đắk Mil", "daknong"),
    ("Huyện Krông Nô", "daknong"),
    ("Huyện Đắk Song", "daknong"),
    ("Huyện Đắk R'Lấp", "daknong"),
    ("Huyện Đắk Glong", "daknong"),
    ("Huyện Tuy Đức", "daknong"),
    ("Thành phố Phan Thiết", "binhthuan"),
    ("Thị xã La Gi", "binhthuan"),
    ("Huyện Tuy Phong", "binhthuan"),
    ("Huyện Bắc Bình", "binhthuan"),
    ("Huyện Hàm Thuận Bắc", "binhthuan"),
    ("Huyện Hàm Thuận Nam", "binhthuan"),
    ("Huyện Tánh Linh", "binhthuan"),
    ("Huyện Đức Linh", "binhthuan"),
    ("Huyện Hàm Tân", "binhthuan"),
    ("Huyện Phú Quý", "binhthuan"),
)

# doc_type, number pattern ({n} number, {y} year), share among documents
DOC_KINDS = (
    ("kế hoạch", "{n}/KH-UBND", 0.25),
    ("quyết định", "{n}/QĐ-UBND", 0.20),
    ("quyết định", "{n}/{y}/QĐ-UBND", 0.05),
    ("thông báo", "{n}/TB-UBND", 0.15),
    ("công văn", "{n}/UBND-VP", 0.15),
    ("báo cáo", "{n}/BC-UBND", 0.10),
    ("chỉ thị", "{n}/CT-UBND", 0.04),
    ("nghị quyết", "{n}/NQ-HĐND", 0.06),
)
DOC_SHARE = 0.18
AUTHORS = (
    "Văn phòng HĐND và UBND",
    "Phòng Văn hóa - Thông tin",
    "Trung tâm Văn hóa - Thể thao",
    "Ban Tuyên giáo",
    "Phòng Nội vụ",
)
END = datetime(2025, 6, 30, 17, 0)
MAX_PARAGRAPHS = 14


@dataclass(frozen=True)
class Site:
    """One former district portal of the generated province."""

    name: str
    host: str
    weight: float
    start: datetime


def sites(seed: int = SEED) -> tuple[Site, ...]:
    """The 30 portals with their fixed weights (cities post more) and launch dates."""
    rng = random.Random(f"sites-{seed}")
    out = []
    for name, province in DISTRICTS:
        short = name.split(" ", 1)[1] if name.startswith("Huyện") else name.split(" ", 2)[-1]
        slug = "".join(c for c in fold(short).lower() if c.isalnum())
        weight = rng.uniform(0.5, 1.5) * (2.0 if not name.startswith("Huyện") else 1.0)
        start = datetime(rng.randint(2010, 2016), rng.randint(1, 12), 1)
        out.append(Site(name, f"{slug}.{province}.gov.vn", weight, start))
    return tuple(out)


@dataclass
class Source:
    """vi-news, held once: titles, paragraphs, categories, and article numbers per category."""

    titles: list[str]
    paragraphs: list[list[str]]
    categories: list[str]
    by_category: dict[str, list[int]]

    @property
    def size(self) -> int:
        return len(self.titles)


def load_source(path: Path) -> Source:
    """Read vi-news (JSONL, gzip or not) into a Source."""
    titles: list[str] = []
    paragraphs: list[list[str]] = []
    categories: list[str] = []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            paras = [p.strip() for p in str(d.get("body") or "").split("\n") if p.strip()]
            title = " ".join(str(d.get("title") or "").split())
            if not title or not paras:
                continue
            titles.append(title)
            paragraphs.append(paras)
            categories.append(str(d.get("category") or "Khác"))
    by_category: dict[str, list[int]] = {}
    for i, c in enumerate(categories):
        by_category.setdefault(c, []).append(i)
    return Source(titles, paragraphs, categories, by_category)


class Generator:
    """Makes article i of the corpus (see the module docstring); pure given the source."""

    def __init__(self, source: Source, seed: int = SEED) -> None:
        self.src = source
        self.seed = seed
        self.sites = sites(seed)
        self._weights = [s.weight for s in self.sites]
        self._doc_weights = [w for _, _, w in DOC_KINDS]
        self._perms: dict[int, list[int]] = {}
        self._rank = {a: k for arts in source.by_category.values() for k, a in enumerate(arts)}

    def _base(self, i: int) -> int:
        rnd, k = divmod(i, self.src.size)
        perm = self._perms.get(rnd)
        if perm is None:
            perm = list(range(self.src.size))
            random.Random(f"round-{self.seed}-{rnd}").shuffle(perm)
            self._perms = {rnd: perm}  # generation runs in order: keep the current round only
        return perm[k]

    def article(self, i: int) -> dict[str, Any]:
        """Article number i, as a JSONL object of the import format."""
        src = self.src
        rng = random.Random(self.seed * 1_000_003 + i)
        base = self._base(i)
        own = src.paragraphs[base]
        pool = src.by_category[src.categories[base]]
        want = min(MAX_PARAGRAPHS, max(2, len(own) + rng.randint(-1, 1)))
        body = [own[0]]
        nxt = 1
        # One paragraph comes from an article of the category chosen by the round, so that the
        # copies of a base article in different rounds never have the same body.
        rnd = i // src.size
        anchor = src.paragraphs[pool[(self._rank[base] + 1 + rnd) % len(pool)]]
        body.append(max(anchor, key=len))
        while len(body) < want:
            if nxt < len(own) and rng.random() < 0.5:
                body.append(own[nxt])
                nxt += 1
            else:
                other = src.paragraphs[rng.choice(pool)]
                body.append(other[rng.randrange(len(other))])
        site = rng.choices(self.sites, self._weights)[0]
        span = (END - site.start).total_seconds()
        published = site.start + timedelta(seconds=int(span * rng.random() ** 0.7))
        published = published.replace(hour=rng.randint(7, 17), minute=rng.randint(0, 59), second=0)
        title = src.titles[base]
        art: dict[str, Any] = {
            "url": f"https://{site.host}/tin-tuc/bai-{i}.html",
            "site": site.name,
            "title": title,
            "published": published.isoformat(),
            "category": src.categories[base],
        }
        if rng.random() < DOC_SHARE:
            doc_type, pattern, _ = rng.choices(DOC_KINDS, self._doc_weights)[0]
            number = pattern.format(n=rng.randint(1, 1500), y=published.year)
            title = f"{doc_type.capitalize()} {number} về {title[:1].lower()}{title[1:]}"
            place = site.name.replace("Huyện", "huyện").replace("Thành phố", "thành phố")
            place = place.replace("Thị xã", "thị xã")
            body.insert(
                0,
                f"{doc_type.capitalize()} số {number} ngày {published.day}/"
                f"{published.month}/{published.year} của Ủy ban nhân dân {place}.",
            )
            art.update(title=title, doc_type=doc_type, doc_number=number)
        if rng.random() < 0.3:
            art["author"] = rng.choice(AUTHORS)
        art["id"] = art["url"]
        art["body"] = "\n".join(body)
        return art

    def articles(self, start: int, stop: int) -> Iterator[dict[str, Any]]:
        """Articles start..stop-1, in order (numbers are assigned in order: keep it)."""
        for i in range(start, stop):
            yield self.article(i)


@dataclass(frozen=True)
class Written:
    """A corpus file and what it holds."""

    path: Path
    articles: int
    duplicate_bodies: int


def write(gen: Generator, path: Path, start: int, stop: int) -> Written:
    """Stream articles start..stop-1 to a JSONL.gz file (written to a temporary name first)."""
    tmp = path.with_name(path.name + ".tmp")
    seen: set[bytes] = set()
    dups = 0
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as f:
        for art in gen.articles(start, stop):
            digest = hashlib.blake2b(art["body"].encode("utf-8"), digest_size=12).digest()
            dups += digest in seen
            seen.add(digest)
            f.write(json.dumps(art, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return Written(path, stop - start, dups)
