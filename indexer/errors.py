"""Exceptions of tracuu; each knows the exit code a command returns for it.

TracuuError                 exit 1
├── InvalidArticle          a JSON object that is not an article (carries the reason)
├── IndexBusy               another writer holds the lock (exit 75, EX_TEMPFAIL, for cron)
├── IndexMissing            no index yet in the data directory
└── ConfigError             a settings or sites file that cannot be read
"""

from __future__ import annotations


class TracuuError(Exception):
    """Base of every error tracuu raises on purpose."""

    exit_code = 1


class InvalidArticle(TracuuError):
    """An input object that cannot become an Article."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IndexBusy(TracuuError):
    """Another process is writing to this data directory."""

    exit_code = 75

    def __init__(self, lock_path: str) -> None:
        super().__init__(
            f"another tracuu process is writing to this data directory (lock {lock_path}); "
            "try again when it has finished"
        )
        self.lock_path = lock_path


class IndexMissing(TracuuError):
    """No index has been built in the data directory yet."""

    def __init__(self, data_dir: str) -> None:
        super().__init__(
            f"no index in {data_dir}: import articles first (tracuu index import FILE.jsonl)"
        )
        self.data_dir = data_dir


class ConfigError(TracuuError):
    """A settings or sites file is wrong."""

    exit_code = 2
