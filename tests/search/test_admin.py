"""Admin actions over HTTP: absent without a token, refused with a wrong one, run with the right."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from indexer.config import Settings
from indexer.layout import DataDir
from indexer.store import write_lock
from search.admin import token_ok
from tests.conftest import FIXTURES, LiveServer, build_data_dir

TOKEN = "s3cret-Token_0123456789abcdef"


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    return build_data_dir(tmp_path / "data", FIXTURES / "page_articles.jsonl")


def test_admin_routes_do_not_exist_without_a_token(data: Path) -> None:
    with LiveServer(Settings(data_dir=data)) as s:
        for auth in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer x"}):
            r = httpx.post(s.url + "/admin/reindex", headers=auth)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert DataDir(data).live_index() == DataDir(data).index_folders()[-1]
    assert len(DataDir(data).index_folders()) == 1  # nothing was rebuilt


def test_a_wrong_or_missing_token_is_401(data: Path) -> None:
    with LiveServer(Settings(data_dir=data, admin_token=TOKEN)) as s:
        for auth in ({}, {"Authorization": "Bearer " + TOKEN[:-1]},
                     {"Authorization": "Basic " + TOKEN}, {"Authorization": TOKEN}):
            r = httpx.post(s.url + "/admin/reindex", headers=auth)
            assert r.status_code == 401, auth
            assert r.json()["error"]["code"] == "unauthorized"
            assert r.headers["www-authenticate"] == "Bearer"
        assert httpx.get(s.url + "/admin/reindex").status_code == 405  # never on a GET
        r = httpx.post(s.url + "/admin/xoa-het", headers={"Authorization": "Bearer " + TOKEN})
        assert r.status_code == 404
    assert len(DataDir(data).index_folders()) == 1


def test_reindex_with_the_token_rebuilds_while_serving(data: Path) -> None:
    before = DataDir(data).live_index()
    with LiveServer(Settings(data_dir=data, admin_token=TOKEN)) as s:
        r = httpx.post(s.url + "/admin/reindex", headers={"Authorization": "Bearer " + TOKEN})
        assert r.status_code == 202, r.text
        assert r.json()["action"] == "reindex"
        pid = r.json()["pid"]
        assert s.app.state.admin_jobs.wait(pid, 60) == 0
        after = DataDir(data).live_index()
        assert after is not None and after != before
        deadline = time.monotonic() + 10
        while httpx.get(s.url + "/healthz").json()["index"] != after.name:
            assert time.monotonic() < deadline, "the server never saw the rebuilt index"
            time.sleep(0.1)
        assert httpx.get(s.url + "/api/search", params={"q": "huyện"}).json()["total"] > 0


def test_reindex_while_a_writer_holds_the_lock_is_409(data: Path) -> None:
    with LiveServer(Settings(data_dir=data, admin_token=TOKEN)) as s, write_lock(DataDir(data)):
        r = httpx.post(s.url + "/admin/reindex", headers={"Authorization": "Bearer " + TOKEN})
        assert r.status_code == 409 and r.json()["error"]["code"] == "busy"


def test_token_check() -> None:
    on = Settings(admin_token=TOKEN)
    assert token_ok(on, "Bearer " + TOKEN) and token_ok(on, "bearer " + TOKEN)
    assert not token_ok(on, None) and not token_ok(on, "Bearer") and not token_ok(on, TOKEN)
    assert not token_ok(Settings(), "Bearer ")  # no token configured: nothing matches
