"""Exceptions of the crawler.

    TracuuError (indexer.errors)       exit 1
    └── CrawlError                     a crawl that cannot go on (carries the reason)
        ├── FetchError                 one URL could not be fetched (carries url, reason, kind)
        │   ├── PageTooLarge           the body passed the size limit (carries the limit)
        │   ├── Disallowed             robots.txt forbids the URL
        │   ├── OffSite                the URL is outside the site's origins (carries target)
        │   │   └── OffSiteRedirect    a redirect leads outside them: nothing is asked of the target
        │   ├── BlockedAddress         the host resolves to an address never connected to
        │   ├── DeadlineExceeded       the whole request took longer than allowed
        │   └── OutOfTime              the site's time budget ends before the request could start
        └── FileUnreadable             an attachment whose text cannot be read (carries the reason)

`kind` is a short fixed label per class ("off-site redirect", "deadline", ...) a crawl report can
count by, where `reason` is the full sentence for the log.
"""

from __future__ import annotations

from typing import ClassVar

from indexer.errors import TracuuError


class CrawlError(TracuuError):
    """A crawl that cannot go on."""


class FetchError(CrawlError):
    """One URL could not be fetched; the crawl counts it and goes on."""

    kind: ClassVar[str] = "failed"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class PageTooLarge(FetchError):
    """The response body is larger than the configured maximum."""

    kind = "too large"

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(url, f"larger than {limit} bytes")
        self.limit = limit


class Disallowed(FetchError):
    """robots.txt forbids fetching this URL."""

    kind = "disallowed"

    def __init__(self, url: str) -> None:
        super().__init__(url, "disallowed by robots.txt")


class OffSite(FetchError):
    """The URL is outside the site's origins (scheme, host, port): it is not requested."""

    kind = "off-site"
    what = "request"

    def __init__(self, url: str, target: str) -> None:
        super().__init__(url, f"{self.what} to {target} is off-site")
        self.target = target


class OffSiteRedirect(OffSite):
    """A redirect leads outside the site: neither the target nor its robots.txt is requested."""

    kind = "off-site redirect"
    what = "redirect"


class BlockedAddress(FetchError):
    """The host resolves only to addresses the crawler never connects to (private, metadata...)."""

    kind = "blocked address"

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(url, f"blocked address: {detail}")
        self.detail = detail


class DeadlineExceeded(FetchError):
    """Connecting and reading the whole answer took longer than the per-request deadline."""

    kind = "deadline"

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(url, f"deadline of {seconds:g}s exceeded")
        self.seconds = seconds


class OutOfTime(FetchError):
    """The site's time budget (`max_minutes`) would pass before the request could start."""

    kind = "time budget"

    def __init__(self, url: str) -> None:
        super().__init__(url, "the site's time budget is spent")


class FileUnreadable(CrawlError):
    """An attachment whose text cannot be read (corrupt, encrypted, too big, not what it claims)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
