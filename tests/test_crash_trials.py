"""Crash trials: SIGKILL of a writer's main process or of one of its indexing processes.

Whatever is killed and when, the next run proceeds (no stale lock, no stuck child) and ends with
every article present exactly once; a killed child fails its import loudly and marks nothing it
did not index. Real `tracuu` processes on a real data directory; the worker-process path is
taken from 50 articles on (TRACUU_INDEX_MULTIPROCESS_MIN) so that a few hundred articles do.
The random trials are marked slow; `python -m tests.test_crash_trials` prints their table.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from indexer.articles import ArticleDB
from indexer.layout import DataDir
from indexer.store import open_index_readonly
from tests.conftest import ARTICLES

ROOT = Path(__file__).resolve().parents[1]
ENV = {"TRACUU_INDEX_PROCS": "2", "TRACUU_INDEX_MULTIPROCESS_MIN": "50"}


def corpus(path: Path, copies: int) -> list[str]:
    """A JSONL file of `copies` renamed copies of the fixture articles; their ids."""
    base = [json.loads(x) for x in ARTICLES.read_text("utf-8").splitlines()]
    objs = [dict(a, id=f"{a['id']}-{i}") for i in range(copies) for a in base]
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), "utf-8")
    return sorted(o["id"] for o in objs)


def tracuu(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "indexer.cli", "--data-dir", str(data), *args]


def start(cmd: list[str]) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **ENV)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(cmd: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **ENV)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL proc and reap it (closing its pipes)."""
    proc.send_signal(signal.SIGKILL)
    proc.communicate()


