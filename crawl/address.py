"""Where the crawler may go: a site's origins, the addresses it may connect to, the deadline.

`site_origins()` and `origin_of()` say which scheme, host and port belong to a site (redirects
and requests outside them are refused before anything is sent).

`refusal()` is the pure rule: private, loopback, link-local, multicast, reserved and cloud
metadata addresses are refused (loopback only allowed for a site that is itself on loopback).
`PinnedTransport` is httpx's own HTTP transport over a network backend that resolves a host once
per connection, checks every address, and connects to a checked IP; TLS still verifies and sends
SNI for the URL's host name (httpcore passes the origin's name to start_tls), and the Host header
is untouched. A name that resolves to a public address for the check and to 127.0.0.1 a moment
later (DNS rebinding) cannot slip through: the address checked is the address connected to.

The deadline (connect and every read of one request) rides in a context variable: httpcore hands
its streams one timeout per read, and only the caller knows when the whole request must end.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# Cloud instance metadata endpoints: named so a refusal says what it stopped.
METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
    "169.254.170.2",  # AWS ECS task metadata
    "fd00:ec2::254",  # AWS over IPv6
    "100.100.100.200",  # Alibaba Cloud
))
# NAT64 (RFC 6052) carries an IPv4 address in its last 32 bits: 64:ff9b::a9fe:a9fe is the metadata
# address again, and Python counts the prefix as global.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo client, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(ip: IPAddress, allow_loopback: bool = False) -> str | None:
    """Why the crawler must not connect to this address, or None when it may."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            why = refusal(inner, allow_loopback)
            return None if why is None else f"{why} (inside {ip})"
    checks = (
        (ip in METADATA, "cloud metadata"),
        (ip.is_loopback and not allow_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_reserved, "reserved"),
        (ip.is_private and not ip.is_loopback, "private"),
        (not ip.is_global and not ip.is_loopback, "not globally routable"),
    )
    return next((f"{ip} is {what}" for hit, what in checks if hit), None)


def resolve(host: str, port: int) -> list[str]:
    """Every address of a host, in the resolver's order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def names_loopback(host: str) -> bool:
    """True when a host is written as loopback: 127.x, ::1, or localhost (no lookup)."""
    host = host.strip("[]").lower()
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")  # RFC 6761: always loopback


def is_loopback_site(host: str, resolver: Resolver = resolve) -> bool:
    """True when a site's start host is on this machine: written as loopback, or resolving to it."""
    if names_loopback(host):
        return True
    try:
        found = [ipaddress.ip_address(a.split("%")[0]) for a in resolver(host, 80)]
    except (OSError, ValueError):
        return False
    return bool(found) and all(ip.is_loopback for ip in found)


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """'scheme://host:port' with the port always written; None for anything but http(s)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port or DEFAULT_PORTS[scheme]}"


def site_origins(start_urls: Iterable[str], hosts: Iterable[str] = ()) -> frozenset[str]:
    """The origins of a site: every host with the scheme and port of each start URL.

    An http site on port 80 also gets https on 443 for the same hosts: portals that moved to
    https redirect every old URL there, and it is the same host (never the other way round).
    """
    names = {h.lower() for h in hosts}
    out: set[str] = set()
    for url in start_urls:
        origin = origin_of(url)
        if origin is None:
            continue
        parts = urlsplit(origin)
        scheme, port = parts.scheme, parts.port
        for host in names | {(parts.hostname or "").lower()}:
            name = f"[{host}]" if ":" in host else host
            out.add(f"{scheme}://{name}:{port}")
            if (scheme, port) == ("http", 80):
                out.add(f"https://{name}:443")
    return frozenset(out)


class Refused(Exception):
    """No address of the host may be connected to (turned into BlockedAddress by the fetcher)."""

    def __init__(self, host: str, reasons: list[str]) -> None:
        super().__init__(f"{host}: {'; '.join(reasons) or 'no address'}")
        self.host, self.reasons = host, reasons


class Overdue(Exception):
    """The request's deadline passed (turned into DeadlineExceeded by the fetcher)."""


_DEADLINE: ContextVar[float | None] = ContextVar("tracuu_fetch_deadline", default=None)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Every connect and read inside ends `seconds` from now (monotonic); yields the end."""
    end = time.monotonic() + seconds
    token = _DEADLINE.set(end)
    try:
        yield end
    finally:
        _DEADLINE.reset(token)


def _bounded(timeout: float | None) -> float | None:
    """The timeout of one socket operation, cut to what is left of the deadline."""
    end = _DEADLINE.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise Overdue
    return left if timeout is None else min(timeout, left)


def _overdue() -> bool:
    end = _DEADLINE.get()
    return end is not None and time.monotonic() >= end


class _Stream(httpcore.NetworkStream):
    """A connection whose reads, writes and TLS handshake all end by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self.inner.read(max_bytes, _bounded(timeout))
        except httpcore.ReadTimeout:
            if _overdue():
                raise Overdue from None
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self.inner.write(buffer, _bounded(timeout))
        except httpcore.WriteTimeout:
            if _overdue():
                raise Overdue from None
            raise

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        try:
            return _Stream(self.inner.start_tls(ssl_context, server_hostname, _bounded(timeout)))
        except httpcore.ConnectTimeout:
            if _overdue():
                raise Overdue from None
            raise

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """TCP connections to checked addresses only: resolve once, refuse or connect to that IP."""

    def __init__(self, allow_loopback: bool, resolver: Resolver) -> None:
        self.allow_loopback, self.resolver = allow_loopback, resolver
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self.resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        reasons: list[str] = []
        failure: Exception | None = None
        for address in addresses:
            try:
                ip = ipaddress.ip_address(address.split("%")[0])
            except ValueError:
                reasons.append(f"{address!r} is not an address")
                continue
            why = refusal(ip, self.allow_loopback)
            if why is not None:
                reasons.append(why)
                continue
            try:
                stream = self.inner.connect_tcp(str(ip), port, _bounded(timeout), local_address,
                                                socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                if _overdue():
                    raise Overdue from None
                failure = exc  # another address of the host may answer
                continue
            return _Stream(stream)
        if failure is not None:
            raise failure
        raise Refused(host, reasons)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise Refused(path, ["unix sockets are never used"])

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class PinnedTransport(httpx.HTTPTransport):
    """httpx's HTTP transport whose connections go only to checked, pinned addresses.

    The seam with httpx's internals is one attribute: HTTPTransport keeps its httpcore pool in
    `_pool` and offers no way to pass a network backend, so the pool is built here with one.
    tests/crawl/test_fetch_live.py pins the behaviour (refusals, Host and SNI kept, deadline).
    """

    def __init__(
        self, *, allow_loopback: bool = False, resolver: Resolver = resolve,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
        super().__init__(verify=verify, trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_PinnedBackend(allow_loopback, resolver),
        )
