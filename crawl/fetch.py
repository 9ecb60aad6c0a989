"""Polite, bounded HTTP: robots.txt, one request in flight per host, jittered delays, retries,
size caps, a deadline per request, redirects kept within the site, no private addresses.

The pure parts (Retry-After, back-off, robots verdicts, origins) are functions; Fetcher is the thin
shell around httpx clients (crawl.address checks where they connect). Clock, sleep and randomness
are injectable so tests run without waiting.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from crawl.address import (
    Overdue,
    PinnedTransport,
    Refused,
    Resolver,
    deadline,
    names_loopback,
    origin_of,
    site_origins,
)
from crawl.address import resolve as dns_resolve
from crawl.errors import (
    BlockedAddress,
    DeadlineExceeded,
    Disallowed,
    FetchError,
    OffSite,
    OffSiteRedirect,
    OutOfTime,
    PageTooLarge,
)
from crawl.throttle import Gate, HostGates, TokenBucket

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 512_000  # RFC 9309 asks crawlers to read at least 500 KiB
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml;q=0.9,*/*;q=0.5"


@dataclass(frozen=True)
class Policy:
    """How to treat one host: politeness, patience and limits."""

    delay: float = 1.0  # minimum seconds between two requests (robots Crawl-delay wins if longer)
    jitter: float = 0.5  # up to this fraction of the delay is added at random
    connect_timeout: float = 10.0
    read_timeout: float = 20.0  # one socket read
    deadline: float = 30.0  # the whole request: connect, headers and body (a dripping server)
    retries: int = 3  # extra attempts on 429/5xx and network errors
    backoff: float = 2.0  # first back-off in seconds, doubled each attempt
    max_wait: float = 300.0  # a Retry-After longer than this gives the URL up for this run
    max_bytes: int = 5_000_000
    # Where requests and redirects may go, as site_origins() gives them; empty: the origin of
    # the URL asked for (and its https upgrade).
    origins: frozenset[str] = frozenset()
    # Connect to loopback addresses? None: only when the URL asked for names a loopback host.
    allow_loopback: bool | None = None
    # The Fetcher clock's time after which no request starts (a site's time budget); 0: none.
    until: float = 0.0


@dataclass
class Page:
    """One HTTP answer (after redirects)."""

    url: str  # the URL asked for
    final_url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds to wait: delta-seconds or an HTTP-date; None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def backoff_delay(attempt: int, base: float, rand: float, cap: float = 300.0) -> float:
    """Exponential back-off with full jitter above half the step: base·2^attempt·(0.5..1)."""
    growth: int = 2**attempt  # int ** int is typed Any (a negative exponent gives a float)
    return min(cap, base * growth * (0.5 + rand / 2))


def product_token(user_agent: str) -> str:
    """'tracuu/0.1 (+https://…)' → 'tracuu', the name robots.txt groups are matched against."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"


@dataclass
class Robots:
    """The robots.txt verdicts for one origin."""

    rules: Protego | None  # None: no robots.txt (4xx) → everything allowed
    disallow_all: bool = False  # robots.txt unreachable (5xx, network) → RFC 9309: assume disallow
    reason: str = ""  # why it is unreachable

    def can_fetch(self, url: str, agent: str) -> bool:
        if self.disallow_all:
            return False
        return True if self.rules is None else bool(self.rules.can_fetch(url, agent))

    def crawl_delay(self, agent: str) -> float:
        if self.rules is None:
            return 0.0
        delay = self.rules.crawl_delay(agent)
        return float(delay) if delay else 0.0

    def sitemaps(self) -> list[str]:
        return [] if self.rules is None else list(self.rules.sitemaps)


