"""What the crawler remembers between runs: one SQLite row per URL in `<data_dir>/crawl.sqlite`.

Per URL: validators (ETag, Last-Modified), a content hash, when it was seen and fetched, when to
visit next, the consecutive-404 count, the article id it feeds, and the raw page (zlib) so that
`tracuu crawl --reextract` can re-run extraction without the network. An attached file is a row
of kind `attachment` whose content hash is the file's SHA-256 (its text lives in ocr.sqlite);
`file_links` says which pages link it. Per site: the learned template, link habits and name.

Sites are crawled by several threads of one process: one lock serializes every statement.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from crawl.sites import DAY, Site

HUB_KINDS = frozenset({"listing", "sitemap", "feed"})
SOON_KINDS = HUB_KINDS | {"page", "pending"}  # visited again on the listings' schedule
GONE_RECHECK = DAY  # a first 404 is confirmed (or not) a day later
ERROR_RETRY = 3600.0
MAX_REVISIT = 90 * DAY

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'page',  -- article | document | listing | empty | alias |
                                        -- pending | sitemap | feed | file | page | attachment
                                        -- | queued (linked, not visited yet)
    status INTEGER,
    etag TEXT,
    last_modified TEXT,
    content_type TEXT,
    content_hash TEXT,
    article_id TEXT,                    -- the id this page feeds in the index, if any
    canonical TEXT,                     -- for an alias: the URL it duplicates
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    fetched_at REAL,                    -- last 200 or 304
    next_visit REAL NOT NULL,
    unchanged INTEGER NOT NULL DEFAULT 0,
    not_found INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    raw BLOB
);
CREATE INDEX IF NOT EXISTS pages_due ON pages(site, next_visit);
CREATE INDEX IF NOT EXISTS pages_article ON pages(article_id) WHERE article_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS pages_kind ON pages(site, kind);
CREATE TABLE IF NOT EXISTS sites (
    site TEXT PRIMARY KEY,
    template TEXT,                      -- crawl.template.SiteTemplate, JSON
    habits TEXT                         -- crawl.habits.LinkHabits, JSON
);
CREATE TABLE IF NOT EXISTS file_links (
    file_url TEXT NOT NULL,             -- an attachment's URL
    page_url TEXT NOT NULL,             -- a page (article id) linking it
    PRIMARY KEY (file_url, page_url)
);
CREATE INDEX IF NOT EXISTS file_links_page ON file_links(page_url);
"""
# Columns added after the first release, with their type (added to older files on open).
_ADDED = {"sites": {"title": "TEXT"}}
P = ParamSpec("P")
R = TypeVar("R")


