"""Fetcher unit tests over httpx.MockTransport, with a fake clock (no real waiting)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from crawl.address import origin_of, site_origins
from crawl.errors import Disallowed, FetchError, OffSite, OffSiteRedirect, PageTooLarge
from crawl.fetch import Fetcher, Policy, backoff_delay, parse_retry_after, product_token

ROBOTS = "User-agent: *\nDisallow: /quan-tri/\nCrawl-delay: 2\n"


class Clock:
    """time.monotonic and time.sleep that only move when slept."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def make(handler: Callable[[httpx.Request], httpx.Response], clock: Clock) -> Fetcher:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text=ROBOTS)
        return handler(request)

    return Fetcher("tracuu/0.1 (+https://tracuu.example)", transport=httpx.MockTransport(route),
                   clock=clock, sleep=clock.sleep, rand=lambda: 0.0)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), ("0", 0.0), ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0), ("soon", None),
     (None, None), ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0)],
    ids=["seconds", "zero", "http-date", "garbage", "absent", "date-in-the-past"],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(value, now) == seconds


def test_backoff_doubles_and_is_capped() -> None:
    steps = [backoff_delay(a, 2.0, 1.0) for a in range(10)]
    assert steps[:4] == [2.0, 4.0, 8.0, 16.0]
    assert max(steps) == 300.0
    assert backoff_delay(0, 2.0, 0.0) == 1.0  # jitter only shortens, down to half


def test_product_token() -> None:
    assert product_token("tracuu/0.1 (+https://x)") == "tracuu"


def test_retry_after_is_honoured_on_429_then_503_backs_off() -> None:
    clock, answers = Clock(), iter([
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(503),
        httpx.Response(200, text="<p>xin chào</p>"),
    ])
    with make(lambda r: next(answers), clock) as f:
        page = f.get("http://xa.gov.vn/tin", Policy(delay=0.0, jitter=0.0, backoff=3.0))
    assert page.status == 200 and page.body == "<p>xin chào</p>".encode()
    # 2 s Crawl-delay after robots.txt, then Retry-After 7, then a 3 s back-off.
    assert clock.sleeps == [2.0, 7.0, 3.0]


def test_gives_up_after_retries_and_on_long_retry_after() -> None:
    clock = Clock()
    with make(lambda r: httpx.Response(503), clock) as f:
        page = f.get("http://xa.gov.vn/a", Policy(retries=2, backoff=1.0, jitter=0.0))
    assert page.status == 503 and f.requests == 4  # robots + 3 attempts
    with make(lambda r: httpx.Response(429, headers={"Retry-After": "86400"}), clock) as f, \
            pytest.raises(FetchError, match="too long"):
        f.get("http://xa.gov.vn/a", Policy(max_wait=600))


def test_network_errors_are_retried_then_raised() -> None:
    clock, calls = Clock(), []

    def boom(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectError("refused", request=request)

    with make(boom, clock) as f, pytest.raises(FetchError, match="ConnectError"):
        f.get("http://xa.gov.vn/a", Policy(retries=2, backoff=1.0, jitter=0.0))
    assert calls == ["/a", "/a", "/a"]


def test_max_page_size_by_header_and_by_stream() -> None:
    clock = Clock()
    big = b"x" * 2000
    with make(lambda r: httpx.Response(200, content=big), clock) as f, pytest.raises(PageTooLarge):
        f.get("http://xa.gov.vn/declared", Policy(max_bytes=1000))

    def streamed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"x" * 600, b"x" * 600]))  # no Content-Length

    with make(streamed, clock) as f, pytest.raises(PageTooLarge):
        f.get("http://xa.gov.vn/streamed", Policy(max_bytes=1000))


