"""The server-rendered search page, checked with BeautifulSoup over a real server."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from bs4 import BeautifulSoup, Tag
from starlette.applications import Starlette
from starlette.routing import Route

from indexer.config import Settings
from indexer.text import fold_lower
from search.engine import Engine
from search.views import (
    PageViews,
    highlight,
    page_numbers,
    plain,
    public_base,
    unescape_twice,
    url_with,
    vn_date,
    vn_number,
    vn_seconds,
)
from tests.conftest import FIXTURES, LiveServer, build_data_dir, free_port

PAGE_ARTICLES = FIXTURES / "page_articles.jsonl"
PORTAL = "https://portal.example.gov.vn"


@pytest.fixture(scope="module")
def page_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_data_dir(tmp_path_factory.mktemp("page"), PAGE_ARTICLES)


@pytest.fixture(scope="module")
def server(page_dir: Path) -> Iterator[LiveServer]:
    with LiveServer(Settings(data_dir=page_dir)) as s:
        yield s


def fetch(server: LiveServer, path: str, **params: str) -> httpx.Response:
    return httpx.get(server.url + path, params=params, timeout=10)


def page(
    server: LiveServer, path: str = "/search", status: int = 200, **params: str
) -> BeautifulSoup:
    r = fetch(server, path, **params)
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    return BeautifulSoup(r.text, "html.parser")


def one(soup: BeautifulSoup | Tag, selector: str) -> Tag:
    found = soup.select(selector)
    assert len(found) == 1, f"{selector}: {len(found)} matches"
    return found[0]


def query_of(href: str) -> dict[str, list[str]]:
    parts = urlsplit(href)
    assert parts.path == "/search", href
    return parse_qs(parts.query)


def text(tag: Tag) -> str:
    return " ".join(tag.get_text(" ").split())


# -- pure helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("2021-06-24", "24/06/2021"), ("2021-06-24T08:30:00+07:00", "24/06/2021"),
     ("2020-01-05T00:00:00", "05/01/2020"), (None, ""), ("", ""), ("không rõ", "")],
    ids=["date", "datetime", "padded", "none", "empty", "garbage"],
)
def test_vn_date(raw: str | None, shown: str) -> None:
    assert vn_date(raw) == shown


@pytest.mark.parametrize(
    ("n", "shown"), [(0, "0"), (999, "999"), (1234, "1.234"), (1234567, "1.234.567")],
    ids=["zero", "hundreds", "thousands", "millions"],
)
def test_vn_number(n: int, shown: str) -> None:
    assert vn_number(n) == shown


def test_vn_seconds_uses_a_decimal_comma() -> None:
    assert vn_seconds(23.4) == "0,02"
    assert vn_seconds(1250) == "1,25"


def test_page_numbers_window_and_gaps() -> None:
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 3) == [1, 2, 3]
    assert page_numbers(10, 40) == [1, None, 9, 10, 11, None, 40]


def test_url_with_drops_empty_values_and_page_one() -> None:
    params = {"q": "dân vận", "site": "a.gov.vn", "page": "3"}
    assert url_with(params, page=1) == "/search?q=d%C3%A2n+v%E1%BA%ADn&site=a.gov.vn"
    assert url_with(params, site=None, page=None, q="") == "/search"


# -- the page --------------------------------------------------------------------------------------


def test_home_is_vietnamese_labelled_and_has_no_inline_code(server: LiveServer) -> None:
    soup = page(server, "/")
    assert one(soup, "html")["lang"] == "vi"
    assert "Tra cứu" in text(one(soup, "title"))
    form = one(soup, "form[role=search]")
    assert form["action"] == "/search" and form["method"] == "get"
    # Every control has a visible or screen-reader label.
    for control in form.select("input:not([type=hidden]), select"):
        label = soup.select_one(f'label[for="{control["id"]}"]')
        assert label is not None and text(label), control
    assert one(soup, "#q").has_attr("autofocus")
    # CSP: no inline scripts, no inline styles.
    assert all(s.get("src") and not s.string for s in soup.find_all("script"))
    assert not soup.find_all("style")
    assert not soup.select("[style]")
    assert not [a for t in soup.find_all(True) for a in t.attrs if a.startswith("on")]
    assert "Gõ có dấu hoặc không dấu" in text(soup)


def test_results_show_count_time_title_site_date_type(server: LiveServer) -> None:
    soup = page(server, q="Đừng vội kết tội Yến Vy")  # page-00, published 24/06/2021
    count = text(one(soup, ".count"))
    assert re.fullmatch(r"Khoảng [\d.]+ kết quả \(\d+,\d\d giây\)", count), count
    assert not one(soup, "#q").has_attr("autofocus")  # no keyboard popping up over results
    first = soup.select("li.hit")[0]
    link = one(first, "h2 a")
    assert link["href"].startswith("https://") and link["href"].endswith(".html")
    assert one(first, "time").get_text() == "24/06/2021"
    assert one(first, "time")["datetime"] == "2021-06-24"
    assert "example.gov.vn" in text(one(first, ".src"))
    assert one(first, "p.snip").find("mark") is not None


def test_document_type_and_number_are_shown(server: LiveServer) -> None:
    soup = page(server, q="123/KH-UBND")
    tags = [text(t) for t in soup.select("li.hit .tag.doc")]
    assert "Kế hoạch số 123/KH-UBND" in tags


def test_missing_dates_are_left_out(server: LiveServer) -> None:
    soup = page(server, q="huyện", size="50")
    hits = soup.select("li.hit")
    assert hits
    dated = [h for h in hits if h.find("time")]
    assert 0 < len(dated) < len(hits)
    for h in dated:
        assert re.fullmatch(r"\d\d/\d\d/\d{4}", h.find("time").get_text())


def test_pagination_links_keep_query_and_filters(server: LiveServer) -> None:
    soup = page(server, q="huyện", sort="newest")
    nav = one(soup, "nav.pages")
    assert nav["aria-label"] == "Phân trang"
    assert text(one(nav, "[aria-current=page]")) == "Trang 1"
    nxt = one(nav, "a[rel=next]")
    assert query_of(nxt["href"]) == {"q": ["huyện"], "sort": ["newest"], "page": ["2"]}
    soup2 = page(server, q="huyện", sort="newest", page="2")
    assert text(one(soup2, "nav.pages [aria-current=page]")) == "Trang 2"
    prev = one(soup2, "nav.pages a[rel=prev]")
    assert query_of(prev["href"]) == {"q": ["huyện"], "sort": ["newest"]}  # page 1 implicit
    first_ids = {a["href"] for a in soup.select("li.hit h2 a")}
    assert first_ids.isdisjoint(a["href"] for a in soup2.select("li.hit h2 a"))
    assert one(soup2, "ol.hits")["start"] == "11"


def test_filters_stay_in_the_url_and_can_be_removed(server: LiveServer) -> None:
    params = {"q": "huyện", "site": "daksong.example.gov.vn", "category": "Pháp luật",
              "from": "2021-01-01", "to": "2021-12-31", "sort": "newest"}
    soup = page(server, **params)
    assert one(soup, "select[name=site] option[selected]")["value"] == params["site"]
    assert one(soup, "select[name=category] option[selected]")["value"] == "Pháp luật"
    assert one(soup, "input[name=from]")["value"] == "2021-01-01"
    assert one(soup, "input[name=sort][type=hidden]")["value"] == "newest"
    for hit in soup.select("li.hit"):
        assert "daksong.example.gov.vn" in text(one(hit, ".src"))
    chips = {text(a): a["href"] for a in soup.select(".chips a")}
    assert "Từ ngày: 01/01/2021 ×" in chips
    dropped_site = query_of(chips["Trang: daksong.example.gov.vn ×"])
    assert "site" not in dropped_site and dropped_site["category"] == ["Pháp luật"]
    assert query_of(chips["Bỏ tất cả bộ lọc"]) == {"q": ["huyện"], "sort": ["newest"]}
    links = {text(a): a for a in soup.select(".sort a")}
    assert sorted(links) == ["Cũ nhất", "Phù hợp nhất"]  # "Mới nhất" is the current one
    assert query_of(links["Cũ nhất"]["href"])["sort"] == ["oldest"]
    relevance = links["Phù hợp nhất"]
    assert "sort" not in query_of(relevance["href"])
    assert query_of(relevance["href"])["site"] == [params["site"]]


def test_sort_newest_orders_by_date(server: LiveServer) -> None:
    soup = page(server, q="huyện", sort="newest", size="50")
    days = [t["datetime"] for t in soup.select("li.hit time")]
    assert days == sorted(days, reverse=True) and len(days) > 3


@pytest.mark.parametrize(
    "query", ["alert", "Ban Dân vận", "img onerror"], ids=["alert", "dan-van", "onerror"]
)
def test_markup_in_titles_and_bodies_shows_as_text(server: LiveServer, query: str) -> None:
    r = fetch(server, "/search", q=query)
    soup = BeautifulSoup(r.text, "html.parser")
    assert [s.get("src") for s in soup.find_all("script")] == ["/static/app.js"]
    assert not soup.find_all("img")
    assert "<img" not in r.text and "<script>alert" not in r.text
    titles = [a.get_text() for a in soup.select("li.hit h2 a")]  # marks split the text nodes
    assert any("<script>alert(1)</script>" in t or '"><img src=x onerror=alert(1)>' in t
               for t in titles), titles
    for snip in soup.select("li.hit p.snip"):
        assert {t.name for t in snip.find_all(True)} <= {"mark"}


def test_query_is_escaped_everywhere(server: LiveServer) -> None:
    q = '"><script>alert(1)</script>'
    r = fetch(server, "/search", q=q)
    assert "<script>alert(1)" not in r.text
    soup = BeautifulSoup(r.text, "html.parser")
    assert one(soup, "#q")["value"] == q


def test_security_headers(server: LiveServer) -> None:
    for path in ("/", "/search?q=huy%E1%BB%87n", "/embed", "/static/style.css"):
        r = fetch(server, path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"]


def test_cors_is_off_by_default(server: LiveServer) -> None:
    r = httpx.get(server.url + "/api/search", params={"q": "huyện"}, headers={"Origin": PORTAL})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


def test_cors_allows_the_configured_origins(page_dir: Path) -> None:
    with LiveServer(Settings(data_dir=page_dir, cors_origins=(PORTAL,))) as s:
        ok = httpx.get(s.url + "/api/search", params={"q": "huyện"}, headers={"Origin": PORTAL})
        assert ok.headers["access-control-allow-origin"] == PORTAL
        other = httpx.get(s.url + "/api/search", params={"q": "huyện"},
                          headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        pre = httpx.options(s.url + "/api/search", headers={
            "Origin": PORTAL, "Access-Control-Request-Method": "GET"})
        assert pre.status_code == 200


def test_empty_results_help_and_drop_filters(server: LiveServer) -> None:
    soup = page(server, q="xyzqwv", site="phuquoc.example.gov.vn", category="Pháp luật")
    empty = one(soup, ".empty")
    assert "Không tìm thấy kết quả nào cho “xyzqwv”" in text(empty)
    assert "chính tả" in text(empty) and "ít từ hơn" in text(empty)
    drop = one(empty, "a.drop")
    assert query_of(drop["href"]) == {"q": ["xyzqwv"]}
    assert not soup.select("nav.pages")


def test_did_you_mean_restores_diacritics(server: LiveServer) -> None:
    soup = page(server, q="dan van huyen uy", site="tanphuoc.example.gov.vn")
    dym = one(soup, "p.dym")
    assert text(dym).startswith("Có phải bạn muốn tìm:")
    link = one(dym, "a")
    assert text(link) == "dân vận huyện ủy"
    assert query_of(link["href"]) == {
        "q": ["dân vận huyện ủy"], "site": ["tanphuoc.example.gov.vn"]}


def test_bad_parameters_get_a_vietnamese_message(server: LiveServer) -> None:
    soup = page(server, status=400, q="huyện", **{"from": "24/06/2021"})
    assert "Ngày bắt đầu không hợp lệ" in text(one(soup, "[role=alert]"))
    soup = page(server, status=400, q="huyện", **{"from": "2021-06-24", "to": "2021-01-01"})
    assert "trước ngày kết thúc" in text(one(soup, "[role=alert]"))


def test_embed_page_gives_a_one_line_get_form_to_the_public_url(page_dir: Path) -> None:
    public = "https://tracuu.example.gov.vn/"
    with LiveServer(Settings(data_dir=page_dir, public_url=public)) as s:
        # A forged Host header must not end up in the code a portal copies.
        r = httpx.get(s.url + "/embed", headers={"Host": "evil.example"}, timeout=10)
    soup = BeautifulSoup(r.text, "html.parser")
    code = one(soup, "textarea#ma-nhung").get_text()
    assert "\n" not in code.strip() and "evil" not in r.text
    form = one(BeautifulSoup(code, "html.parser"), "form")
    assert form["action"] == "https://tracuu.example.gov.vn/search"
    assert form["method"] == "get" and form["accept-charset"] == ["utf-8"]
    assert one(form, "input")["name"] == "q"
    assert one(soup, "label[for=ma-nhung]")
    assert one(soup, "form.demo")["action"] == "/search"  # the try-out stays on this site


def test_embed_page_without_public_url_says_so(server: LiveServer) -> None:
    r = httpx.get(server.url + "/embed", headers={"Host": "evil.example"}, timeout=10)
    soup = BeautifulSoup(r.text, "html.parser")
    assert not soup.select("textarea") and "evil" not in r.text
    assert "public_url" in text(one(soup, "p.error"))


@pytest.mark.parametrize(
    ("url", "base"),
    [("https://tracuu.example.gov.vn/", "https://tracuu.example.gov.vn"),
     ("http://10.0.0.5:8000/tra-cuu", "http://10.0.0.5:8000/tra-cuu"),
     ("", ""), ("javascript:alert(1)", ""), ('https://x.vn/"><script>', "")],
    ids=["https", "prefix", "unset", "javascript", "markup"],
)
def test_public_base(url: str, base: str) -> None:
    assert public_base(url) == base


def test_form_action_is_self_only(server: LiveServer) -> None:
    csp = fetch(server, "/").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["form-action"] == "'self'"


@pytest.mark.parametrize(
    ("path", "status"),
    [("/", 200), ("/search?q=huy%E1%BB%87n", 200), ("/search?q=xyzqwv", 200),
     ("/search?q=huy%E1%BB%87n&from=x", 400), ("/embed", 200), ("/van-ban/page-00", 200),
     ("/van-ban/khong-co", 404), ("/khong-co-trang-nay", 404)],
    ids=["home", "results", "empty", "bad-param", "embed", "article", "no-article", "404"],
)
def test_one_h1_per_page(server: LiveServer, path: str, status: int) -> None:
    r = httpx.get(server.url + path, timeout=10)
    assert r.status_code == status
    assert len(BeautifulSoup(r.text, "html.parser").find_all("h1")) == 1


def test_unknown_page_is_a_vietnamese_page_with_the_search_box(server: LiveServer) -> None:
    soup = page(server, "/khong-co-trang-nay", status=404)
    assert "Không có trang này" in text(one(soup, "[role=alert]"))
    assert one(soup, "form[role=search]")["action"] == "/search"


def test_oldest_sort_is_offered_and_orders_by_date(server: LiveServer) -> None:
    soup = page(server, q="huyện")
    links = {text(a): a["href"] for a in soup.select(".sort a")}
    assert query_of(links["Cũ nhất"]) == {"q": ["huyện"], "sort": ["oldest"]}
    soup = page(server, q="huyện", sort="oldest", size="50")
    assert text(one(soup, ".sort [aria-current]")) == "Cũ nhất"
    days = [t["datetime"] for t in soup.select("li.hit time")]
    assert days == sorted(days) and len(days) > 3


def test_filters_auto_apply_hook_and_button_without_js(server: LiveServer) -> None:
    soup = page(server, q="huyện")
    assert one(soup, "details.filters button.apply[type=submit]")  # no JavaScript: a button
    css = fetch(server, "/static/style.css").text
    assert ".js .filters .apply{display:none}" in css
    assert "requestSubmit" in fetch(server, "/static/app.js").text


def test_print_stylesheet_hides_the_chrome(server: LiveServer) -> None:
    css = fetch(server, "/static/style.css").text
    printed = css[css.index("@media print{") :]
    for hidden in (".box", ".filters", ".foot", ".pages"):
        assert hidden in printed.split("{display:none")[0]


def test_first_results_page_weighs_under_50_kb(server: LiveServer) -> None:
    r = fetch(server, "/search", q="huyện")
    soup = BeautifulSoup(r.text, "html.parser")
    assets = [ln["href"] for ln in soup.select("link[rel=stylesheet], link[rel=icon]")]
    assets += [s["src"] for s in soup.find_all("script")]
    total = len(r.content) + sum(len(fetch(server, a).content) for a in assets)
    assert total < 50_000, total


def test_hits_without_url_link_to_the_stored_article(tmp_path: Path) -> None:
    data = tmp_path / "data"
    src = tmp_path / "nourl.jsonl"
    src.write_text(
        '{"id": "vntc-1", "title": "Hội nghị dân vận khéo",'
        ' "body": "Ban Dân vận Huyện ủy.\\nĐoạn hai.",'
        ' "site": "vnexpress.net", "category": "Chính trị Xã hội"}\n', "utf-8")
    build_data_dir(data, src)
    engine = Engine(data)
    views = PageViews(engine, Settings(data_dir=data))
    app = Starlette(routes=[Route("/search", views.search_page),
                            Route("/van-ban/{id:path}", views.document_page, name="document_page")])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(),
                                           log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        base = f"http://127.0.0.1:{server.config.port}"
        r = httpx.get(base + "/search", params={"q": "dân vận"})
        soup = BeautifulSoup(r.text, "html.parser")
        href = one(soup, "li.hit h2 a")["href"]
        assert href == "/van-ban/vntc-1?q=d%C3%A2n+v%E1%BA%ADn"
        assert not soup.select("li.hit time")
        doc = BeautifulSoup(httpx.get(base + href).text, "html.parser")
        assert text(one(doc, "h1")) == "Hội nghị dân vận khéo"
        assert [text(p) for p in doc.select("article > p")][-2:] == [
            "Ban Dân vận Huyện ủy.", "Đoạn hai."]
        # The query is highlighted (title and body) and stays in the page's search box.
        assert [text(m) for m in doc.select("article mark")] == ["dân vận", "Dân vận"]
        assert one(doc, "form[role=search] #q")["value"] == "dân vận"
        assert "không rõ" in text(one(doc, ".meta .date"))  # no date known: said so
        assert httpx.get(base + "/van-ban/khong-co").status_code == 404
    finally:
        server.should_exit = True
        thread.join(10)
        engine.close()


def test_a_page_past_the_end_helps_back_to_the_first(server: LiveServer) -> None:
    soup = page(server, q="huyện", page="40")
    empty = one(soup, ".empty")
    assert "ở trang 40" in text(empty)
    back = [a for a in empty.select("a") if "trang kết quả đầu tiên" in text(a)]
    assert back and query_of(back[0]["href"]) == {"q": ["huyện"]}


def test_article_page_shows_date_search_box_and_highlights(server: LiveServer) -> None:
    soup = page(server, "/van-ban/page-00", q="yen vy")
    date_ = one(soup, ".meta .date time")
    assert date_["datetime"] == "2021-06-24" and text(date_) == "24/06/2021"
    assert one(soup, "form[role=search] input#q")["value"] == "yen vy"
    marks = [text(m) for m in soup.select("article mark")]
    assert "Yến Vy" in marks and all(fold_lower(m) in ("yen", "vy", "yen vy") for m in marks)
    assert query_of(one(soup, "p.back a")["href"]) == {"q": ["yen vy"]}


def test_highlight_marks_whole_words_only_and_escapes() -> None:
    out = highlight("Ban Dân vận <b>dân</b> vẫn; dânvận", frozenset({"dân", "vận"}))
    assert out == "Ban <mark>Dân vận</mark> &lt;b&gt;<mark>dân</mark>&lt;/b&gt; vẫn; dânvận"
    out = highlight("Ban Dân vận, dân vẫn", frozenset({"dan", "van"}))  # typed unaccented
    assert out == "Ban <mark>Dân vận</mark>, <mark>dân vẫn</mark>"
    assert highlight("A&amp;B", frozenset()) == "A&amp;B"  # shows "A&B"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("TTNCKT&amp;QLMT", "TTNCKT&QLMT"), ("a &amp;amp; b", "a &amp; b"), ("&lt;b&gt;", "<b>"),
     ("AT&T", "AT&T"), ("&#273;", "đ"), ("", "")],
)
def test_plain_turns_leftover_entities_into_characters(raw: str, shown: str) -> None:
    assert plain(raw) == shown


def test_unescape_twice_keeps_markup_escaped() -> None:
    assert unescape_twice("A&amp;amp;B &amp;lt;script&amp;gt; <mark>x</mark>") == (
        "A&amp;B &lt;script&gt; <mark>x</mark>")


def test_ampersand_entities_never_show_literally(live_server: LiveServer) -> None:
    r = httpx.get(live_server.url + "/search", params={"q": "TTNCKT"}, timeout=10)
    soup = BeautifulSoup(r.text, "html.parser")
    snips = [p.get_text() for p in soup.select("li.hit p.snip")]
    assert any("TTNCKT&QLMT" in s for s in snips), snips
    assert "&amp;" not in soup.get_text()
    href = one(soup, "li.hit h2 a")["href"]
    doc = BeautifulSoup(httpx.get(live_server.url + href, timeout=10).text, "html.parser")
    assert "TTNCKT&QLMT" in one(doc, "article").get_text() and "&amp;" not in doc.get_text()