def _serialized(method: Callable[Concatenate[State, P], R]) -> Callable[Concatenate[State, P], R]:
    """Run the method under the State's lock (site threads share one connection)."""

    @functools.wraps(method)
    def locked(self: State, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.lock:
            return method(self, *args, **kwargs)

    return locked


@dataclass(frozen=True)
class PageState:
    """One URL as the last run left it (the raw page is read separately)."""

    url: str
    site: str
    kind: str
    status: int | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    content_hash: str | None
    article_id: str | None
    canonical: str | None
    first_seen: float
    last_seen: float
    fetched_at: float | None
    next_visit: float
    unchanged: int
    not_found: int
    errors: int
    has_raw: bool


_COLUMNS = (
    "url, site, kind, status, etag, last_modified, content_type, content_hash, article_id, "
    "canonical, first_seen, last_seen, fetched_at, next_visit, unchanged, not_found, errors, "
    "raw IS NOT NULL"
)


def next_visit(kind: str, now: float, unchanged: int, site: Site) -> float:
    """When to come back: listings often, articles rarely and more rarely while they stay put."""
    if kind in SOON_KINDS:
        return now + site.revisit_listings
    growth: int = 2 ** min(unchanged, 16)  # int ** int is typed Any
    return now + min(site.revisit_articles * growth, MAX_REVISIT)


class State:
    """The crawl.sqlite of a data directory (one writer: the crawl run holding the store lock)."""

    def __init__(self, path: Path | str) -> None:
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(_SCHEMA)
        for table, columns in _ADDED.items():
            have = {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns.items():
                if name not in have:
                    self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @_serialized
    def get(self, url: str) -> PageState | None:
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM pages WHERE url = ?", (url,)).fetchone()
        # The row is untyped (Any): its first 17 columns are PageState's fields before has_raw.
        return PageState(*row[:-1], has_raw=bool(row[-1])) if row else None  # type: ignore[misc]

    @_serialized
    def raw(self, url: str) -> bytes | None:
        """The stored page body, decompressed."""
        row = self.conn.execute("SELECT raw FROM pages WHERE url = ?", (url,)).fetchone()
        return zlib.decompress(row[0]) if row and row[0] is not None else None

    @_serialized
    def save(
        self, url: str, site: str, now: float, *, kind: str, status: int, visit: float,
        etag: str | None = None, last_modified: str | None = None,
        content_type: str | None = None, content_hash: str | None = None,
        article_id: str | None = None, canonical: str | None = None, raw: bytes | None = None,
        unchanged: int = 0,
    ) -> None:
        """Record a fetched page (200 or a redirect); resets the 404 and error counts."""
        blob = zlib.compress(raw, 6) if raw is not None else None
        self.conn.execute(
            """INSERT INTO pages (url, site, kind, status, etag, last_modified, content_type,
                   content_hash, article_id, canonical, first_seen, last_seen, fetched_at,
                   next_visit, unchanged, not_found, errors, raw)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?)
               ON CONFLICT(url) DO UPDATE SET site = excluded.site, kind = excluded.kind,
                   status = excluded.status, etag = excluded.etag,
                   last_modified = excluded.last_modified, content_type = excluded.content_type,
                   content_hash = excluded.content_hash, article_id = excluded.article_id,
                   canonical = excluded.canonical, last_seen = excluded.last_seen,
                   fetched_at = excluded.fetched_at, next_visit = excluded.next_visit,
                   unchanged = excluded.unchanged, not_found = 0, errors = 0,
                   raw = excluded.raw""",
            (url, site, kind, status, etag, last_modified, content_type, content_hash, article_id,
             canonical, now, now, now, visit, unchanged, blob),
        )
        self.conn.commit()

    @_serialized
    def not_modified(self, url: str, now: float, visit: float) -> None:
        """Record a 304 (or an unchanged 200): seen, unchanged once more."""
        self.conn.execute(
            "UPDATE pages SET status = 304, last_seen = ?, fetched_at = ?, next_visit = ?, "
            "unchanged = unchanged + 1, not_found = 0, errors = 0 WHERE url = ?",
            (now, now, visit, url),
        )
        self.conn.commit()

    @_serialized
    def missing(self, url: str, site: str, now: float, status: int, visit: float) -> int:
        """Record a 404/410; returns how many visits in a row found the page gone."""
        self.conn.execute(
            """INSERT INTO pages (url, site, status, first_seen, last_seen, next_visit, not_found)
               VALUES (?, ?, ?, ?, ?, ?, 1)
               ON CONFLICT(url) DO UPDATE SET status = excluded.status,
                   last_seen = excluded.last_seen, next_visit = excluded.next_visit,
                   not_found = not_found + 1,
                   kind = CASE WHEN kind = 'queued' THEN 'page' ELSE kind END""",
            (url, site, status, now, now, visit),
        )
        self.conn.commit()
        return int(self.conn.execute(
            "SELECT not_found FROM pages WHERE url = ?", (url,)).fetchone()[0])

    @_serialized
    def failed(self, url: str, site: str, now: float, status: int | None, visit: float) -> None:
        """Record an error (5xx after retries, network, too large): try again later."""
        self.conn.execute(
            """INSERT INTO pages (url, site, status, first_seen, last_seen, next_visit, errors)
               VALUES (?, ?, ?, ?, ?, ?, 1)
               ON CONFLICT(url) DO UPDATE SET status = excluded.status,
                   last_seen = excluded.last_seen, next_visit = excluded.next_visit,
                   errors = errors + 1,
                   kind = CASE WHEN kind = 'queued' THEN 'page' ELSE kind END""",
            (url, site, status, now, now, visit),
        )
        self.conn.commit()

    @_serialized
    def forget_article(self, url: str) -> None:
        """The page no longer feeds an article (removed from the index)."""
        self.conn.execute(
            "UPDATE pages SET article_id = NULL, content_hash = NULL, kind = 'page' WHERE url = ?",
            (url,),
        )
        self.conn.commit()

    @_serialized
    def article_fed_elsewhere(self, article_id: str, url: str) -> bool:
        """True when another live page still feeds this article id."""
        row = self.conn.execute(
            "SELECT 1 FROM pages WHERE article_id = ? AND url != ? AND not_found = 0 LIMIT 1",
            (article_id, url),
        ).fetchone()
        return row is not None

    @_serialized
    def due(self, site: str, now: float) -> list[tuple[str, str]]:
        """(url, kind) of the site's known pages whose next visit has come."""
        return list(self.conn.execute(
            "SELECT url, kind FROM pages WHERE site = ? AND next_visit <= ? ORDER BY url",
            (site, now),
        ))

    def stored_pages(self, sites: list[str] | None = None) -> Iterator[tuple[PageState, bytes]]:
        """Every page with a stored body (for --reextract), optionally of some sites only."""
        with self.lock:
            rows = self.conn.execute(
                f"SELECT {_COLUMNS}, raw FROM pages WHERE raw IS NOT NULL ORDER BY url"
            ).fetchall()
        for row in rows:
            st = PageState(*row[:-2], has_raw=True)  # type: ignore[misc]  # 17 untyped columns
            if sites is None or st.site in sites:
                yield st, zlib.decompress(row[-1])

    @_serialized
    def set_article(self, url: str, kind: str, article_id: str | None, content_hash: str | None,
                    canonical: str | None = None) -> None:
        """After a page was decided again from its stored copy: what it is now."""
        self.conn.execute(
            "UPDATE pages SET kind = ?, article_id = ?, content_hash = ?, canonical = ? "
            "WHERE url = ?", (kind, article_id, content_hash, canonical, url),
        )
        self.conn.commit()

    @_serialized
    def pages_of(self, site: str, kinds: tuple[str, ...]) -> list[PageState]:
        """The site's pages of these kinds."""
        marks = ",".join("?" * len(kinds))
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM pages WHERE site = ? AND kind IN ({marks}) ORDER BY url",
            (site, *kinds)).fetchall()
        return [PageState(*r[:-1], has_raw=bool(r[-1])) for r in rows]  # type: ignore[misc]

    @_serialized
    def aliases_of(self, url: str) -> list[str]:
        """Stored pages that declared `url` their canonical page."""
        return [r[0] for r in self.conn.execute(
            "SELECT url FROM pages WHERE canonical = ? AND kind = 'alias' AND raw IS NOT NULL",
            (url,))]

    @_serialized
    def indexed(self, site: str) -> int:
        """How many of the site's pages feed an article in the index."""
        return int(self.conn.execute(
            "SELECT COUNT(DISTINCT article_id) FROM pages WHERE site = ? AND article_id IS NOT "
            "NULL", (site,)).fetchone()[0])

    @_serialized
    def memory(self, site: str) -> tuple[str | None, str | None]:
        """(template JSON, habits JSON) the crawler learned about a site."""
        row = self.conn.execute("SELECT template, habits FROM sites WHERE site = ?",
                                (site,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    @_serialized
    def remember(self, site: str, template: str, habits: str) -> None:
        self.conn.execute(
            "INSERT INTO sites (site, template, habits) VALUES (?, ?, ?) ON CONFLICT(site) DO "
            "UPDATE SET template = excluded.template, habits = excluded.habits",
            (site, template, habits))
        self.conn.commit()

    @_serialized
    def counts(self, site: str | None = None) -> dict[str, int]:
        """Pages per kind (for reports and tests)."""
        where, args = ("WHERE site = ?", (site,)) if site else ("", ())
        return dict(self.conn.execute(
            f"SELECT kind, COUNT(*) FROM pages {where} GROUP BY kind", args).fetchall())

    @_serialized
    def name_of(self, site: str) -> str | None:
        """The human name learned for a site (its home page's title), if any."""
        row = self.conn.execute("SELECT title FROM sites WHERE site = ?", (site,)).fetchone()
        return row[0] if row and row[0] else None

    @_serialized
    def set_name(self, site: str, title: str) -> None:
        self.conn.execute(
            "INSERT INTO sites (site, title) VALUES (?, ?) ON CONFLICT(site) DO UPDATE SET "
            "title = excluded.title", (site, title))
        self.conn.commit()

    @_serialized
    def link_file(self, file_url: str, page_url: str) -> None:
        """Remember that a page links an attached file."""
        self.conn.execute("INSERT OR IGNORE INTO file_links (file_url, page_url) VALUES (?, ?)",
                          (file_url, page_url))
        self.conn.commit()

    @_serialized
    def files_of(self, page_url: str) -> list[str]:
        """The attached files a page was found to link."""
        return [r[0] for r in self.conn.execute(
            "SELECT file_url FROM file_links WHERE page_url = ? ORDER BY file_url", (page_url,))]

    @_serialized
    def pages_linking(self, file_url: str) -> list[str]:
        """The pages that link an attached file."""
        return [r[0] for r in self.conn.execute(
            "SELECT page_url FROM file_links WHERE file_url = ? ORDER BY page_url", (file_url,))]

    @_serialized
    def keep_queue(self, site: str, queued: list[str], handled: list[str], now: float) -> None:
        """Links queued but not visited yet, as rows due now ('queued'; a row the site already
        has stays as it is), so that a run killed before visiting them leaves them to the next;
        and the queued rows of URLs a visit has just handled without recording them."""
        self.conn.executemany(
            "INSERT INTO pages (url, site, kind, first_seen, last_seen, next_visit) VALUES "
            "(?, ?, 'queued', ?, ?, ?) ON CONFLICT(url) DO NOTHING",
            [(url, site, now, now, now) for url in queued])
        self.conn.executemany("DELETE FROM pages WHERE url = ? AND kind = 'queued'",
                              [(url,) for url in handled])
        self.conn.commit()

    @_serialized
    def want_file(self, url: str, site: str, now: float, visit: float) -> None:
        """An attachment to fetch on a later visit (a run's budget ran out before it)."""
        self.conn.execute(
            "INSERT INTO pages (url, site, kind, first_seen, last_seen, next_visit) VALUES "
            "(?, ?, 'attachment', ?, ?, ?) ON CONFLICT(url) DO UPDATE SET kind = 'attachment', "
            "next_visit = MIN(next_visit, excluded.next_visit)", (url, site, now, now, visit))
        self.conn.commit()

    @_serialized
    def unlink_file(self, file_url: str) -> None:
        """A link taken for a file turned out to be a page: it links nothing."""
        self.conn.execute("DELETE FROM file_links WHERE file_url = ?", (file_url,))
        self.conn.commit()