def test_robots_disallow_is_never_requested_and_crawl_delay_spaces_requests() -> None:
    clock, seen = Clock(), []

    def ok(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, clock.now))
        return httpx.Response(200, text="ok")

    with make(ok, clock) as f:
        with pytest.raises(Disallowed):
            f.get("http://xa.gov.vn/quan-tri/dang-nhap", Policy(delay=0.5))
        f.get("http://xa.gov.vn/a", Policy(delay=0.5))
        f.get("http://xa.gov.vn/b", Policy(delay=0.5))
        f.get("http://other.gov.vn/c", Policy(delay=0.5))  # another host does not wait
    paths = [p for p, _ in seen]
    assert paths == ["/a", "/b", "/c"]
    assert seen[1][1] - seen[0][1] >= 2.0  # robots Crawl-delay (2 s) beats our 0.5 s


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (503, False)],
                         ids=["no-robots-allows-all", "robots-5xx-disallows-all"])
def test_robots_missing_or_broken(status: int, allowed: bool) -> None:
    clock = Clock()

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(status)
        return httpx.Response(200, text="ok")

    f = Fetcher("tracuu/0.1", transport=httpx.MockTransport(route), clock=clock,
                sleep=clock.sleep, rand=lambda: 0.0)
    with f:
        assert f.allowed("http://xa.gov.vn/tin", Policy(retries=0)) is allowed


def test_conditional_get_and_user_agent() -> None:
    clock, headers = Clock(), []

    def cond(request: httpx.Request) -> httpx.Response:
        headers.append(dict(request.headers))
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, text="ok", headers={"ETag": '"v1"'})

    with make(cond, clock) as f:
        first = f.get("http://xa.gov.vn/a", Policy())
        again = f.get("http://xa.gov.vn/a", Policy(), etag=first.etag,
                      last_modified="Wed, 21 Oct 2015 07:28:00 GMT")
    assert first.etag == '"v1"' and again.status == 304
    assert headers[1]["if-modified-since"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert headers[0]["user-agent"] == "tracuu/0.1 (+https://tracuu.example)"


def test_redirects_are_followed_hop_by_hop() -> None:
    clock = Clock()

    def moved(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "/new"})
        if request.url.path == "/loop":
            return httpx.Response(302, headers={"Location": "/loop"})
        if request.url.path == "/to-admin":
            return httpx.Response(302, headers={"Location": "/quan-tri/"})
        return httpx.Response(200, text="new")

    with make(moved, clock) as f:
        page = f.get("http://xa.gov.vn/old", Policy())
        assert (page.url, page.final_url, page.status) == (
            "http://xa.gov.vn/old", "http://xa.gov.vn/new", 200)
        with pytest.raises(FetchError, match="redirects"):
            f.get("http://xa.gov.vn/loop", Policy())
        with pytest.raises(Disallowed):
            f.get("http://xa.gov.vn/to-admin", Policy())


