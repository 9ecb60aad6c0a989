"""The systems compared: tracuu (real store and engine), plain Whoosh, tantivy; indexes cached.

tantivy: the default conjunction (OR) and the default tokenizer, `index.parse_query(q, ["title",
"body"])`; a query it rejects as a syntax error (an unbalanced quote or parenthesis, a lone '-') is
retried with the query-syntax characters + - ^ ` : { } " [ ] ( ) ~ ! \\ * / < > = replaced by
spaces. Plain Whoosh: MultifieldParser over title and body, default AND group, as typed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.quality.corpus import ROOT, Doc
from bench.quality.metrics import K

SYSTEMS = ("tracuu", "whoosh", "tantivy")


def _code_hash() -> str:
    h = hashlib.sha256()
    for p in sorted((ROOT / "indexer").rglob("*")):
        if p.is_file() and p.suffix in (".py", ".txt", ".tsv"):
            h.update(p.read_bytes())
    return h.hexdigest()[:12]


def _cached(folder: Path, build: Callable[[Path], None]) -> tuple[Path, float | None]:
    """Build into folder unless a complete build is there; returns (folder, build seconds)."""
    if (folder / ".complete").exists():
        return folder, None
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    build(folder)
    took = time.perf_counter() - t0
    (folder / ".complete").write_text(f"{took:.1f}\n")
    return folder, took


class TracuuSystem:
    name = "tracuu"

    def __init__(self, docs: Sequence[Doc], cache: Path) -> None:
        from indexer.document import Article
        from indexer.schema import SCHEMA_VERSION

        def build(folder: Path) -> None:
            from indexer.store import Store

            arts = []
            for d in docs:
                art, _ = Article.from_dict(
                    {"id": d.id, "title": d.title, "body": d.body, "category": d.category}
                )
                arts.append(art)
            with Store(folder / "data") as store:
                store.put(arts)
                store.sync()

        folder = cache / f"tracuu-v{SCHEMA_VERSION}-{_code_hash()}"
        if not (folder / ".complete").exists():  # builds for older indexer code: about 1 GB each
            for old in cache.glob("tracuu-v*"):
                shutil.rmtree(old, ignore_errors=True)
        self.folder, self.index_seconds = _cached(folder, build)
        self.engine: Any = None
        self.reset()

    def reset(self, weights: Any = None) -> None:
        """A fresh engine (no cached results), ranking with `weights` (search.weights.Weights)."""
        from search.engine import Engine
        from search.weights import DEFAULT_WEIGHTS

        if self.engine is not None:
            self.engine.close()
        self.engine = Engine(
            self.folder / "data", refresh_interval=3600, weights=weights or DEFAULT_WEIGHTS
        )

    def run(self, q: str) -> list[str]:
        from search.engine import SearchRequest

        return [h.id for h in self.engine.search(SearchRequest(q=q, size=K)).hits]

    def close(self) -> None:
        self.engine.close()


class WhooshSystem:
    name = "whoosh"

    def __init__(self, docs: Sequence[Doc], cache: Path) -> None:

        from whoosh import index
        from whoosh.fields import ID, TEXT, Schema
        from whoosh.qparser import MultifieldParser

        schema = Schema(id=ID(stored=True, unique=True), title=TEXT, body=TEXT)

        def build(folder: Path) -> None:
            ix = index.create_in(folder, schema)
            w = ix.writer(limitmb=256)
            for d in docs:
                w.add_document(id=d.id, title=d.title, body=d.body)
            w.commit()
            ix.close()

        ver = importlib.metadata.version("whoosh-reloaded")
        self.folder, self.index_seconds = _cached(cache / f"whoosh-{ver}", build)
        self.ix = index.open_dir(self.folder)
        self.searcher = self.ix.searcher()
        self.parser = MultifieldParser(["title", "body"], self.ix.schema)

    def run(self, q: str) -> list[str]:
        results = self.searcher.search(self.parser.parse(q), limit=K)
        return [r["id"] for r in results]

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()


_TANTIVY_SYNTAX = re.compile(r"[+\-^`:{}\"\[\]()~!\\*/<>=]")


class TantivySystem:
    name = "tantivy"

    def __init__(self, docs: Sequence[Doc], cache: Path) -> None:
        import tantivy

        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        sb.add_text_field("title")
        sb.add_text_field("body")
        schema = sb.build()

        def build(folder: Path) -> None:
            ix = tantivy.Index(schema, path=str(folder))
            w = ix.writer(heap_size=200_000_000, num_threads=1)
            for d in docs:
                w.add_document(tantivy.Document(id=d.id, title=d.title, body=d.body))
            w.commit()
            w.wait_merging_threads()

        ver = importlib.metadata.version("tantivy")
        self.folder, self.index_seconds = _cached(cache / f"tantivy-{ver}", build)
        self.ix = tantivy.Index(schema, path=str(self.folder))
        self.ix.reload()
        self.searcher = self.ix.searcher()
        self.fallbacks = 0

    def run(self, q: str) -> list[str]:
        try:
            query = self.ix.parse_query(q, ["title", "body"])
        except ValueError:
            self.fallbacks += 1
            stripped = " ".join(_TANTIVY_SYNTAX.sub(" ", q).split())
            if not stripped:
                return []
            try:
                query = self.ix.parse_query(stripped, ["title", "body"])
            except ValueError:
                return []
        hits = self.searcher.search(query, K).hits
        return [self.searcher.doc(addr)["id"][0] for _, addr in hits]

    def close(self) -> None:
        """Nothing to release (tantivy frees its index with the object)."""


SYSTEM_CLASSES: dict[str, type[TracuuSystem] | type[WhooshSystem] | type[TantivySystem]] = {
    "tracuu": TracuuSystem,
    "whoosh": WhooshSystem,
    "tantivy": TantivySystem,
}
