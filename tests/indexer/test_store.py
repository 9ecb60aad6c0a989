"""The data directory: import, replace, delete, rebuild, one writer, crash recovery."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from indexer.articles import ArticleDB, encode_article
from indexer.cli import main
from indexer.document import Article
from indexer.errors import IndexBusy, MissingInput
from indexer.importer import import_files
from indexer.layout import DataDir
from indexer.stats import index_stats
from indexer.store import Store, open_index_readonly
from tests.conftest import ARTICLES

ROOT = Path(__file__).resolve().parents[2]


def _ids_in_index(data_dir: Path) -> list[str]:
    ix = open_index_readonly(data_dir)
    try:
        with ix.searcher() as s:
            return sorted(f["id"] for f in s.all_stored_fields())
    finally:
        ix.close()


def _write_jsonl(path: Path, objs: list[object]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for o in objs:
            f.write((o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)) + "\n")
    return path


def test_import_reports_bad_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    src = _write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "title": "Hội nghị dân vận", "body": "Nội dung"},
            "{not json",
            {"id": "b", "title": "", "body": "thiếu tiêu đề"},
            {"id": "c", "title": "Ủy ban nhân dân huyện", "body": "Nội dung khác"},
        ],
    )
    with Store(tmp_path / "data") as store:
        report = import_files(store, [src])
    assert report.imported == 2
    assert [(b.line, b.reason.split(":")[0]) for b in report.bad] == [
        (2, "not JSON"),
        (3, "missing required field 'title'"),
    ]
    assert _ids_in_index(tmp_path / "data") == ["a", "c"]


def test_reimport_replaces_never_duplicates(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = _write_jsonl(tmp_path / "1.jsonl", [{"id": "a", "title": "Bản cũ", "body": "x"}])
    second = _write_jsonl(tmp_path / "2.jsonl", [{"id": "a", "title": "Bản mới", "body": "y"}])
    for src in (first, second, second):
        with Store(data) as store:
            import_files(store, [src])
    ix = open_index_readonly(data)
    with ix.searcher() as s:
        docs = list(s.all_stored_fields())
    ix.close()
    assert [d["title"] for d in docs] == ["Bản mới"]


def test_gzip_import_and_truncated_gzip(tmp_path: Path) -> None:
    lines = ARTICLES.read_text("utf-8").splitlines()[:5]
    good = tmp_path / "a.jsonl.gz"
    with gzip.open(good, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    broken = tmp_path / "b.jsonl.gz"
    broken.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with Store(tmp_path / "data") as store:
        report = import_files(store, [good, broken])
    assert report.imported >= 5
    assert report.bad and "unreadable" in report.bad[-1].reason


def test_second_writer_gets_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "title": "t", "body": "b"}])
    with Store(tmp_path / "data"):
        with pytest.raises(IndexBusy):
            Store(tmp_path / "data")
        code = main(["--data-dir", str(tmp_path / "data"), "index", "import", str(src)])
    assert code == 75
    err = capsys.readouterr().err
    assert "another tracuu process is writing" in err
    assert "Traceback" not in err


def test_delete_and_rebuild_swap(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store(data) as store:
        import_files(store, [ARTICLES])
        first = DataDir(data).live_index()
        ids = _ids_in_index(data)
        store.delete(ids[:3])
        store.sync()
        assert _ids_in_index(data) == ids[3:]
        assert store.rebuild() == len(ids) - 3
    assert DataDir(data).live_index() != first
    assert _ids_in_index(data) == ids[3:]


def test_pending_rows_are_indexed_by_the_next_writer(tmp_path: Path) -> None:
    """A writer that stored articles but died before indexing them loses nothing."""
    data = tmp_path / "data"
    with Store(data) as store:
        store.put([Article(id="a", title="Một", body="x")])
        store.sync()
        store.put([Article(id="b", title="Hai", body="y")])  # stored, not yet indexed
    assert _ids_in_index(data) == ["a"]
    with Store(data) as store:
        assert store.sync() == (1, 0)
    assert _ids_in_index(data) == ["a", "b"]


def test_sigkill_mid_import_loses_nothing(tmp_path: Path) -> None:
    """Kill a real import process while it writes; the next run completes the index."""
    data = tmp_path / "data"
    src = tmp_path / "big.jsonl"
    base = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()]
    objs = [dict(a, id=f"{a['id']}-{i}") for i in range(12) for a in base]
    _write_jsonl(src, objs)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [
        sys.executable,
        "-m",
        "indexer.cli",
        "--data-dir",
        str(data),
        "index",
        "import",
        str(src),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Wait until articles are stored (the index is being written), then kill it.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if DataDir(data).articles_db.exists():
            try:
                db = ArticleDB(DataDir(data).articles_db, readonly=True)
                n = db.count()
                db.close()
            except Exception:
                n = 0
            if n >= len(objs) // 2:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # The lock died with the process: a new run can write, and finishes the job.
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    ids = _ids_in_index(data)
    assert len(ids) == len(set(ids)) == len(objs)


def test_parallel_import_matches_single_process(tmp_path: Path) -> None:
    """Big batches go through worker processes; the index holds the same documents and terms."""
    base = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()]
    # Whoosh hands documents to its workers 100 at a time: 213 make work for both.
    src = _write_jsonl(
        tmp_path / "in.jsonl", [dict(a, id=f"{a['id']}-{i}") for i in range(3) for a in base]
    )
    with Store(tmp_path / "one", procs=1) as store:
        import_files(store, [src])
    with Store(tmp_path / "two", procs=2, multiprocess_min=10) as store:
        import_files(store, [src])
    # one segment per worker process: the procs=2 store took the worker-process path
    assert index_stats(tmp_path / "one")["segments"] == 1
    assert index_stats(tmp_path / "two")["segments"] == 2
    assert _ids_in_index(tmp_path / "two") == _ids_in_index(tmp_path / "one")
    ix_one, ix_two = open_index_readonly(tmp_path / "one"), open_index_readonly(tmp_path / "two")
    try:
        with ix_one.searcher() as a, ix_two.searcher() as b:
            for field, term in [("text_f", "dan"), ("text_bi", "nhân dân"), ("title", "xã")]:
                assert a.doc_frequency(field, term) == b.doc_frequency(field, term) > 0
    finally:
        ix_one.close()
        ix_two.close()


def test_a_missing_input_file_is_a_typed_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--data-dir", str(tmp_path / "data"), "index", "import", str(tmp_path / "x")])
    assert code == MissingInput.exit_code == 1
    assert capsys.readouterr().err.strip() == f"tracuu: no such file: {tmp_path / 'x'}"


def _thrice(tmp_path: Path) -> tuple[Path, list[str]]:
    """The fixture articles three times under other ids (213): a JSONL file, the ids sorted."""
    base = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()]
    objs = [dict(a, id=f"{a['id']}-{i}") for i in range(3) for a in base]
    return _write_jsonl(tmp_path / "in.jsonl", objs), sorted(o["id"] for o in objs)


def test_a_big_sync_commits_by_chunks(tmp_path: Path) -> None:
    """Each chunk is committed and settled on its own (a segment each): memory stays that of a
    chunk, and a writer killed after a chunk keeps it."""
    src, ids = _thrice(tmp_path)
    data = tmp_path / "data"
    with Store(data, chunk=100) as store:
        import_files(store, [src])
        assert store.db.pending() == ([], [])
    assert index_stats(data)["segments"] == 3  # 213 articles: 100 + 100 + 13
    assert _ids_in_index(data) == ids


def test_a_rebuild_commits_by_chunks(tmp_path: Path) -> None:
    """A rebuild writes its new index a chunk at a time, as an import does (a writer holds one
    chunk's postings, not the archive's), and holds every stored article once."""
    src, ids = _thrice(tmp_path)
    data = tmp_path / "data"
    with Store(data, chunk=100) as store:
        import_files(store, [src])
        assert store.rebuild() == len(ids) == 213
    assert index_stats(data)["segments"] == 3  # 100 + 100 + 13, as the import
    assert _ids_in_index(data) == ids


def _docs_with(data_dir: Path, field: str, term: str) -> list[str]:
    """Ids of the documents holding a term, through Whoosh's public API."""
    ix = open_index_readonly(data_dir)
    try:
        with ix.searcher() as s:
            return sorted(s.stored_fields(d)["id"] for d in s.document_numbers(**{field: term}))
    finally:
        ix.close()


