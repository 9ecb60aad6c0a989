"""Edges an operator meets: an empty or not-yet-built index, dates at the ends of the calendar."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest

from indexer.articles import ArticleDB
from indexer.cli import main
from indexer.config import Settings
from indexer.errors import IndexMissing
from indexer.layout import DataDir
from search.engine import Engine
from search.params import DATE_MAX, parse_search_params
from search.types import SearchRequest
from tests.conftest import LiveServer


def _initialised_without_index(path: Path) -> Path:
    """A data directory as a first import killed before its index went live leaves it."""
    path.mkdir()
    ArticleDB(DataDir(path).articles_db).close()
    return path


def test_initialised_data_dir_without_index_answers_no_results(tmp_path: Path) -> None:
    data = _initialised_without_index(tmp_path / "data")
    engine = Engine(data)
    try:
        result = engine.search(SearchRequest(q="ủy ban"))
        assert (result.total, result.hits) == (0, [])
        assert engine.facets() == {"site": [], "category": [], "doc_type": []}
        assert engine.suggest("ủy") == []
        assert engine.doc_count() == 0
    finally:
        engine.close()
    with LiveServer(Settings(data_dir=data)) as server:
        api = httpx.get(f"{server.url}/api/search", params={"q": "ủy ban"})
        assert api.status_code == 200 and api.json()["total"] == 0
        page = httpx.get(f"{server.url}/search", params={"q": "ủy ban"})
        assert page.status_code == 200


def test_a_data_dir_never_initialised_is_still_missing(tmp_path: Path) -> None:
    engine = Engine(tmp_path / "nothing")
    with pytest.raises(IndexMissing):
        engine.search(SearchRequest(q="x"))
    engine.close()


def test_first_import_without_a_valid_line_then_search(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', "utf-8")
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "index", "import", str(bad)]) == 0
    capsys.readouterr()
    assert main(["search", "ủy ban", "--data-dir", data]) == 0
    assert capsys.readouterr().out.startswith("0 kết quả")


def test_dates_at_the_ends_of_the_calendar_clamp() -> None:
    req = parse_search_params({"from": "0001-01-01", "to": "9999-12-31"})
    assert req.date_from == date(1, 1, 1)
    assert req.date_to == DATE_MAX < date(9999, 12, 31)


def test_far_dates_answer_in_api_page_and_cli(
    live_server: LiveServer, corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    everything = httpx.get(f"{live_server.url}/api/search", params={"q": ""}).json()["total"]
    params = {"q": "", "from": "0001-01-01", "to": "9999-12-31"}
    api = httpx.get(f"{live_server.url}/api/search", params=params)
    assert api.status_code == 200, api.text
    assert 0 < api.json()["total"] <= everything  # undated articles do not pass a date filter
    page = httpx.get(f"{live_server.url}/search", params=params)
    assert page.status_code == 200
    code = main(["--data-dir", str(corpus_dir), "search", "--to", "9999-12-31", "ủy ban"])
    assert code == 0
    assert "kết quả" in capsys.readouterr().out
