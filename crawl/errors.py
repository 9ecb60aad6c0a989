"""Exceptions of the crawler.

    TracuuError (indexer.errors)       exit 1
    └── CrawlError                     a crawl that cannot go on (carries the reason)
        ├── FetchError                 one URL could not be fetched (carries url and reason)
        │   ├── PageTooLarge           the body passed the size limit (carries the limit)
        │   └── Disallowed             robots.txt forbids the URL
        └── FileUnreadable             an attachment whose text cannot be read (carries the reason)
"""

from __future__ import annotations

from indexer.errors import TracuuError


class CrawlError(TracuuError):
    """A crawl that cannot go on."""


class FetchError(CrawlError):
    """One URL could not be fetched; the crawl counts it and goes on."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class PageTooLarge(FetchError):
    """The response body is larger than the configured maximum."""

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(url, f"larger than {limit} bytes")
        self.limit = limit


class Disallowed(FetchError):
    """robots.txt forbids fetching this URL."""

    def __init__(self, url: str) -> None:
        super().__init__(url, "disallowed by robots.txt")


class FileUnreadable(CrawlError):
    """An attachment whose text cannot be read (corrupt, encrypted, too big, not what it claims)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
