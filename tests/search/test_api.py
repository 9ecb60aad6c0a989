"""The HTTP API against a real uvicorn server on 127.0.0.1 over the fixture corpus."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from indexer.config import Settings
from indexer.store import Store
from search.errors import MESSAGES
from tests.conftest import ARTICLES, LiveServer, build_data_dir


def get(server: LiveServer, path: str, **params: Any) -> httpx.Response:
    return httpx.get(server.url + path, params=params, timeout=10)


def search(server: LiveServer, **params: Any) -> dict[str, Any]:
    r = get(server, "/api/search", **params)
    assert r.status_code == 200, r.text
    return r.json()


def titles(res: dict[str, Any]) -> list[str]:
    return [h["title"] for h in res["hits"]]


def article(id_: str) -> dict[str, Any]:
    for line in ARTICLES.read_text("utf-8").splitlines():
        obj = json.loads(line)
        if obj["id"] == id_:
            return obj
    raise KeyError(id_)


def test_response_shape(live_server: LiveServer) -> None:
    res = search(live_server, q="Ủy ban nhân dân")
    assert set(res) == {"query", "total", "page", "size", "took_ms", "hits", "suggestion",
                        "facets", "showing"}
    assert res["total"] > 0
    assert set(res["hits"][0]) == {
        "id",
        "url",
        "title",
        "snippet",
        "published",
        "site",
        "category",
        "doc_type",
        "doc_number",
        "author",
        "score",
        "issuer",
        "signed",
        "attachment",
    }


def test_without_diacritics_finds_the_accented_words(live_server: LiveServer) -> None:
    exact = search(live_server, q="dân vận", size=50)
    folded = search(live_server, q="dan van", size=50)
    assert folded["total"] == exact["total"] > 0
    # Articles that really say 'dân vận' come before those with 'dân' and 'vận' apart.
    has = ["dân vận" in article(h["id"])["body"].lower() for h in exact["hits"]]
    assert any(has)
    assert has == sorted(has, reverse=True)


@pytest.mark.parametrize(
    ("variant", "reference"),
    [("hoà bình", "hòa bình"), (unicodedata.normalize("NFD", "hòa bình"), "hòa bình")],
    ids=["hoà", "NFD"],
)
def test_tone_placement_and_nfd_do_not_matter(
    live_server: LiveServer, variant: str, reference: str
) -> None:
    a, b = search(live_server, q=variant), search(live_server, q=reference)
    assert a["total"] == b["total"] > 0
    assert [h["id"] for h in a["hits"]] == [h["id"] for h in b["hits"]]


def test_abbreviation_matches_expansion_and_back(live_server: LiveServer) -> None:
    abbr = search(live_server, q="UBND", size=50)
    full = search(live_server, q="ủy ban nhân dân", size=50)
    assert abbr["total"] == full["total"]
    ids = [h["id"] for h in abbr["hits"]]
    bodies = [article(i)["title"] + article(i)["body"] for i in ids]
    assert any("UBND" not in b for b in bodies)  # found through the expansion
    assert any("UBND" in b and "ủy ban nhân dân" not in b.lower() for b in bodies)


@pytest.mark.parametrize(
    "q",
    ["123/KH-UBND", "123/kh-ubnd", "45/2021/QĐ-UBND", "45/2021/qd-ubnd", "05-CT/HU"],
    ids=["as written", "lower", "QĐ", "folded", "05-CT/HU"],
)
def test_document_numbers(live_server: LiveServer, q: str) -> None:
    res = search(live_server, q=q)
    assert res["total"] >= 1
    assert res["hits"][0]["doc_number"].lower().replace("đ", "d") == (q.lower().replace("đ", "d"))


def test_filters_sort_and_paging(live_server: LiveServer) -> None:
    res = search(live_server, q="", doc_type="kế hoạch")
    assert res["total"] == 1 and res["hits"][0]["doc_number"] == "123/KH-UBND"
    ranged = search(live_server, q="", **{"from": "2021-01-01", "to": "2021-12-31"}, size=50)
    assert ranged["total"] > 0
    assert all("2021-01-01" <= h["published"] <= "2021-12-31" for h in ranged["hits"])
    newest = search(live_server, q="xã", sort="newest", size=50)
    dates = [h["published"] for h in newest["hits"]]
    assert dates == sorted(dates, reverse=True)
    p1 = search(live_server, q="xã", size=5, page=1)
    p2 = search(live_server, q="xã", size=5, page=2)
    assert p1["total"] == p2["total"] > 10
    assert not {h["id"] for h in p1["hits"]} & {h["id"] for h in p2["hits"]}
    site = search(live_server, q="", site="daksong.daknong.gov.vn", size=50)
    assert site["total"] == 4
    # A filtered query counts only what passes the filter, and a page past the end is empty.
    filtered = search(live_server, q="xã", site="daksong.daknong.gov.vn", size=50)
    assert filtered["total"] == len(filtered["hits"]) <= 4
    nothing = search(live_server, q="xã", **{"from": "1990-01-01", "to": "1990-12-31"})
    assert nothing["total"] == 0 and nothing["hits"] == []
    beyond = search(live_server, q="xã", size=10, page=p1["total"] // 10 + 2)
    assert beyond["hits"] == [] and beyond["total"] == p1["total"]


def test_snippets_are_escaped_with_only_mark(live_server: LiveServer) -> None:
    res = search(live_server, q="huyện", size=20)
    for hit in res["hits"]:
        soup = BeautifulSoup(hit["snippet"], "html.parser")
        assert {t.name for t in soup.find_all(True)} <= {"mark"}
    assert any("<mark>" in h["snippet"] for h in res["hits"])


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "x"},
        {"size": "1000"},
        {"sort": "random"},
        {"from": "24/06/2021"},
        {"from": "2021-02-01", "to": "2021-01-01"},
    ],
    ids=["page 0", "page x", "size", "sort", "date format", "range"],
)
def test_invalid_parameters_are_400(live_server: LiveServer, params: dict[str, str]) -> None:
    r = get(live_server, "/api/search", q="xã", **params)
    assert r.status_code == 400
    body = r.json()
    assert set(body["error"]) == {"code", "message"}
    code, message = body["error"]["code"], body["error"]["message"]
    assert code in (f"invalid_{next(iter(params))}", "invalid_range")
    assert not message.isascii(), message  # Vietnamese, with its diacritics
    assert message == MESSAGES[code]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [("GET", "/api/khong-co", 404, "not_found"), ("GET", "/api/", 404, "not_found"),
     ("GET", "/api/search/them", 404, "not_found"), ("POST", "/api/search", 405,
     "method_not_allowed"), ("DELETE", "/api/documents/x", 405, "method_not_allowed")],
    ids=["unknown", "root", "deeper", "post", "delete"],
)
def test_unknown_api_routes_answer_json(
    live_server: LiveServer, method: str, path: str, status: int, code: str
) -> None:
    r = httpx.request(method, live_server.url + path, timeout=10)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"error": {"code": code, "message": MESSAGES[code]}}


def test_missing_document_is_a_json_404_in_vietnamese(live_server: LiveServer) -> None:
    r = get(live_server, "/api/documents/không-có")
    assert r.status_code == 404
    assert r.json()["error"] == {"code": "document_not_found",
                                 "message": "Không có bài viết với mã này."}


def test_an_empty_index_answers_empty_results(tmp_path: Path) -> None:
    """A first import with no valid line leaves an empty index: empty answers, never a 500."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\nkhông phải JSON\n', encoding="utf-8")
    data = build_data_dir(tmp_path / "data", bad)
    with LiveServer(Settings(data_dir=data)) as server:
        res = search(server, q="huyện")
        assert res["total"] == 0 and res["hits"] == []
        assert search(server, q="", site="a.vn", sort="oldest")["total"] == 0
        assert get(server, "/api/suggest", q="huy").json()["suggestions"] == []
        assert get(server, "/healthz").json()["documents"] == 0
        page = get(server, "/search", q="huyện")
        assert page.status_code == 200
        assert "Không tìm thấy kết quả nào" in BeautifulSoup(page.text, "html.parser").get_text()
        assert get(server, "/").status_code == 200
        assert get(server, "/metrics").status_code == 200