class Fetcher:
    """GETs through httpx, polite per host and bounded per request; close() it (or use `with`).

    Without a `transport`, connections go through crawl.address.PinnedTransport (one per
    loopback verdict, so a connection opened for a loopback site never serves another).
    Fetchers of one run share `gates` (one request in flight per host, whichever site asks)
    and `bucket` (the run's global request rate).
    """

    def __init__(
        self,
        user_agent: str,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        resolver: Resolver = dns_resolve,
        gates: HostGates | None = None,
        bucket: TokenBucket | None = None,
    ) -> None:
        self.user_agent = user_agent
        self.agent = product_token(user_agent)
        self.transport, self.resolver = transport, resolver
        self._clients: dict[bool, httpx.Client] = {}
        self.clock, self.sleep, self.rand = clock, sleep, rand
        self.gates = gates or HostGates()
        self.bucket = bucket
        self._clients_lock = threading.Lock()
        self._robots: dict[str, Robots] = {}
        self.requests = 0

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _client(self, allow_loopback: bool) -> httpx.Client:
        key = allow_loopback and self.transport is None
        with self._clients_lock:
            if key not in self._clients:
                transport = self.transport or PinnedTransport(
                    allow_loopback=key, resolver=self.resolver)
                self._clients[key] = httpx.Client(
                    headers={"User-Agent": self.user_agent, "Accept": ACCEPT,
                             "Accept-Language": "vi,en;q=0.5"},
                    transport=transport,
                    follow_redirects=False,  # each hop is checked: scope, robots, host gate
                    trust_env=False,  # a proxy from the environment would bypass the checks
                )
            return self._clients[key]

    def _gate(self, host: str) -> Gate:
        return self.gates.gate(host)

    @contextlib.contextmanager
    def _turn(self, url: str, policy: Policy) -> Iterator[Gate]:
        """Wait for this host's turn (and a token of the run's rate); the next request waits
        the delay after this one ends. Raises OutOfTime rather than wait past policy.until."""
        host = urlsplit(url).netloc.lower()
        gate = self._gate(host)
        with gate.lock:
            wait = gate.next_ok - self.clock()
            if policy.until and self.clock() + max(0.0, wait) >= policy.until:
                raise OutOfTime(url)
            if wait > 0:
                self.sleep(wait)
            if self.bucket is not None:
                self.bucket.acquire()
            try:
                yield gate
            finally:
                delay = max(policy.delay, self._robots_delay(url))
                pause = delay * (1 + policy.jitter * self.rand())
                gate.next_ok = max(gate.next_ok, self.clock() + pause)

    def _robots_delay(self, url: str) -> float:
        robots = self._robots.get(_origin(url))
        return robots.crawl_delay(self.agent) if robots else 0.0

    def robots(self, url: str, policy: Policy) -> Robots:
        """The robots.txt of the URL's origin, fetched once per Fetcher."""
        origin = _origin(url)
        if origin not in self._robots:
            robots = self._robots[origin] = self._load_robots(origin, policy)
            # The robots.txt request itself was spaced before its Crawl-delay was known.
            gate = self._gate(urlsplit(origin).netloc.lower())
            pause = robots.crawl_delay(self.agent) * (1 + policy.jitter * self.rand())
            gate.next_ok = max(gate.next_ok, self.clock() + pause)
        return self._robots[origin]

    def _load_robots(self, origin: str, policy: Policy) -> Robots:
        url = origin + "/robots.txt"
        try:
            page = self._get(
                url, replace(policy, max_bytes=ROBOTS_MAX_BYTES), None, None, check_robots=False
            )
        except PageTooLarge:
            return Robots(None)
        except OffSiteRedirect:
            # RFC 9309: a robots.txt that cannot be followed is "unavailable" (as a 4xx): allow.
            log.info("robots.txt of %s redirects off-site: treated as absent", origin)
            return Robots(None)
        except (BlockedAddress, OffSite):
            raise  # the site itself may not be reached: say why rather than guess
        except FetchError as exc:
            log.warning("robots.txt unreachable, not crawling %s: %s", origin, exc.reason)
            return Robots(None, disallow_all=True, reason=exc.reason)
        if page.status >= 500:
            log.warning("robots.txt answered %d, not crawling %s", page.status, origin)
            return Robots(None, disallow_all=True, reason=f"answered HTTP {page.status}")
        if page.status != 200:
            return Robots(None)
        text = page.body.decode("utf-8", errors="replace")
        return Robots(Protego.parse(text))

    def allowed(self, url: str, policy: Policy) -> bool:
        """True when robots.txt lets us fetch the URL."""
        return self.robots(url, policy).can_fetch(url, self.agent)

    def get(
        self, url: str, policy: Policy, etag: str | None = None, last_modified: str | None = None
    ) -> Page:
        """GET politely: scope, robots, host turn, retries, redirects (each hop checked), caps.

        Raises FetchError: OffSite(Redirect), BlockedAddress, DeadlineExceeded, PageTooLarge,
        Disallowed, or a plain FetchError after the retries.
        """
        return self._get(url, policy, etag, last_modified, check_robots=True)

    def _get(
        self, url: str, policy: Policy, etag: str | None, last_modified: str | None,
        check_robots: bool,
    ) -> Page:
        scope = policy.origins or site_origins([url])
        if origin_of(url) not in scope:
            raise OffSite(url, url)
        loopback = policy.allow_loopback
        if loopback is None:
            loopback = names_loopback(urlsplit(url).hostname or "")
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if check_robots and not self.allowed(current, policy):
                raise Disallowed(current)
            page = self._attempts(current, policy, etag, last_modified, loopback)
            location = page.headers.get("location")
            if page.status not in REDIRECT_STATUSES or not location:
                page.url = url
                return page
            target = urljoin(current, location.strip())
            if origin_of(target) not in scope:
                # Not followed, and nothing (not even robots.txt) is asked of the target.
                raise OffSiteRedirect(url, target)
            current = target
            etag = last_modified = None  # validators belong to the first URL only
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _attempts(
        self, url: str, policy: Policy, etag: str | None, last_modified: str | None,
        loopback: bool,
    ) -> Page:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        wait: float | None  # a back-off delay, or the server's Retry-After (absent or bad: None)
        for attempt in range(policy.retries + 1):
            last = attempt == policy.retries
            with self._turn(url, policy) as gate:
                try:
                    # FetchErrors (too large, deadline, blocked) are not retried: a server that
                    # dripped for the whole deadline would hold the host for retries × deadline.
                    page = self._once(url, policy, headers, loopback)
                except httpx.HTTPError as exc:
                    if last:
                        raise FetchError(url, f"{type(exc).__name__}: {exc}") from exc
                    wait = backoff_delay(attempt, policy.backoff, self.rand(), policy.max_wait)
                    log.info("retrying %s in %.1fs after %s", url, wait, type(exc).__name__)
                    gate.next_ok = self.clock() + wait
                    continue
                if page.status not in RETRY_STATUSES or last:
                    return page
                wait = parse_retry_after(page.headers.get("retry-after"))
                if wait is None:
                    wait = backoff_delay(attempt, policy.backoff, self.rand(), policy.max_wait)
                if wait > policy.max_wait:
                    raise FetchError(url, f"{page.status}, Retry-After {wait:.0f}s is too long")
                log.info("%s answered %d, retrying in %.1fs", url, page.status, wait)
                # The whole host waits: a 429 or 503 is about the server, not this one URL.
                gate.next_ok = self.clock() + wait
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, url: str, policy: Policy, headers: dict[str, str], loopback: bool) -> Page:
        timeout = httpx.Timeout(min(policy.read_timeout, policy.deadline),
                                connect=min(policy.connect_timeout, policy.deadline))
        self.requests += 1
        client = self._client(loopback)
        try:
            with deadline(policy.deadline) as end, \
                    client.stream("GET", url, headers=headers, timeout=timeout) as resp:
                hdrs = {k.lower(): v for k, v in resp.headers.items()}
                declared = hdrs.get("content-length", "")
                if declared.isdigit() and int(declared) > policy.max_bytes:
                    raise PageTooLarge(url, policy.max_bytes)
                chunks, size = [], 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > policy.max_bytes:
                        raise PageTooLarge(url, policy.max_bytes)
                    if time.monotonic() > end:  # a transport that does not bound its reads
                        raise Overdue
                    chunks.append(chunk)
        except Overdue:
            log.warning("GET %s cut at the %gs deadline", url, policy.deadline)
            raise DeadlineExceeded(url, policy.deadline) from None
        except Refused as exc:
            raise BlockedAddress(url, str(exc)) from None
        log.debug("GET %s → %d (%d bytes)", url, resp.status_code, size)
        return Page(url, str(resp.url), resp.status_code, hdrs, b"".join(chunks))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
