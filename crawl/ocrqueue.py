"""The attachment text store and OCR queue: one SQLite file (`<data-dir>/ocr.sqlite`).

Every archived attachment has a row per page: `text` (its text layer was enough), `pending`
(waiting for OCR), `running`, `done` (OCR text) or `failed` (with the reason). A file is added
once, whoever links it, so no page is ever queued twice; `links` remembers which articles link
it. Each state change is its own committed transaction: a worker killed with SIGKILL leaves at
most the pages it was working on as `running`, and the next worker (which holds the OCR lock,
so no other worker is alive) puts them back to `pending`. A file whose pages are all settled is
"finished"; `undelivered()` lists files whose text grew (a page OCR'd: first pages come first,
so a scan's header reaches its article early) or that finished since their text was last handed
to their articles, and `mark_delivered()` records that it has.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from crawl.archive import StoredFile
from crawl.filetext import FileText

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL, stored TEXT NOT NULL, size INTEGER NOT NULL,
    site TEXT NOT NULL DEFAULT '', pages INTEGER NOT NULL DEFAULT 0, error TEXT,
    added_at REAL NOT NULL, finished_at REAL, delivered_at REAL, progress_at REAL
);
CREATE TABLE IF NOT EXISTS pages (
    sha256 TEXT NOT NULL, page INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('text', 'pending', 'running', 'done', 'failed')),
    text TEXT NOT NULL DEFAULT '', reason TEXT, seconds REAL, updated_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sha256, page)
);
CREATE INDEX IF NOT EXISTS pages_state ON pages (state);
CREATE TABLE IF NOT EXISTS links (
    sha256 TEXT NOT NULL, article_id TEXT NOT NULL, url TEXT NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY (sha256, article_id)
);
"""
SETTLED = ("text", "done", "failed")


@dataclass(frozen=True)
class PageTask:
    """One page to OCR."""

    sha256: str
    page: int  # 0-based
    stored: str  # path under the archive root
    site: str


@dataclass
class AttachmentText:
    """An archived file's text as far as it is known: per page, with what is still missing."""

    sha256: str
    kind: str
    stored: str
    size: int
    pages: list[str]
    pending: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (0-based page, reason)
    error: str | None = None  # the whole file could not be read

    @property
    def status(self) -> str:
        """'' when complete, 'ocr-pending', or 'failed: …' (Attachment.status)."""
        if self.error:
            return f"failed: {self.error}"
        if self.pending:
            return "ocr-pending"
        if self.failed:
            page, reason = self.failed[0]
            more = f" (and {len(self.failed) - 1} more pages)" if len(self.failed) > 1 else ""
            return f"failed: page {page + 1}: {reason}{more}"
        return ""


