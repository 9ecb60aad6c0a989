"""What the crawl calls for an attachment: archive it, read it, queue its scans, link it.

    docs = DocStore.open(settings.data_dir)
    att = docs.take_in(data, url=..., title=link text, name=file name, declared=kind,
                       article_id=article.id, site=site host)
    article.attachments.append(att)          # text so far; status "ocr-pending" while queued
    ...
    docs.deliver(store.db.get, store.put)    # after OCR: put finished text into the articles

Layout under the data directory: `files/` (the originals, see crawl.archive), `ocr.sqlite` (pages
and queue, see crawl.ocrqueue), `ocr.lock` (one OCR worker at a time).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawl.archive import Archive, StoredFile
from crawl.errors import FileUnreadable
from crawl.filetext import DEFAULT_LIMITS, Limits, extract_text
from crawl.filetypes import sniff
from crawl.ocrqueue import AttachmentText, FileQueue
from indexer.document import Article, Attachment
from indexer.layout import DataDir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocPaths:
    """Where the documents live in a data directory."""

    data_dir: Path

    @property
    def files(self) -> Path:
        return DataDir(self.data_dir).files

    @property
    def queue(self) -> Path:
        return DataDir(self.data_dir).ocr_queue

    @property
    def lock(self) -> Path:
        return DataDir(self.data_dir).ocr_lock


def to_attachment(t: AttachmentText, url: str, title: str = "", name: str = "") -> Attachment:
    """The Attachment an article carries for an archived file, with its text so far."""
    pages = list(t.pages)
    return Attachment(
        url=url, title=title, text="\n".join(p for p in pages if p), pages=pages, name=name,
        kind=t.kind, sha256=t.sha256, stored=t.stored, size=t.size, status=t.status,
    )


class DocStore:
    """The archive and the page store of one data directory, opened together (thread-safe: the
    sites of a crawl run share one)."""

    def __init__(self, paths: DocPaths, limits: Limits = DEFAULT_LIMITS) -> None:
        self.lock = threading.RLock()
        self.paths = paths
        self.archive = Archive(paths.files)
        self.queue = FileQueue(paths.queue)
        self.limits = limits

    @classmethod
    def open(cls, data_dir: Path, limits: Limits = DEFAULT_LIMITS) -> DocStore:
        return cls(DocPaths(Path(data_dir)), limits)

    def close(self) -> None:
        self.queue.close()

    def __enter__(self) -> DocStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def take_in(self, data: bytes, *, url: str, title: str = "", name: str = "",
                declared: str | None = None, article_id: str = "", site: str = "") -> Attachment:
        """Archive, read (once per distinct file), queue scanned pages, link to the article."""
        with self.lock:
            return self._take_in(data, url, title, name, declared, article_id, site)

    def _take_in(self, data: bytes, url: str, title: str, name: str, declared: str | None,
                 article_id: str, site: str) -> Attachment:
        kind = sniff(data) or declared or "bin"
        if kind == "html" or not data:
            # Not a document (an error page under a .pdf URL): recorded, not archived.
            digest = hashlib.sha256(data).hexdigest()
            reason = "empty file" if not data else (
                "an HTML page, not a document (the portal served an error page?)")
            self.queue.add(StoredFile(digest, "", len(data), kind), None, site, error=reason)
            stored: StoredFile | None = None
        else:
            stored = self.archive.put(data, kind)
            digest = stored.sha256
            if not self.queue.known(digest):
                try:
                    text = extract_text(data, declared, self.limits)
                except FileUnreadable as exc:
                    log.warning("attachment %s unreadable: %s", url, exc.reason)
                    self.queue.add(stored, None, site, error=exc.reason)
                else:
                    self.queue.add(stored, text, site)
        if article_id:
            self.queue.link(digest, article_id, url, name)
        t = self.queue.text(digest)
        assert t is not None
        return to_attachment(t, url, title, name)

    def attachment(self, sha256: str, url: str, title: str = "", name: str = "") -> Attachment:
        """The current Attachment for an archived file (after OCR has done more of it)."""
        with self.lock:
            t = self.queue.text(sha256)
        if t is None:
            raise KeyError(sha256)
        return to_attachment(t, url, title, name)

    def link(self, sha256: str, article_id: str, url: str, name: str = "") -> None:
        """Record that an article links an archived file (under this URL and name)."""
        with self.lock:
            self.queue.link(sha256, article_id, url, name)

    def name_of(self, sha256: str) -> str:
        """The file name an article knows an archived file by ('' when none)."""
        with self.lock:
            return next((n for _, _, n in self.queue.owners(sha256) if n), "")

    def deliver(self, get: Callable[[str], Article | None],
                put: Callable[[Iterable[Article]], Any]) -> int:
        """Put the text of files that grew (pages OCR'd, files finished) into the articles
        linking them.

        `get`/`put` are the article store's (Store.db.get, Store.put); returns how many
        articles changed. Articles not stored yet are skipped: they read the text when built.
        """
        with self.lock:
            return self._deliver(get, put)

    def _deliver(self, get: Callable[[str], Article | None],
                 put: Callable[[Iterable[Article]], Any]) -> int:
        seen: dict[str, Article | None] = {}
        changed: dict[str, Article] = {}
        finished = self.queue.undelivered()
        for sha in finished:
            t = self.queue.text(sha)
            if t is None:
                continue
            for article_id, _url, _name in self.queue.owners(sha):
                if article_id not in seen:
                    seen[article_id] = get(article_id)
                article = seen[article_id]
                if article is None:
                    continue
                updated = [
                    to_attachment(t, a.url, a.title, a.name) if a.sha256 == sha else a
                    for a in article.attachments
                ]
                if updated != article.attachments:
                    article.attachments = updated
                    changed[article_id] = article
        if changed:
            put(list(changed.values()))
        self.queue.mark_delivered(finished)
        return len(changed)
