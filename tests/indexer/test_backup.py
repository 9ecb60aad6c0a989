"""`tracuu index backup|restore` on a data directory a live server is serving."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from indexer.cli import main
from indexer.config import Settings
from indexer.errors import BackupError, IndexBusy
from indexer.importer import import_files
from indexer.layout import DataDir
from indexer.store import Store
from tests.conftest import ARTICLES, LiveServer, build_data_dir


def _total(server: LiveServer, q: str) -> int:
    r = httpx.get(f"{server.url}/api/search", params={"q": q}, timeout=10)
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


def test_backup_while_serving_and_restore_elsewhere(tmp_path: Path) -> None:
    data, bak, other = tmp_path / "data", tmp_path / "bak", tmp_path / "other"
    build_data_dir(data)
    with LiveServer(Settings(data_dir=data)) as server:
        before = _total(server, "ủy ban")
        assert main(["index", "backup", str(bak), "--data-dir", str(data)]) == 0
        assert _total(server, "ủy ban") == before > 0  # the server never stopped answering
    manifest = json.loads((bak / "BACKUP.json").read_text())
    assert manifest["databases"] == ["articles.sqlite"] and manifest["index_files"] > 0
    assert main(["index", "restore", str(bak), "--data-dir", str(other)]) == 0
    with LiveServer(Settings(data_dir=other)) as server:
        assert _total(server, "ủy ban") == before


def test_restore_refuses_a_non_empty_dir_unless_forced_and_then_swaps_live(
    tmp_path: Path,
) -> None:
    data, bak = tmp_path / "data", tmp_path / "bak"
    build_data_dir(data)
    with Store(tmp_path / "small") as store:  # a backup of another, smaller archive
        new = tmp_path / "one.jsonl"
        one = {"id": "moi", "title": "Lễ hội cà phê xã Pơng Drang", "body": "Nội dung"}
        new.write_text(json.dumps(one, ensure_ascii=False) + "\n", "utf-8")
        import_files(store, [new])
    assert main(["index", "backup", str(bak), "--data-dir", str(tmp_path / "small")]) == 0
    with pytest.raises(BackupError, match="not empty"):
        from indexer.backup import restore

        restore(bak, data)
    with LiveServer(Settings(data_dir=data)) as server:
        assert _total(server, "Pơng Drang") == 0 and _total(server, "ủy ban") > 0
        assert main(["index", "restore", str(bak), "--force", "--data-dir", str(data)]) == 0
        deadline = time.monotonic() + 10
        while _total(server, "Pơng Drang") == 0:  # the restored index went live, no restart
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert _total(server, "ủy ban") == 0
    assert DataDir(data).live_index() != DataDir(data).index_folders()[0]


def test_backup_waits_for_no_writer_and_refuses_a_non_empty_target(tmp_path: Path) -> None:
    data = build_data_dir(tmp_path / "data", ARTICLES)
    from indexer.backup import backup

    with Store(data), pytest.raises(IndexBusy):
        backup(data, tmp_path / "bak")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(BackupError, match="not empty"):
        backup(data, tmp_path / "full")
    with pytest.raises(BackupError, match="not a tracuu backup"):
        from indexer.backup import restore

        restore(tmp_path / "full", tmp_path / "new")
