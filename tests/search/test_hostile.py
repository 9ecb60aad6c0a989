"""No query string makes the API fail: random text, Whoosh syntax, huge and control strings."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import LiveServer

WHOOSH_SYNTAX = [
    "title:",
    "body:",
    "*",
    "?",
    '"',
    "(",
    ")",
    "AND",
    "OR",
    "NOT",
    "~2",
    "^3",
    "[a TO b]",
    "{",
    "}",
    "\\",
    "/",
    "-",
    "+",
    ":",
    "'",
    "<",
    ">",
    "&",
    "%",
]
VIET = [*list("aăâeêioôơuưyđ"), "ủy", "ban", "nhân", "dân", "UBND", "123/KH-UBND", "hoà"]

query_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(WHOOSH_SYNTAX + VIET), max_size=30).map(" ".join),
    st.lists(st.sampled_from(WHOOSH_SYNTAX + VIET), max_size=30).map("".join),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=50),
    st.integers(min_value=1, max_value=10_000).map(lambda n: ("dân vận " * n)[:10_000]),
)


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    """A keep-alive client to the real server (hundreds of requests)."""
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        yield c


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=query_text, page=st.sampled_from(["1", "2", "", "-1", "abc", "99999999999999999999"]))
def test_api_search_never_fails(client: httpx.Client, q: str, page: str) -> None:
    r = client.get("/api/search", params={"q": q, "page": page})
    assert r.status_code in (200, 400), (q, r.status_code, r.text[:200])
    body = r.json()
    if r.status_code == 200:
        assert isinstance(body["hits"], list)
    else:
        assert body["error"]["code"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=query_text)
def test_page_and_suggest_never_fail(client: httpx.Client, q: str) -> None:
    assert client.get("/search", params={"q": q}).status_code in (200, 400)
    assert client.get("/api/suggest", params={"q": q}).status_code == 200


@pytest.mark.parametrize(
    "q",
    [
        "title:xã",
        "*",
        "dân*",
        "?",
        '"',
        '"dân vận',
        "((",
        "AND",
        "a AND OR b",
        "huyện~2",
        "xã^3",
        "x" * 10_000,
        "\x00\x07\x1b[31m",
        "\ud7ff\ufffe",
        "%00",
        "'; DROP TABLE articles;--",
    ],
    ids=[
        "field",
        "star",
        "prefix",
        "question",
        "quote",
        "open quote",
        "parens",
        "AND",
        "ops",
        "fuzzy",
        "boost",
        "10k",
        "control",
        "odd unicode",
        "percent",
        "sql",
    ],
)
def test_hostile_queries_over_http(live_server: LiveServer, q: str) -> None:
    r = httpx.get(live_server.url + "/api/search", params={"q": q}, timeout=30)
    assert r.status_code == 200, r.text[:200]


TRAVERSALS = [
    "/static/../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2f..%2fetc%2fpasswd",
    "/static/%2e%2e%2f%2e%2e%2fapp.py",
    "/static/....//....//etc/passwd",
    "/van-ban/../../../../etc/passwd",
    "/van-ban/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/api/documents/..%2f..%2f..%2fetc%2fpasswd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_reads_nothing_outside(live_server: LiveServer, path: str) -> None:
    """Raw request lines (no client-side normalising): never a file from outside static/."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        r = conn.getresponse()
        body = r.read().decode("utf-8", "replace")
    finally:
        conn.close()
    assert r.status in (400, 404), (r.status, body[:200])
    assert "root:" not in body and "create_app" not in body
    if path.startswith("/api/"):
        assert r.getheader("content-type") == "application/json"
