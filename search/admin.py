"""Admin actions over HTTP (reindex, crawl now): off unless a token is configured.

POST /admin/reindex and /admin/crawl start `tracuu index rebuild` / `tracuu crawl` as a separate
process (the writer holds the data directory's lock, never a server worker) and answer 202 at once.
Without `admin_token` in the settings the routes answer 404, as if they did not exist. The token is
sent as `Authorization: Bearer <token>` (a header, so no cookie and no cross-site form can carry
it) and compared in constant time.
"""

from __future__ import annotations

import hmac
import logging
import subprocess
import sys
from pathlib import Path

from indexer.config import Settings
from indexer.errors import IndexBusy
from indexer.layout import DataDir
from indexer.store import write_lock

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


def start(settings: Settings, action: str) -> int:
    """Start an action in its own process; its pid. IndexBusy when a writer holds the lock now."""
    with write_lock(DataDir(Path(settings.data_dir))):
        pass  # a writer at work answers 409 now; a race after this is caught by the child (75)
    proc = subprocess.Popen(
        command(settings, action),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=None,  # the server's log
        start_new_session=True,  # a restart of the server does not kill a rebuild mid-way
    )
    log.info("admin %s started: pid %d", action, proc.pid)
    return proc.pid


__all__ = ["ACTIONS", "IndexBusy", "command", "start", "token_ok"]