def test_worker_processes_find_document_numbers_and_capitals_in_bodies(tmp_path: Path) -> None:
    """num_part and abbr_caps are found where the body is indexed (worker processes), not
    in the process reading articles: a number in a body is found by its parts, 'ĐU' written in
    capitals by abbr_caps, 'Đu đủ' not."""
    base = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()]
    objs = [dict(a, id=f"{a['id']}-{i}") for i in range(2) for a in base]
    objs[7]["body"] += " Theo Quyết định số 0224/2005/QĐ-UBND của UBND tỉnh."
    objs[90]["body"] = "Ban Thường vụ ĐU họp. " + objs[90]["body"]
    objs[91]["body"] = "Đu đủ chín cây. " + objs[91]["body"]
    src = _write_jsonl(tmp_path / "in.jsonl", objs)
    data = tmp_path / "data"
    with Store(data, procs=2, multiprocess_min=10) as store:
        import_files(store, [src])
    assert index_stats(data)["segments"] == 2  # one per worker process
    for key in ("224", "224/2005", "224/qd"):
        assert _docs_with(data, "num_part", key) == [objs[7]["id"]]
    caps = _docs_with(data, "abbr_caps", "đu")
    assert objs[90]["id"] in caps and objs[91]["id"] not in caps


def test_an_id_twice_in_one_import_is_indexed_once_the_last_version(tmp_path: Path) -> None:
    """Articles are indexed as they are read: an id met again within a chunk starts the next
    chunk (one commit never adds a document twice), whose commit replaces the first version."""
    objs = [
        {"id": "a", "title": "Hội nghị", "body": "bản đầu"},
        {"id": "b", "title": "Ủy ban", "body": "nội dung"},
        {"id": "a", "title": "Hội nghị", "body": "bản sửa"},
    ]
    data = tmp_path / "data"
    with Store(data) as store:
        report = import_files(store, [_write_jsonl(tmp_path / "in.jsonl", objs)])
        assert store.db.pending() == ([], [])
        stored = store.db.get("a")
    assert report.imported == 3
    assert stored is not None and stored.body == "bản sửa"
    assert _ids_in_index(data) == ["a", "b"]
    assert _docs_with(data, "text", "sửa") == ["a"]
    assert _docs_with(data, "text", "đầu") == []


