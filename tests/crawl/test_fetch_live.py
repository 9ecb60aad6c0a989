"""The fetcher against real servers on 127.0.0.1: redirects, address checks, the deadline.

Each server records every request it gets, so "never requested" is observed, not assumed.
"""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from crawl.address import PinnedTransport, is_loopback_site, refusal, site_origins
from crawl.errors import BlockedAddress, DeadlineExceeded, OffSiteRedirect
from crawl.fetch import Fetcher, Policy
from crawl.run import crawl
from crawl.sites import generic_site
from indexer.config import Settings
from indexer.store import ArticleDB, Paths
from tests.fixtures.portal.server import Portal

Handler = Callable[[BaseHTTPRequestHandler], None]
FAST = Policy(delay=0.0, jitter=0.0, retries=0)


def send(status: int, body: bytes = b"", **headers: str) -> Handler:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        for name, value in headers.items():
            h.send_header(name.replace("_", "-"), value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    return answer


class Server:
    """A threaded HTTP server on 127.0.0.1 answering from a path → handler table."""

    def __init__(self, routes: dict[str, Handler], tls: ssl.SSLContext | None = None) -> None:
        self.routes = routes
        self.seen: list[tuple[str, str]] = []  # (path, Host header)
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append((self.path, self.headers.get("Host", "")))
                outer.routes.get(self.path, send(404))(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def paths(self) -> list[str]:
        return [p for p, _ in self.seen]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(routes: dict[str, Handler], tls: ssl.SSLContext | None = None) -> Server:
        started.append(Server(routes, tls))
        return started[-1]

    yield start
    for s in started:
        s.stop()


def fetcher(resolver: Callable[[str, int], list[str]] | None = None) -> Fetcher:
    return Fetcher("tracuu/0.1") if resolver is None else Fetcher("tracuu/0.1", resolver=resolver)


# --- redirects ------------------------------------------------------------------------------


def test_redirect_to_another_port_of_the_same_ip_is_refused(
    servers: Callable[..., Server],
) -> None:
    other = servers({"/bai-viet": send(200, b"<p>trang khac</p>")})
    site = servers({"/robots.txt": send(404)})
    site.routes["/tin-moi"] = send(302, Location=f"{other.url}/bai-viet")
    with fetcher() as f, pytest.raises(OffSiteRedirect) as caught:
        f.get(f"{site.url}/tin-moi", replace(FAST, origins=site_origins([site.url])))
    assert caught.value.target == f"{other.url}/bai-viet"
    assert other.seen == []  # neither the page nor its robots.txt
    assert site.paths() == ["/robots.txt", "/tin-moi"]


def test_redirect_to_another_host_name_is_refused(servers: Callable[..., Server]) -> None:
    site = servers({"/robots.txt": send(404)})
    # localhost is the same machine, but not a host of this site.
    site.routes["/tin-moi"] = send(301, Location=f"http://localhost:{site.port}/bai-viet")
    with fetcher() as f, pytest.raises(OffSiteRedirect):
        f.get(f"{site.url}/tin-moi", replace(FAST, origins=site_origins([site.url])))
    assert site.paths() == ["/robots.txt", "/tin-moi"]


def test_crawl_does_not_index_a_page_redirected_to_another_port(
    servers: Callable[..., Server], tmp_path: Path,
) -> None:
    """Issue 13 §5: a redirect to the same IP on another port was indexed as the site's own."""
    other = Portal(crawl_delay=0.0).start()  # a real portal with real articles, on another port
    try:
        target = other.article_url(other.live()[0])
        home = (f'<html><body><h1>Xã Nâm N\'Jang</h1><a href="/tin/1">Tin mới</a>'
                f'<a href="{other.url}/">liên kết</a></body></html>').encode()
        site = servers({"/robots.txt": send(404), "/": send(200, home,
                        Content_Type="text/html; charset=utf-8"),
                        "/tin/1": send(302, Location=target)})
        settings = replace(Settings(), data_dir=tmp_path / "data", crawl_delay=0.0,
                           user_agent="tracuu/0.1")
        report = crawl(settings, [generic_site(site.url + "/", settings)],
                       policy_overrides={"jitter": 0.0, "retries": 0})
        assert other.requests == []  # nothing at all was asked of the other port
        db = ArticleDB(Paths(settings.data_dir).db, readonly=True)
        try:
            assert [a.url for a in db.iter_all()] == []
        finally:
            db.close()
        assert report.sites[0].errors >= 1
    finally:
        other.stop()


# --- addresses --------------------------------------------------------------------------------

BLOCKED = {
    "10.0.0.1": "private", "172.16.5.4": "private", "192.168.1.1": "private",
    "127.0.0.1": "loopback", "127.1.2.3": "loopback", "::1": "loopback",
    "169.254.169.254": "cloud metadata", "169.254.1.1": "link-local",
    "fd00:ec2::254": "cloud metadata", "100.100.100.200": "cloud metadata",
    "fe80::1": "link-local", "fc00::1": "private", "224.0.0.1": "multicast", "ff02::1": "multicast",
    "0.0.0.0": "unspecified", "240.0.0.1": "reserved", "::ffff:127.0.0.1": "loopback",
    "::ffff:169.254.169.254": "cloud metadata", "64:ff9b::a9fe:a9fe": "cloud metadata",
    "2002:a9fe:a9fe::1": "cloud metadata",
    # Refused for one reason or another (Python versions file them differently):
    "255.255.255.255": "", "100.64.0.1": "", "192.0.2.1": "", "2001:db8::1": "",
}


@pytest.mark.parametrize(("address", "what"), BLOCKED.items(), ids=BLOCKED.keys())
def test_refused_addresses(address: str, what: str) -> None:
    why = refusal(ipaddress.ip_address(address))
    assert why is not None and what in why


@pytest.mark.parametrize("address", ["203.113.131.2", "8.8.8.8", "2001:4860:4860::8888",
                                     "14.225.0.1"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_loopback_allowed_only_for_a_loopback_site() -> None:
    assert refusal(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is None
    assert refusal(ipaddress.ip_address("10.0.0.1"), allow_loopback=True) is not None
    assert refusal(ipaddress.ip_address("169.254.169.254"), allow_loopback=True) is not None
    assert is_loopback_site("127.0.0.1") and is_loopback_site("localhost")
    assert is_loopback_site("xa.example", lambda h, p: ["127.0.0.1", "::1"])
    assert not is_loopback_site("xa.example", lambda h, p: ["127.0.0.1", "203.113.131.2"])


def test_loopback_is_refused_for_a_site_that_is_not(servers: Callable[..., Server]) -> None:
    site = servers({"/robots.txt": send(404), "/": send(200, b"ok")})
    with fetcher() as f, pytest.raises(BlockedAddress, match="loopback"):
        f.get(site.url + "/", replace(FAST, allow_loopback=False))
    assert site.seen == []


def test_the_resolved_address_is_checked_not_the_url_text(
    servers: Callable[..., Server],
) -> None:
    # A public-looking name that resolves to loopback (DNS rebinding, or a hostile DNS record).
    site = servers({"/robots.txt": send(404), "/": send(200, b"ok")})
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    url = f"http://cong-thong-tin.example:{site.port}/"
    with fetcher(resolver=rebinding) as f, pytest.raises(BlockedAddress, match="loopback"):
        f.get(url, replace(FAST, allow_loopback=False))
    assert asked and site.seen == []


def test_connects_to_the_checked_ip_and_keeps_the_host_header(
    servers: Callable[..., Server],
) -> None:
    site = servers({"/robots.txt": send(404), "/": send(200, b"xin chao")})
    # The metadata address comes first: skipped, never connected; the loopback one is used.
    names = {"xa.example": ["169.254.169.254", "127.0.0.1"]}
    url = f"http://xa.example:{site.port}/"
    started = time.monotonic()
    with fetcher(resolver=lambda h, p: names[h]) as f:
        page = f.get(url, replace(FAST, allow_loopback=True))
    assert page.status == 200 and page.body == b"xin chao"
    assert site.seen == [("/robots.txt", f"xa.example:{site.port}"),
                         ("/", f"xa.example:{site.port}")]
    assert time.monotonic() - started < 2.0  # no connect attempt to 169.254.169.254 timed out


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context) for a self-signed certificate of xa.example."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=xa.example", "-addext", "subjectAltName=DNS:xa.example",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


def test_tls_to_a_pinned_ip_verifies_the_host_name(
    servers: Callable[..., Server], tls_pair: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_ctx, client_ctx = tls_pair
    sni: list[str | None] = []

    def record(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        sni.append(name)

    server_ctx.sni_callback = record
    site = servers({"/": send(200, b"an toan")}, tls=server_ctx)
    transport = PinnedTransport(allow_loopback=True, verify=client_ctx,
                                resolver=lambda h, p: ["127.0.0.1"])
    with httpx.Client(transport=transport) as client:
        assert client.get(f"https://xa.example:{site.port}/").content == b"an toan"
        # The certificate is for xa.example, not for the IP connected to: verification holds.
        with pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|mismatch"):
            client.get(f"https://khac.example:{site.port}/")
    assert sni[0] == "xa.example"


# --- the deadline ---------------------------------------------------------------------------


def drip(head: bool, seconds: float = 8.0, step: float = 0.1) -> Handler:
    """Answer one byte every `step` seconds for `seconds` (headers too when `head`)."""

    def answer(h: BaseHTTPRequestHandler) -> None:
        out = h.wfile
        payload = b"<p>" + b"x" * int(seconds / step) + b"</p>"
        start = (f"HTTP/1.1 200 OK\r\nContent-Length: {len(payload)}\r\n"
                 "Content-Type: text/html\r\n\r\n").encode()
        stream = start + payload if head else payload
        if not head:
            out.write(start)
            out.flush()
        h.close_connection = True
        try:
            for i in range(len(stream)):
                out.write(stream[i:i + 1])
                out.flush()
                time.sleep(step)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler hung up: what the test wants

    return answer


@pytest.mark.parametrize("head", [False, True], ids=["dripping-body", "dripping-headers"])
def test_a_dripping_server_is_cut_at_the_deadline(
    servers: Callable[..., Server], head: bool,
) -> None:
    """Issue 13 §6: one byte a second held one URL for 123 s with timeout=3."""
    site = servers({"/robots.txt": send(404), "/cham": drip(head), "/nhanh": send(200, b"ok")})
    policy = replace(FAST, deadline=1.0, read_timeout=5.0, retries=2)
    with fetcher() as f:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded) as caught:
            f.get(f"{site.url}/cham", policy)
        took = time.monotonic() - started
        # The crawl goes on: the next URL of the same server is fetched normally.
        assert f.get(f"{site.url}/nhanh", policy).body == b"ok"
    assert 0.9 <= took < 3.0
    assert caught.value.kind == "deadline" and "deadline of 1s" in caught.value.reason
    assert site.paths().count("/cham") == 1  # not retried: it would hold the host again


def test_the_deadline_bounds_a_mock_transport_too() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)

        def chunks() -> Iterator[bytes]:
            for _ in range(40):
                time.sleep(0.05)
                yield b"x"

        return httpx.Response(200, content=chunks())

    with Fetcher("tracuu/0.1", transport=httpx.MockTransport(slow)) as f, \
            pytest.raises(DeadlineExceeded):
        f.get("http://xa.gov.vn/cham", replace(FAST, deadline=0.5))