def test_a_data_directory_never_imported_answers_503_in_vietnamese(tmp_path: Path) -> None:
    with LiveServer(Settings(data_dir=tmp_path / "trong")) as server:
        r = get(server, "/api/search", q="huyện")
        assert r.status_code == 503
        assert r.json()["error"] == {"code": "no_index", "message": MESSAGES["no_index"]}
        page = get(server, "/search", q="huyện")
        assert page.status_code == 503 and "Chưa có dữ liệu" in page.text
        assert get(server, "/healthz").json()["status"] == "no_index"


def test_documents_health_openapi_suggest(live_server: LiveServer) -> None:
    hit = search(live_server, q="123/KH-UBND")["hits"][0]
    doc = get(live_server, f"/api/documents/{hit['id']}")
    assert doc.status_code == 200 and doc.json()["doc_number"] == "123/KH-UBND"
    assert get(live_server, "/api/documents/không-có").status_code == 404
    health = get(live_server, "/healthz").json()
    assert health["status"] == "ok" and health["documents"] == len(
        ARTICLES.read_text().splitlines()
    )
    spec = get(live_server, "/openapi.json").json()
    assert "/api/search" in spec["paths"]
    sugg = get(live_server, "/api/suggest", q="ủy ban nh").json()
    assert "ủy ban nhân" in sugg["suggestions"]


