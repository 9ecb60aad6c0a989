"""Admin actions over HTTP (reindex, crawl now): off unless a token is configured.

POST /admin/reindex and /admin/crawl start `tracuu index rebuild` / `tracuu crawl` as a separate
process (the writer holds the data directory's lock, never a server worker) and answer 202 at once.
Without `admin_token` in the settings the routes answer 404, as if they did not exist. The token is
sent as `Authorization: Bearer <token>` (a header, so no cookie and no cross-site form can carry
it) and compared in constant time.
"""

from __future__ import annotations

import fcntl
import hmac
import logging
import os
import subprocess
import sys
from pathlib import Path

from indexer.config import Settings
from indexer.errors import IndexBusy
from indexer.layout import DataDir

log = logging.getLogger(__name__)

ACTIONS = {"reindex": ("index", "rebuild"), "crawl": ("crawl",)}


def token_ok(settings: Settings, authorization: str | None) -> bool:
    """True when the header carries the configured token (never true when none is configured)."""
    if not settings.admin_token:
        return False
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), settings.admin_token.encode())


def command(settings: Settings, action: str) -> list[str]:
    """The tracuu command line of an action, run by this Python."""
    code = "import sys; from indexer.cli import main; sys.exit(main())"
    return [sys.executable, "-c", code, "--data-dir", str(settings.data_dir), *ACTIONS[action]]


def writer_probe(data: DataDir) -> None:
    """IndexBusy when a writer holds the data directory's lock now (the flock of store.write_lock).

    Only a probe (search/ never takes the writer's side): a writer starting right after it is
    caught by the child itself, which exits 75.
    """
    try:
        fd = os.open(data.lock, os.O_RDONLY)
    except FileNotFoundError:
        return  # no writer ever ran here
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise IndexBusy(str(data.lock)) from None
    finally:
        os.close(fd)  # closing drops the probe's flock at once


class Jobs:
    """The admin processes this server started: kept to be reaped (no zombies, no warnings)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.procs: dict[int, subprocess.Popen[bytes]] = {}

    def start(self, action: str) -> int:
        """Start an action in its own process; its pid. IndexBusy when a writer holds the lock."""
        self.reap()
        writer_probe(DataDir(Path(self.settings.data_dir)))
        proc = subprocess.Popen(
            command(self.settings, action),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None,  # the server's log
            start_new_session=True,  # a restart of the server does not kill a rebuild mid-way
        )
        self.procs[proc.pid] = proc
        log.info("admin %s started: pid %d", action, proc.pid)
        return proc.pid

    def wait(self, pid: int, timeout: float) -> int:
        """The exit code of a started action, waiting up to timeout seconds."""
        code = self.procs[pid].wait(timeout)
        self.reap()
        return code

    def reap(self) -> None:
        """Forget the actions that have ended (logging how)."""
        for pid, proc in list(self.procs.items()):
            code = proc.poll()
            if code is not None:
                del self.procs[pid]
                log.info("admin action pid %d ended: exit %d", pid, code)


__all__ = ["ACTIONS", "IndexBusy", "Jobs", "command", "token_ok"]
