"""bench/cgroup.py: a command run in a memory cgroup, its anonymous memory and OOM kills counted;
and bench.scale's run with the server confined to one (real uvicorn workers, a real cgroup).

Creating a cgroup needs root and a writable memory controller: CI runs as root; elsewhere the
tests are skipped and say why.
"""

from __future__ import annotations

import ctypes
import mmap
import subprocess
import sys
from pathlib import Path

import pytest

from bench import cgroup, scale

DEMO = Path(__file__).resolve().parents[2] / "demo" / "vi_news_demo.jsonl.gz"
WHY = cgroup.unavailable()
pytestmark = pytest.mark.skipif(WHY is not None, reason=f"no memory cgroup here: {WHY}")

# Touches `mb` MiB of its own memory page by page, holds it a moment, prints "done".
_ALLOC = (
    "import time; b = bytearray({mb} << 20); b[::4096] = b'x' * len(b[::4096]); "
    "time.sleep(0.6); print('done')"
)


def _run_in(group: cgroup.MemoryCgroup, mb: int) -> subprocess.CompletedProcess[str]:
    cmd = group.wrap([sys.executable, "-c", _ALLOC.format(mb=mb)])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def test_a_process_within_the_limit_runs_and_its_memory_is_counted() -> None:
    group = cgroup.MemoryCgroup(256)
    try:
        done = _run_in(group, 120)
    finally:
        figures = group.close()
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr
    assert figures.oom_kills == 0
    assert 120 <= figures.anon_peak_mb < 256  # its bytearray, sampled while held
    assert 120 <= figures.peak_mb <= 256
    assert not group.path.exists()


def test_a_process_past_the_limit_is_killed_and_counted() -> None:
    group = cgroup.MemoryCgroup(96)
    try:
        done = _run_in(group, 300)
    finally:
        figures = group.close()
    assert done.returncode == -9 and "done" not in done.stdout
    assert figures.oom_kills == 1
    assert figures.peak_mb <= 96.5


def _cached_pages(path: Path) -> int:
    """Pages of the file in the page cache: mincore(2) on a private mapping never written to."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    size = path.stat().st_size
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    with path.open("rb") as f, mmap.mmap(f.fileno(), size, access=mmap.ACCESS_COPY) as m:
        area = (ctypes.c_char * size).from_buffer(m)
        vec = ctypes.create_string_buffer(pages)
        try:
            assert libc.mincore(ctypes.addressof(area), size, vec) == 0, ctypes.get_errno()
        finally:
            del area
    return sum(b & 1 for b in vec.raw)


def test_evict_drops_a_files_pages_from_the_page_cache(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "f"
    path.write_bytes(b"x" * (3 << 20))
    path.read_bytes()  # in the page cache now
    assert _cached_pages(path) >= 700  # of 768 pages of 4 KB
    assert cgroup.evict(tmp_path) == 3 << 20
    assert _cached_pages(path) <= 8


def test_scale_runs_the_server_confined(tmp_path: Path) -> None:
    out = tmp_path / "scale.md"
    argv = ["--data", str(DEMO), "--sizes", "400", "--per-kind", "2", "--nightly", "0"]
    argv += ["--concurrency", "1", "--http-seconds", "60", "--memory-limit", "1500"]
    argv += ["--cache", str(tmp_path / "cache"), "--out", str(out)]
    assert scale.main(argv) == 0
    md = out.read_text(encoding="utf-8")
    row = next(line for line in md.splitlines() if line.startswith("| 400 | 1,500 | 1 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[5:7] == ["0", "0"]  # no error, no OOM kill
    peak, anon = float(cells[7].replace(",", "")), float(cells[8].replace(",", ""))
    assert 0 < anon <= peak <= 1500  # the workers' memory, charged to the group
    assert "the server confined to 1,500 MB (memory cgroup), c=1" in md
    assert "runs within it" in md
    back = scale.earlier(out)[0].limited[1]
    assert back.oom_kills == 0 and back.cg_limit_mb == 1500 and len(back.ms) == 20
