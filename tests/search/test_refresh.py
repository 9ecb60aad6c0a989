"""A new index generation is prepared off the engine's lock: searches never wait for it."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

import search.generation
from indexer.importer import import_files
from indexer.store import Store
from search.engine import Engine
from search.types import SearchRequest
from search.vocab import Vocabulary
from tests.conftest import build_data_dir

SLOW_VOCABULARY = 1.5  # seconds: what reading the vocabulary of a big index takes


def test_searches_keep_the_old_generation_while_the_new_one_is_prepared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = build_data_dir(tmp_path / "data")
    engine = Engine(data, refresh_interval=0.05)
    try:
        engine.warm()
        assert engine.search(SearchRequest(q="Pơng Drang")).total == 0
        building = threading.Event()

        class SlowVocabulary(Vocabulary):  # a 45k+ article index takes seconds here
            def __init__(self, *args: object, **kwargs: object) -> None:
                building.set()
                time.sleep(SLOW_VOCABULARY)
                super().__init__(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(search.generation, "Vocabulary", SlowVocabulary)
        new = tmp_path / "new.jsonl"
        article = {"id": "moi", "title": "Lễ hội cà phê xã Pơng Drang", "body": "Nội dung"}
        new.write_text(json.dumps(article, ensure_ascii=False) + "\n", "utf-8")
        with Store(data) as store:
            import_files(store, [new])
        time.sleep(0.06)
        t_import = time.monotonic()
        slowest, seen_at = 0.0, None
        while time.monotonic() - t_import < 10:
            t0 = time.perf_counter()
            total = engine.search(SearchRequest(q="Pơng Drang", page=1 + int(t0 * 1000) % 7)).total
            slowest = max(slowest, time.perf_counter() - t0)
            if total:
                seen_at = time.monotonic() - t_import
                break
            time.sleep(0.02)
        assert building.is_set()
        assert seen_at is not None, "the new article never became visible"
        assert seen_at >= SLOW_VOCABULARY * 0.9  # it was prepared aside, then swapped in
        assert slowest < SLOW_VOCABULARY / 2  # no search waited for the preparation
    finally:
        engine.close()