def hosts_seen(routes: dict[str, httpx.Response]) -> tuple[Fetcher, list[str], Clock]:
    """A fetcher over a MockTransport answering `routes` (full URLs), recording every URL asked."""
    clock, seen = Clock(), []

    def route(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        seen.append(url)
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return routes.get(url, httpx.Response(200, text="ok"))

    fetcher = Fetcher("tracuu/0.1", transport=httpx.MockTransport(route), clock=clock,
                      sleep=clock.sleep, rand=lambda: 0.0)
    return fetcher, seen, clock


def moved(location: str, status: int = 302) -> httpx.Response:
    return httpx.Response(status, headers={"Location": location})


OFF_SITE = {
    "other-host": "http://quangcao.example.com/bai-viet",
    "same-ip-other-port": "http://xa.gov.vn:8080/bai-viet",
    "downgrade-to-http": "http://xa.gov.vn/bai-viet",
    "metadata": "http://169.254.169.254/latest/meta-data/",
    "loopback": "http://127.0.0.1/quan-tri",
    "file-scheme": "file:///etc/passwd",
    "userinfo-trick": "https://xa.gov.vn@quangcao.example.com/",
}


@pytest.mark.parametrize("target", OFF_SITE.values(), ids=OFF_SITE.keys())
def test_redirect_off_site_is_refused_and_the_target_never_asked(target: str) -> None:
    start = "https://xa.gov.vn/tin"
    fetcher, seen, _ = hosts_seen({start: moved(target)})
    with fetcher, pytest.raises(OffSiteRedirect) as caught:
        fetcher.get(start, Policy(origins=site_origins([start])))
    assert caught.value.kind == "off-site redirect" and caught.value.target == target
    # Only the site's own robots.txt and the redirecting page: not the target, not its robots.txt.
    assert seen == ["https://xa.gov.vn/robots.txt", start]


def test_redirects_within_the_site_are_followed() -> None:
    start = "http://xa.gov.vn/tin"
    routes = {
        start: moved("https://xa.gov.vn/tin"),  # the https upgrade of the same host
        "https://xa.gov.vn/tin": moved("https://www.xa.gov.vn/tin", 301),  # a www variant
        "https://www.xa.gov.vn/tin": moved("https://cu.xa.gov.vn/tin"),  # an extra `hosts` entry
    }
    fetcher, seen, _ = hosts_seen(routes)
    origins = site_origins([start], {"xa.gov.vn", "www.xa.gov.vn", "cu.xa.gov.vn"})
    with fetcher:
        page = fetcher.get(start, Policy(origins=origins))
    assert (page.url, page.final_url, page.status) == (start, "https://cu.xa.gov.vn/tin", 200)
    assert [u for u in seen if not u.endswith("robots.txt")] == [
        start, "https://xa.gov.vn/tin", "https://www.xa.gov.vn/tin", "https://cu.xa.gov.vn/tin"]


def test_without_site_origins_redirects_stay_on_the_asked_origin() -> None:
    start = "http://xa.gov.vn/tin"
    fetcher, seen, _ = hosts_seen({start: moved("http://www.xa.gov.vn/tin")})
    with fetcher, pytest.raises(OffSiteRedirect):
        fetcher.get(start, Policy())
    assert "http://www.xa.gov.vn/tin" not in seen


def test_a_url_outside_the_site_origins_is_not_requested() -> None:
    # The frontier matches host names only; the fetcher also holds scheme and port.
    fetcher, seen, _ = hosts_seen({})
    origins = site_origins(["http://127.0.0.1:8001/"])
    with fetcher, pytest.raises(OffSite) as caught:
        fetcher.get("http://127.0.0.1:8002/bai-viet", Policy(origins=origins))
    assert caught.value.kind == "off-site" and seen == []


def test_robots_txt_redirecting_off_site_counts_as_absent() -> None:
    clock, seen = Clock(), []

    def route(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/robots.txt":
            return moved("https://cdn.example.com/robots.txt")
        return httpx.Response(200, text="ok")

    with Fetcher("tracuu/0.1", transport=httpx.MockTransport(route), clock=clock,
                 sleep=clock.sleep, rand=lambda: 0.0) as f:
        assert f.get("https://xa.gov.vn/tin", Policy()).status == 200
    assert seen == ["https://xa.gov.vn/robots.txt", "https://xa.gov.vn/tin"]


@pytest.mark.parametrize(("url", "origin"), [
    ("https://XA.gov.vn/tin?a=1", "https://xa.gov.vn:443"),
    ("http://xa.gov.vn:8080/", "http://xa.gov.vn:8080"),
    ("http://[::1]:8000/", "http://[::1]:8000"),
    ("javascript:alert(1)", None),
    ("http://xa.gov.vn:99999/", None),
    ("//xa.gov.vn/", None),
], ids=["default-port", "explicit-port", "ipv6", "javascript", "bad-port", "no-scheme"])
def test_origin_of(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin


def test_site_origins_upgrade_only_upwards() -> None:
    assert site_origins(["http://xa.gov.vn/"], {"www.xa.gov.vn"}) == {
        "http://xa.gov.vn:80", "https://xa.gov.vn:443",
        "http://www.xa.gov.vn:80", "https://www.xa.gov.vn:443"}
    assert site_origins(["https://xa.gov.vn/"]) == {"https://xa.gov.vn:443"}
    assert site_origins(["http://127.0.0.1:8001/"]) == {"http://127.0.0.1:8001"}
