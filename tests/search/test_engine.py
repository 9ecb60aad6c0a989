"""The engine over a real data directory: generations, dates, the empty data directory."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from indexer.config import Settings
from indexer.importer import import_files
from indexer.store import Store
from search.engine import Engine
from search.types import SearchRequest
from tests.conftest import ARTICLES, LiveServer, build_data_dir


def _write(path: Path, objs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), "utf-8")
    return path


def test_undated_articles_pass_no_date_filter_and_sort_last(tmp_path: Path) -> None:
    base = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()]
    undated = {"id": "khong-ngay", "title": "Bài không ghi ngày", "body": "Huyện ủy họp."}
    src = _write(tmp_path / "a.jsonl", [*base[:5], undated, *base[5:]])
    engine = Engine(build_data_dir(tmp_path / "data", src))
    try:
        listed = engine.search(SearchRequest(date_to=date(2030, 1, 1), size=50))
        assert listed.total == len(base)
        assert "khong-ngay" not in [h.id for h in listed.hits]
        oldest = engine.search(SearchRequest(sort="oldest", size=50, page=2))
        assert oldest.hits[-1].id == "khong-ngay"  # after every dated one
        everything = engine.search(SearchRequest(q="huyện ủy", sort="oldest", size=50))
        assert everything.hits[-1].id == "khong-ngay"
    finally:
        engine.close()


def test_a_new_generation_replaces_the_old_one_whole(tmp_path: Path) -> None:
    data = build_data_dir(tmp_path / "data")
    engine = Engine(data, refresh_interval=0.0)
    try:
        first = engine.generation()
        segment = first.view.segments[0]
        assert engine.search(SearchRequest(q="Pơng Drang")).total == 0
        assert engine.generation() is first  # nothing changed: the same one
        new = {"id": "moi", "title": "Lễ hội cà phê xã Pơng Drang", "body": "Nội dung"}
        with Store(data) as store:
            import_files(store, [_write(tmp_path / "new.jsonl", [new])])
        second = engine.refresh()
        assert second is not first and second.key != first.key
        assert second.view.segments[0] is segment  # the unchanged segment is carried over
        assert engine.search(SearchRequest(q="Pơng Drang")).hits[0].id == "moi"
        with Store(data) as store:
            store.rebuild()
        third = engine.refresh()
        assert third.view.folder != second.view.folder
        assert engine.search(SearchRequest(q="Pơng Drang")).hits[0].id == "moi"
    finally:
        engine.close()


def test_an_empty_data_directory_answers_503_everywhere(tmp_path: Path) -> None:
    with LiveServer(Settings(data_dir=tmp_path / "empty")) as server:
        for path, params in [
            ("/api/search", {"q": "dân vận"}),
            ("/api/documents/x", {}),
            ("/api/suggest", {"q": "dân"}),
        ]:
            r = httpx.get(server.url + path, params=params, timeout=10)
            assert r.status_code == 503, path
            assert r.json()["error"]["code"] == "no_index"
        health = httpx.get(server.url + "/healthz", timeout=10)
        assert health.status_code == 503 and health.json()["status"] == "no_index"
        for path in ("/", "/search?q=dan+van", "/van-ban/x"):
            page = httpx.get(server.url + path, timeout=10)
            assert page.status_code == 503, path
            assert "Chưa có dữ liệu để tìm kiếm" in page.text