class FileQueue:
    """The SQLite store of attachment pages and the OCR queue."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None,
                                  check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(files)")}
        if "progress_at" not in columns:  # a queue written before pages were handed on early
            self.db.execute("ALTER TABLE files ADD COLUMN progress_at REAL")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> FileQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- adding ---------------------------------------------------------------------------

    def add(self, stored: StoredFile, text: FileText | None, site: str = "",
            error: str | None = None) -> bool:
        """Record a file and its pages (OCR pages queued); False when it was known already."""
        now = time.time()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            cur = self.db.execute(
                "INSERT OR IGNORE INTO files (sha256, kind, stored, size, site, pages, error,"
                " added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (stored.sha256, text.kind if text else stored.kind, stored.stored, stored.size,
                 site, len(text.pages) if text else 0, error, now),
            )
            if cur.rowcount == 0:
                return False
            if text is not None:
                ocr = set(text.ocr_pages)
                self.db.executemany(
                    "INSERT INTO pages (sha256, page, state, text, updated_at) VALUES (?,?,?,?,?)",
                    [(stored.sha256, i, "pending" if i in ocr else "text", t, now)
                     for i, t in enumerate(text.pages)],
                )
            self._settle(stored.sha256, now)
        return True

    def link(self, sha256: str, article_id: str, url: str, name: str) -> None:
        """Remember that an article links this file (under this URL and file name)."""
        self.db.execute(
            "INSERT OR REPLACE INTO links (sha256, article_id, url, name) VALUES (?, ?, ?, ?)",
            (sha256, article_id, url, name),
        )

    def known(self, sha256: str) -> bool:
        """Whether a file with this hash was added."""
        return self.db.execute("SELECT 1 FROM files WHERE sha256 = ?", (sha256,)).fetchone() \
            is not None

    # --- the queue ------------------------------------------------------------------------

    def pending(self) -> int:
        """Pages waiting for OCR (or left running by a stopped worker)."""
        return int(self.db.execute(
            "SELECT COUNT(*) FROM pages WHERE state IN ('pending', 'running')").fetchone()[0])

    def recover(self) -> int:
        """Put pages left `running` by a dead worker back to `pending` (call under the lock)."""
        return self.db.execute(
            "UPDATE pages SET state = 'pending' WHERE state = 'running'"
        ).rowcount

    def claim(self) -> PageTask | None:
        """Take the oldest pending page (first pages of each file first) and mark it running."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute(
                "SELECT p.sha256, p.page, f.stored, f.site FROM pages p JOIN files f USING"
                " (sha256) WHERE p.state = 'pending' ORDER BY p.page = 0 DESC, f.added_at,"
                " p.sha256, p.page LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            self.db.execute(
                "UPDATE pages SET state = 'running', attempts = attempts + 1, updated_at = ?"
                " WHERE sha256 = ? AND page = ?",
                (time.time(), row[0], row[1]),
            )
        return PageTask(*row)

    def finish(self, task: PageTask, text: str, seconds: float) -> None:
        """Record a page's OCR text."""
        self._close_page(task, "done", text, None, seconds)

    def fail(self, task: PageTask, reason: str, seconds: float) -> None:
        """Record why a page could not be OCR'd."""
        self._close_page(task, "failed", "", reason, seconds)

    def _close_page(self, task: PageTask, state: str, text: str, reason: str | None,
                    seconds: float) -> None:
        now = time.time()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "UPDATE pages SET state = ?, text = ?, reason = ?, seconds = ?, updated_at = ?"
                " WHERE sha256 = ? AND page = ? AND state = 'running'",
                (state, text, reason, seconds, now, task.sha256, task.page),
            )
            self.db.execute("UPDATE files SET progress_at = ? WHERE sha256 = ?",
                            (now, task.sha256))
            self._settle(task.sha256, now)

    def _settle(self, sha256: str, now: float) -> None:
        open_pages = self.db.execute(
            "SELECT COUNT(*) FROM pages WHERE sha256 = ? AND state IN ('pending', 'running')",
            (sha256,),
        ).fetchone()[0]
        if open_pages == 0:
            self.db.execute(
                "UPDATE files SET finished_at = ? WHERE sha256 = ? AND finished_at IS NULL",
                (now, sha256),
            )

    # --- reading ----------------------------------------------------------------------------

    def text(self, sha256: str) -> AttachmentText | None:
        """The file's text page by page (OCR text where done), or None for an unknown file."""
        f = self.db.execute(
            "SELECT kind, stored, size, error FROM files WHERE sha256 = ?", (sha256,)
        ).fetchone()
        if f is None:
            return None
        out = AttachmentText(sha256, f[0], f[1], f[2], [], error=f[3])
        for page, state, text, reason in self.db.execute(
            "SELECT page, state, text, reason FROM pages WHERE sha256 = ? ORDER BY page",
            (sha256,),
        ):
            out.pages.append(text)
            if state in ("pending", "running"):
                out.pending += 1
            elif state == "failed":
                out.failed.append((page, reason or "failed"))
        return out

    def owners(self, sha256: str) -> list[tuple[str, str, str]]:
        """(article_id, url, name) of every article that links the file."""
        return list(self.db.execute(
            "SELECT article_id, url, name FROM links WHERE sha256 = ? ORDER BY article_id",
            (sha256,),
        ))

    def undelivered(self) -> list[str]:
        """Files finished, or with pages OCR'd, since their text was last handed on."""
        return [r[0] for r in self.db.execute(
            "SELECT sha256 FROM files WHERE MAX(COALESCE(finished_at, 0),"
            " COALESCE(progress_at, 0)) > COALESCE(delivered_at, 0) ORDER BY added_at"
        )]

    def mark_delivered(self, sha256s: Iterable[str]) -> None:
        """Record that these files' texts are now in their articles."""
        now = time.time()
        self.db.executemany("UPDATE files SET delivered_at = ? WHERE sha256 = ?",
                            [(now, s) for s in sha256s])

    def counts(self) -> dict[str, dict[str, int]]:
        """Per site: pages by state (text, pending, running, done, failed) and failed files."""
        out: dict[str, dict[str, int]] = {}
        for site, state, n in self.db.execute(
            "SELECT f.site, p.state, COUNT(*) FROM pages p JOIN files f USING (sha256)"
            " GROUP BY f.site, p.state"
        ):
            out.setdefault(site, {s: 0 for s in ("text", "pending", "running", "done", "failed")})
            out[site][state] = n
        for site, n in self.db.execute(
            "SELECT site, COUNT(*) FROM files WHERE error IS NOT NULL GROUP BY site"
        ):
            out.setdefault(site, {s: 0 for s in ("text", "pending", "running", "done", "failed")})
            out[site]["failed_files"] = n
        return out

    def failures(self, limit: int = 50) -> list[tuple[str, str, int | None, str]]:
        """(site, stored file, 1-based page or None for the whole file, reason), newest first."""
        rows = list(self.db.execute(
            "SELECT f.site, f.stored, p.page + 1, p.reason FROM pages p JOIN files f"
            " USING (sha256) WHERE p.state = 'failed' ORDER BY p.updated_at DESC LIMIT ?",
            (limit,),
        ))
        rows += list(self.db.execute(
            "SELECT site, stored, NULL, error FROM files WHERE error IS NOT NULL"
            " ORDER BY added_at DESC LIMIT ?", (limit,),
        ))
        return rows[:limit]