def test_an_index_of_another_schema_version_asks_for_a_rebuild(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An index written before num_part and abbr_caps were found from the body (version 4) is
    refused with the way out; `tracuu index rebuild` makes it searchable again."""
    data = tmp_path / "data"
    src = _write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "title": "Một", "body": "số 12/KH"}])
    assert main(["--data-dir", str(data), "index", "import", str(src)]) == 0
    folder = DataDir(data).live_index()
    assert folder is not None
    DataDir.version_file(folder).write_text("4\n")
    capsys.readouterr()
    assert main(["--data-dir", str(data), "index", "import", str(src)]) != 0
    err = capsys.readouterr().err
    assert "schema version 4, this tracuu needs 5: run `tracuu index rebuild`" in err
    assert main(["--data-dir", str(data), "index", "rebuild"]) == 0
    assert _docs_with(data, "num_part", "12/kh") == ["a"]


def test_articles_stored_with_zlib_before_read_as_before(tmp_path: Path) -> None:
    """A store written when articles were compressed by stdlib zlib (level 6) reads the same:
    ISA-L writes a zlib stream, and reads zlib's."""
    objs = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()[:5]]
    articles = [Article.from_dict(o)[0] for o in objs]
    db = ArticleDB(tmp_path / "articles.sqlite")
    try:
        db.put_many(articles)
        now = {a.id: encode_article(a) for a in articles}
        for a in articles[:3]:  # three rows as the store wrote them before
            old = zlib.compress(json.dumps(a.to_dict(), ensure_ascii=False).encode("utf-8"), 6)
            assert old != now[a.id]  # two encoders
            assert zlib.decompress(now[a.id]) == zlib.decompress(old)  # one format
            db.conn.execute("UPDATE articles SET doc = ? WHERE id = ?", (old, a.id))
        db.conn.commit()
        stored = dict(db.conn.execute("SELECT id, doc FROM articles"))
        assert sum(stored[a.id] == now[a.id] for a in articles) == 2
        assert [db.get(a.id) for a in articles] == articles
        assert db.get_many([a.id for a in articles]) == {a.id: a for a in articles}
        assert sorted(db.iter_all(batch=2), key=lambda a: a.id) == sorted(
            articles, key=lambda a: a.id
        )
    finally:
        db.close()
