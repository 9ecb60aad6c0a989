"""Exceptions of tracuu; each knows the exit code a command returns for it.

    TracuuError             exit 1   base of every error tracuu raises on purpose
    ├── InvalidArticle      exit 1   a JSON object that is not an article (carries the reason)
    ├── MissingInput        exit 1   a file named on the command line does not exist
    ├── ConfigError         exit 2   a settings or sites file that cannot be read
    ├── IndexBusy           exit 75  another writer holds the lock (EX_TEMPFAIL: cron retries)
    ├── IndexMissing        exit 1   no index yet in the data directory
    ├── SchemaMismatch      exit 1   the index was built for another SCHEMA_VERSION: rebuild it
    ├── IndexFormatError    exit 1   index files the Whoosh seam cannot read (another Whoosh?)
    ├── IndexWriteFailed    exit 1   an indexing process died: nothing of that write is marked done
    ├── BackupError         exit 1   a backup or restore refused (target not empty, not a backup)
    ├── SearchError         exit 1   (search.errors) base of the search side's errors
    │   ├── InvalidParam    exit 2   a search parameter the API refuses (carries a code)
    │   └── SearchTimeout   exit 1   a search stopped at its time limit (503 over HTTP)
    └── CrawlError          exit 1   (crawl.errors) a crawl that cannot go on; its subtree there

`tracuu` prints the message of any of these on one line and exits with its code; anything else
is a bug and shows a traceback. tests/indexer/test_errors.py holds this drawing to the classes.
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


class MissingInput(TracuuError):
    """Files named on the command line that do not exist."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__(f"no such file: {', '.join(paths)}")
        self.paths = paths


class ConfigError(TracuuError):
    """A settings or sites file is wrong."""

    exit_code = 2


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


class SchemaMismatch(TracuuError):
    """The index on disk was built with another schema version than this tracuu's."""

    def __init__(self, folder: str, found: int | None, needed: int) -> None:
        super().__init__(
            f"the index in {folder} has schema version {found}, this tracuu needs "
            f"{needed}: run `tracuu index rebuild`"
        )
        self.folder = folder
        self.found = found
        self.needed = needed


class IndexFormatError(TracuuError):
    """Index files are not laid out as the Whoosh seam (indexer.whoosh_seam) reads them."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"cannot read the index: {what} (is whoosh-reloaded still the pinned 2.7.5?)"
        )
        self.what = what


class IndexWriteFailed(TracuuError):
    """An index write did not complete (an indexing process died); nothing was committed."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"indexing failed: {what}; the articles stay pending and the next import or crawl "
            "indexes them"
        )
        self.what = what


class BackupError(TracuuError):
    """A backup or restore that cannot be done as asked."""
