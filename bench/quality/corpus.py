"""The corpus a quality run indexes: vi-news articles read, sampled deterministically, hashed."""

from __future__ import annotations

import gzip
import hashlib
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.quality.text import find_docnums

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "vi-news" / "vi_news.jsonl.gz"


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    body: str
    category: str | None = None
    source: str | None = None


def _clean_title(t: str) -> str:
    return " ".join(unicodedata.normalize("NFC", t).split())


def read_docs(path: Path) -> list[Doc]:
    docs = []
    with (
        gzip.open(path, "rt", encoding="utf-8")
        if path.suffix == ".gz"
        else open(path, encoding="utf-8") as f
    ):
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            title, body = _clean_title(d.get("title") or ""), d.get("body") or ""
            if not title or not body.strip():
                continue
            docs.append(Doc(str(d["id"]), title, body, d.get("category"), d.get("source")))
    return docs


def sample(docs: Sequence[Doc], n: int) -> list[Doc]:
    """Every article holding a document number, then the rest in sha1(id) order, up to n."""

    def h(d: Doc) -> str:
        return hashlib.sha1(d.id.encode()).hexdigest()

    with_num = sorted((d for d in docs if find_docnums(d.title + "\n" + d.body)), key=h)
    chosen = with_num[:n]
    ids = {d.id for d in chosen}
    rest = sorted((d for d in docs if d.id not in ids), key=h)
    chosen += rest[: n - len(chosen)]
    return sorted(chosen, key=lambda d: d.id)


def corpus_hash(docs: Sequence[Doc]) -> str:
    h = hashlib.sha256()
    for d in docs:
        h.update(f"{d.id}\x00{d.title}\x00{d.body}\x00{d.category}\x01".encode())
    return h.hexdigest()[:16]