def children(pid: int) -> list[int]:
    """Direct child processes of pid (Linux /proc)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def alive(pid: int) -> bool:
    """True while pid runs (a zombie counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for_children(proc: subprocess.Popen[str], count: int, timeout: float = 60) -> list[int]:
    """The first `count` children of proc once they exist (the indexing processes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = children(proc.pid)
        if len(found) >= count:
            return found
        if proc.poll() is not None:
            raise AssertionError(f"ended before its children started: {proc.returncode}")
        time.sleep(0.01)
    raise AssertionError("no indexing processes appeared")


def indexed_ids(data: Path) -> list[str]:
    ix = open_index_readonly(data)
    try:
        with ix.searcher() as s:
            return sorted(f["id"] for f in s.all_stored_fields())
    finally:
        ix.close()


def pending_ids(data: Path) -> list[str]:
    db = ArticleDB(DataDir(data).articles_db, readonly=True)
    try:
        return sorted(db.pending()[0])
    finally:
        db.close()


def assert_children_die(pids: list[int], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids):
        assert time.monotonic() < deadline, f"children outlived their parent: {pids}"
        time.sleep(0.05)


def test_killed_import_takes_its_children_along_and_the_next_run_completes(
    tmp_path: Path,
) -> None:
    data, src = tmp_path / "data", tmp_path / "in.jsonl"
    ids = corpus(src, 8)
    proc = start(tracuu(data, "index", "import", str(src)))
    kids = wait_for_children(proc, 1)
    kill(proc)
    assert_children_die(kids)
    rerun = run(tracuu(data, "index", "import", str(src)))  # no stale lock: exit 0, not 75
    assert rerun.returncode == 0, rerun.stderr
    assert indexed_ids(data) == ids  # each exactly once
    assert pending_ids(data) == []


def test_a_killed_indexing_process_fails_the_import_and_marks_nothing(tmp_path: Path) -> None:
    data, src = tmp_path / "data", tmp_path / "in.jsonl"
    ids = corpus(src, 8)
    proc = start(tracuu(data, "index", "import", str(src)))
    kid = wait_for_children(proc, 1)[0]
    os.kill(kid, signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, (out, err)
    assert "indexing failed" in err and f"pid {kid}" in err
    assert "imported" not in out
    # Nothing of the failed write is marked done: what it stored (an import stores each batch
    # before its workers get it, and stops at the failure) is all pending, none of it indexed.
    pending = pending_ids(data)
    assert pending and set(pending) <= set(ids)
    db = ArticleDB(DataDir(data).articles_db, readonly=True)
    try:
        assert db.count() == len(pending)
    finally:
        db.close()
    live = DataDir(data).live_index()
    assert live is None or indexed_ids(data) == []
    rerun = run(tracuu(data, "index", "import", str(src)))
    assert rerun.returncode == 0, rerun.stderr
    assert indexed_ids(data) == ids
    assert pending_ids(data) == []


def test_a_killed_rebuild_keeps_the_live_index_and_the_next_rebuild_cleans_up(
    tmp_path: Path,
) -> None:
    data, src = tmp_path / "data", tmp_path / "in.jsonl"
    ids = corpus(src, 8)
    assert run(tracuu(data, "index", "import", str(src))).returncode == 0
    live = DataDir(data).live_index()
    proc = start(tracuu(data, "index", "rebuild"))
    kids = wait_for_children(proc, 1)
    kill(proc)
    assert_children_die(kids)
    assert DataDir(data).live_index() == live and indexed_ids(data) == ids
    half_built = DataDir(data).index_folders()[-1]
    assert half_built != live
    again = run(tracuu(data, "index", "rebuild"))
    assert again.returncode == 0, again.stderr
    assert not half_built.exists() or DataDir(data).live_index() == half_built
    assert live is not None and live.exists()  # the previous live folder stays for its readers
    assert DataDir(data).live_index() != live
    assert indexed_ids(data) == ids


# -- random trials (slow): import, rebuild, crawl and OCR, the main process or a child killed ----


@dataclass
class Trial:
    """One fault injected, and what the next run ended with."""

    operation: str
    victim: str  # "main" or "child"
    after_s: float
    injected: bool
    exit_after: int
    expected: int
    found: int
    lost: int
    duplicated: int


def _outcome(data: Path, expected: list[str]) -> tuple[int, int, int]:
    ids = indexed_ids(data)
    return len(ids), len(set(expected) - set(ids)), len(ids) - len(set(ids))


def _kill_at_random(
    proc: subprocess.Popen[str], rng: random.Random, victim: str, window: float
) -> tuple[float, bool]:
    """SIGKILL proc (main: a random time after its start) or one of its children (a random
    time after they appear); the delay, and whether the fault was injected at all."""
    t0 = time.monotonic()
    if victim == "child":
        while not children(proc.pid) and proc.poll() is None and time.monotonic() - t0 < 60:
            time.sleep(0.005)
        window = 0.8
    deadline = time.monotonic() + rng.uniform(0.05, window)
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    after = time.monotonic() - t0
    kids = children(proc.pid)
    if proc.poll() is not None or (victim == "child" and not kids):
        proc.communicate(timeout=300)
        return after, False
    if victim == "child":
        os.kill(rng.choice(kids), signal.SIGKILL)
        proc.communicate(timeout=300)
        return after, True
    kill(proc)
    assert_children_die(kids, timeout=20)
    return after, True


def import_trial(tmp: Path, rng: random.Random, victim: str, rebuild: bool) -> Trial:
    data, src = tmp / "data", tmp / "in.jsonl"
    ids = corpus(src, rng.choice((4, 8, 12)))
    if rebuild:
        assert run(tracuu(data, "index", "import", str(src))).returncode == 0
        cmd = tracuu(data, "index", "rebuild")
    else:
        cmd = tracuu(data, "index", "import", str(src))
    after, injected = _kill_at_random(start(cmd), rng, victim, 6.0)
    again = run(cmd)
    found, lost, dup = _outcome(data, ids)
    name = "rebuild" if rebuild else "import"
    return Trial(name, victim, after, injected, again.returncode, len(ids), found, lost, dup)


def _sites_toml(path: Path, portal: Any, ocr_minutes: float) -> Path:
    lines = ["[tracuu]", "crawl_delay = 0.0", "crawl_rate = 0.0"]
    lines += [f"ocr_budget_minutes = {ocr_minutes}", 'user_agent = "tracuu/0.1"', ""]
    for table in portal.site_tables():
        lines += ["[[site]]", f'name = "{table["name"]}"', f'url = "{table["url"]}"', ""]
    path.write_text("\n".join(lines), "utf-8")
    return path


def crawl_trial(tmp: Path, rng: random.Random, portal: Any, expected: list[str]) -> Trial:
    data, config = tmp / "data", _sites_toml(tmp / "sites.toml", portal, 0.0)
    cmd = tracuu(data, "--config", str(config), "crawl")
    after, injected = _kill_at_random(start(cmd), rng, "main", 8.0)
    again = run(cmd)
    found, lost, dup = _outcome(data, expected)
    return Trial(
        "crawl", "main", after, injected, again.returncode, len(expected), found, lost, dup
    )


def ocr_trial(tmp: Path, rng: random.Random, portal: Any, victim: str) -> Trial:
    data, config = tmp / "data", _sites_toml(tmp / "sites.toml", portal, 0.0)
    assert run(tracuu(data, "--config", str(config), "crawl")).returncode == 0
    before = indexed_ids(data)
    cmd = tracuu(data, "--config", str(config), "ocr", "--budget-minutes", "0.3")
    after, injected = _kill_at_random(start(cmd), rng, victim, 10.0)
    again = run(cmd)
    found, lost, dup = _outcome(data, before)
    return Trial("ocr", victim, after, injected, again.returncode, len(before), found, lost, dup)


def trials(
    tmp: Path, count: int, seed: int, kinds: tuple[str, ...] = ("import", "rebuild", "crawl", "ocr")
) -> list[Trial]:
    """`count` rounds of each kind of trial, at random points (seeded)."""
    from tests.fixtures.docportal.server import DocPortal

    rng = random.Random(seed)
    done: list[Trial] = []
    with DocPortal() as portal:
        reference = tmp / "reference"
        config = _sites_toml(reference.with_suffix(".toml"), portal, 0.0)
        assert run(tracuu(reference, "--config", str(config), "crawl")).returncode == 0
        expected = indexed_ids(reference)
        makers: list[tuple[str, Callable[[Path], Trial]]] = [
            ("import", lambda t: import_trial(t, rng, "main", False)),
            ("import", lambda t: import_trial(t, rng, "child", False)),
            ("rebuild", lambda t: import_trial(t, rng, "main", True)),
            ("rebuild", lambda t: import_trial(t, rng, "child", True)),
            ("crawl", lambda t: crawl_trial(t, rng, portal, expected)),
            ("ocr", lambda t: ocr_trial(t, rng, portal, rng.choice(("main", "child")))),
        ]
        for i in range(count):
            for k, (kind, make) in enumerate(makers):
                if kind not in kinds:
                    continue
                folder = tmp / f"t{i}-{k}"
                folder.mkdir()
                done.append(make(folder))
    return done


def table(done: list[Trial]) -> str:
    """The README's table: per operation and victim, trials, faults injected, articles lost."""
    rows = [
        "| operation | killed | trials | faults injected | next run ok | articles | lost "
        "| duplicated |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    keys = sorted({(t.operation, t.victim) for t in done})
    for op, victim in keys:
        group = [t for t in done if (t.operation, t.victim) == (op, victim)]
        rows.append(
            f"| {op} | {victim} | {len(group)} | {sum(t.injected for t in group)} "
            f"| {sum(t.exit_after == 0 for t in group)} | {sum(t.expected for t in group)} "
            f"| {sum(t.lost for t in group)} | {sum(t.duplicated for t in group)} |"
        )
    return "\n".join(rows)


def _check(done: list[Trial]) -> None:
    assert sum(t.injected for t in done) >= len(done) // 2  # the faults really hit
    for t in done:
        assert t.exit_after == 0, t
        assert t.lost == 0 and t.duplicated == 0 and t.found == t.expected, t


@pytest.mark.slow
def test_random_crash_trials_lose_nothing(tmp_path: Path) -> None:
    done = trials(tmp_path, int(os.environ.get("TRACUU_TRIALS", "2")), seed=13)
    print("\n" + table(done))
    _check([t for t in done if t.operation != "crawl"])


def _stored_pages(data: Path) -> int:
    """Pages the crawl has fetched and kept so far (0 before crawl.sqlite exists)."""
    import sqlite3

    path = DataDir(data).crawl_db
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute("SELECT count(*) FROM pages WHERE raw IS NOT NULL").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is being created
        return 0
    finally:
        conn.close()


def test_a_crawl_killed_after_storing_pages_leaves_their_links_to_the_next_run(
    tmp_path: Path,
) -> None:
    """Killed once the listings are stored but before the articles they link are visited: the
    next run (listings not due again yet) still visits every one of them."""
    from tests.fixtures.docportal.server import DocPortal

    with DocPortal() as portal:
        reference = tmp_path / "reference"
        config = _sites_toml(reference.with_suffix(".toml"), portal, 0.0)
        assert run(tracuu(reference, "--config", str(config), "crawl")).returncode == 0
        expected = indexed_ids(reference)
        data = tmp_path / "data"
        cmd = tracuu(data, "--config", str(config), "crawl")
        proc = start(cmd)
        t0 = time.monotonic()
        while _stored_pages(data) < 6 and proc.poll() is None and time.monotonic() - t0 < 120:
            time.sleep(0.002)
        assert proc.poll() is None, "the crawl ended before it could be killed"
        kill(proc)
        assert _stored_pages(data) < len(expected)  # killed early: most is still to come
        again = run(cmd)
        assert again.returncode == 0, again.stderr
        found, lost, dup = _outcome(data, expected)
        assert (found, lost, dup) == (len(expected), 0, 0)


@pytest.mark.slow
def test_random_crawl_kills_lose_nothing(tmp_path: Path) -> None:
    done = trials(tmp_path, int(os.environ.get("TRACUU_TRIALS", "2")), seed=13, kinds=("crawl",))
    print("\n" + table(done))
    _check(done)


if __name__ == "__main__":  # python -m tests.test_crash_trials [ROUNDS]: the README's table
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(table(trials(Path(tmp), int(sys.argv[1]) if len(sys.argv) > 1 else 5, seed=13)))