def test_did_you_mean_restores_diacritics(live_server: LiveServer) -> None:
    res = search(live_server, q="hoi dong nhan dan")
    assert res["suggestion"] == "hội đồng nhân dân"
    assert search(live_server, q="hội đồng nhân dân")["suggestion"] is None


def test_new_articles_visible_without_restart(tmp_path: Path) -> None:
    data = build_data_dir(tmp_path / "data")
    with LiveServer(Settings(data_dir=data)) as server:
        assert search(server, q="Pơng Drang")["total"] == 0
        new = tmp_path / "new.jsonl"
        new.write_text(
            json.dumps(
                {"id": "moi", "title": "Lễ hội cà phê xã Pơng Drang", "body": "Nội dung"},
                ensure_ascii=False,
            )
            + "\n",
            encoding="utf-8",
        )
        from indexer.importer import import_files

        with Store(data) as store:
            import_files(store, [new])
        import time

        deadline = time.monotonic() + 10
        while search(server, q="Pơng Drang")["total"] == 0:
            assert time.monotonic() < deadline, "new article never became visible"
            time.sleep(0.2)


def test_a_search_past_its_time_limit_answers_503_and_the_worker_goes_on(
    corpus_dir: Path,
) -> None:
    """search_seconds bounds a search: stopped between the steps of matching and scoring (or
    before the snippets), a JSON 503 `timeout` in Vietnamese, a page saying so, and the same
    server answers the next request at once."""
    with LiveServer(Settings(data_dir=corpus_dir, search_seconds=0.0)) as server:
        r = httpx.get(server.url + "/api/search", params={"q": "ủy ban nhân dân"}, timeout=10)
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "timeout"
        assert "quá nhiều thời gian" in r.json()["error"]["message"]
        page = httpx.get(server.url + "/search", params={"q": "ủy ban nhân dân"}, timeout=10)
        assert page.status_code == 503 and "quá nhiều thời gian" in page.text
        assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200
    with LiveServer(Settings(data_dir=corpus_dir, search_seconds=10.0)) as server:
        r = httpx.get(server.url + "/api/search", params={"q": "ủy ban nhân dân"}, timeout=10)
        assert r.status_code == 200 and r.json()["total"] > 0
