"""A server measured inside a memory cgroup: a hard limit on its memory, page cache included.

`server RSS ≤ 2 GB` asks whether the search server fits an ordinary machine. Summed VmRSS
answers it badly: a page of a memory-mapped index file counts once per worker that touched it,
and the pages of files read with pread count nowhere. A memory cgroup answers it directly: the
kernel charges the group every page its processes use — their own (anonymous) memory and the
page cache their reads bring in — and, at the limit, reclaims the group's cache or, if that is
not enough, kills a process of the group (an OOM kill, counted here). The run's figures under
the limit (latency, errors, OOM kills, anonymous memory at its peak) say whether it fits.

The cgroup v1 memory controller (`/sys/fs/cgroup/memory`) or cgroup v2 with the memory
controller; creating a group needs root. Before the server starts, the data directory's files are
dropped from the page cache (posix_fadvise DONTNEED): a page already cached would be charged to
whoever read it first, not to the group.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

V1 = Path("/sys/fs/cgroup/memory")
V2 = Path("/sys/fs/cgroup")
MB = 1024 * 1024


@dataclass
class CgroupFigures:
    """What the kernel accounted to the group during a run."""

    limit_mb: float
    peak_mb: float = 0.0  # the group's peak charge: anonymous memory and page cache
    anon_peak_mb: float = 0.0  # anonymous memory at its sampled peak (the processes' own)
    oom_kills: int = 0
    limit_hits: int = 0  # times the charge reached the limit and the kernel reclaimed (v1)


def unavailable() -> str | None:
    """Why no memory cgroup can be made here (None: one can)."""
    if os.geteuid() != 0:
        return "creating a memory cgroup needs root"
    if (V1 / "memory.limit_in_bytes").exists() and os.access(V1, os.W_OK):
        return None
    if "memory" in _read(V2 / "cgroup.subtree_control").split():
        return None
    return "no writable cgroup memory controller (/sys/fs/cgroup/memory or cgroup v2 'memory')"


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _stat(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        with contextlib.suppress(ValueError):
            out[key] = int(value)
    return out


def evict(folder: Path) -> int:
    """Drop the files under `folder` from the page cache (pages no process maps); bytes asked."""
    total = 0
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)  # dirty pages are not dropped
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            total += os.fstat(fd).st_size
        finally:
            os.close(fd)
    return total


class MemoryCgroup:
    """A fresh memory cgroup limited to `limit_mb`; `wrap(cmd)` runs a command inside it."""

    def __init__(self, limit_mb: float, name: str | None = None) -> None:
        why = unavailable()
        if why:
            raise RuntimeError(why)
        self.v1 = (V1 / "memory.limit_in_bytes").exists()
        self.path = (V1 if self.v1 else V2) / (name or f"tracuu-bench-{os.getpid()}")
        self.path.mkdir()
        limit = str(int(limit_mb * MB))
        if self.v1:
            (self.path / "memory.limit_in_bytes").write_text(limit)
        else:
            (self.path / "memory.max").write_text(limit)
            (self.path / "memory.swap.max").write_text("0")
        self.figures = CgroupFigures(limit_mb)
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def wrap(self, cmd: list[str]) -> list[str]:
        """`cmd` started inside the group (its children, the server's workers, stay in it)."""
        procs = str(self.path / "cgroup.procs")
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', procs, *cmd]

    def _anon_bytes(self) -> int:
        stat = _stat(_read(self.path / "memory.stat"))
        return stat.get("total_rss", stat.get("rss", 0)) if self.v1 else stat.get("anon", 0)

    def _sample(self) -> None:
        while not self._done.wait(0.25):
            anon = self._anon_bytes() / MB
            self.figures.anon_peak_mb = max(self.figures.anon_peak_mb, anon)
            if not self.v1:  # memory.peak is kernel ≥ 5.19; sample the charge as well
                current = int(_read(self.path / "memory.current") or 0) / MB
                self.figures.peak_mb = max(self.figures.peak_mb, current)

    def close(self) -> CgroupFigures:
        """The run's figures; the group removed (its processes must have ended)."""
        self._done.set()
        self._sampler.join(5)
        f = self.figures
        if self.v1:
            f.peak_mb = int(_read(self.path / "memory.max_usage_in_bytes") or 0) / MB
            f.limit_hits = int(_read(self.path / "memory.failcnt") or 0)
            f.oom_kills = _stat(_read(self.path / "memory.oom_control")).get("oom_kill", 0)
        else:
            f.peak_mb = max(f.peak_mb, int(_read(self.path / "memory.peak") or 0) / MB)
            f.oom_kills = _stat(_read(self.path / "memory.events")).get("oom_kill", 0)
        for _ in range(50):  # the last process may take a moment to leave
            try:
                self.path.rmdir()
                break
            except OSError:
                time.sleep(0.1)
        return f
