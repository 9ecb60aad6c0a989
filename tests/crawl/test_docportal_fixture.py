"""The document portal fixture (issue 10): it serves what its truth says, and the truth holds.

Fast: no OCR (scanned pages are read from the OCR text stored next to the truth).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

from crawl.filetext import extract_text
from crawl.filetypes import kind_from_url, sniff
from indexer.text import fold, normalize
from tests.fixtures.docportal.content import DOCS, STYLES, documents
from tests.fixtures.docportal.make_truth import PAGE_BREAK, TRUTH, build
from tests.fixtures.docportal.server import DocPortal

TRUTH_DATA: dict[str, Any] = json.loads(TRUTH.read_text(encoding="utf-8"))
DOC_PAGES = TRUTH_DATA["documents"]
FILES = TRUTH_DATA["files"]
IDS = [f"{p['site']}{p['path']}"[:60] for p in DOC_PAGES]


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False, timeout=10) as c:
        yield c


def get_page(portal: DocPortal, client: httpx.Client, site: str, path: str) -> BeautifulSoup:
    r = client.get(portal.url(site, path))
    assert r.status_code == 200, path
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    return BeautifulSoup(r.text, "html.parser")


@cache
def file_text(file: str) -> list[str]:
    """An attachment's pages as a crawl ends up with them (stored OCR text for scans)."""
    info = FILES[file]
    if info["text"] == "text layer":
        return list(extract_text((DOCS / file).read_bytes()).pages)
    stored = (TRUTH.parent / info["text"]).read_text(encoding="utf-8")
    return stored.removesuffix("\n").split(PAGE_BREAK)


def words(text: str) -> str:
    """Folded words, space-separated, padded: phrases are compared without diacritics."""
    return " " + " ".join(re.findall(r"[^\W_]+", fold(normalize(text)).lower())) + " "


# --- the pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("page", DOC_PAGES, ids=IDS)
def test_document_page_shows_only_a_title_and_links(
    docportal: DocPortal, client: httpx.Client, page: dict[str, Any]
) -> None:
    soup = get_page(docportal, client, page["site"], page["path"])
    part1 = soup.select_one("#part1")
    assert part1 is not None
    assert part1.select_one("p.Title").get_text() == page["title"]  # type: ignore[union-attr]
    body = part1.select_one("div[class^=ExternalClass]")
    assert body is not None and not body.get_text(strip=True)  # the page says nothing more
    hrefs = [a["href"] for a in part1.find_all("a") if not a["href"].startswith("javascript")]
    assert hrefs == [a["href"] for a in page["attachments"]]
    time_cell = soup.select_one("td.Time")
    assert (time_cell is not None) == page["date_cell"]
    assert soup.select_one("p.OtherTitle").get_text() == "TIN ĐÃ ĐƯA"  # type: ignore[union-attr]
    widgets = soup.select_one("div.snRight").get_text(" ")  # type: ignore[union-attr]
    assert "Liên kết website" in widgets and "Lượt truy cập" in widgets
    # What OCR cannot read (a number written by hand) the page carries.
    if page["wins"]["number"] == "page":
        assert page["number"] in page["title"]


def test_link_styles_are_those_of_real_portals(crawled: dict[str, dict[str, str]]) -> None:
    seen = Counter()
    for page in DOC_PAGES:
        soup = BeautifulSoup(crawled[page["site"]][page["path"]], "html.parser")
        text = " ".join(soup.select_one("#part1").get_text(" ").split())  # type: ignore[union-attr]
        for a in page["attachments"]:
            seen[a["style"]] += 1
            phrase = {"xem": "xem chi tiết tại đây", "xem_stc": "Xem chi tiết tại đây",
                      "dinhkem": f"File đính kèm: {a['name']}", "taive": "Tải về",
                      "handler": "Tải về"}[a["style"]]
            assert phrase in text, (page["path"], phrase)
    assert set(seen) == set(STYLES)


def test_news_pages_have_a_body(docportal: DocPortal, client: httpx.Client) -> None:
    for news in TRUTH_DATA["news"]:
        soup = get_page(docportal, client, news["site"], news["path"])
        body = soup.select_one("div[class^=ExternalClass]").get_text(" ")  # type: ignore[union-attr]
        assert len(body) > 300
        assert soup.select_one("p.Title").get_text() == news["title"]  # type: ignore[union-attr]


def test_links_without_a_slash_redirect_to_the_slash_form(docportal: DocPortal,
                                                          client: httpx.Client) -> None:
    site = "krongno"
    paths = [p["path"] for p in DOC_PAGES if p["site"] == site][:5]
    for path in [*paths, "/van-ban-chi-dao-dieu-hanh/", "/van-ban-chi-dao-dieu-hanh/?Page=2"]:
        bare = path.replace("/?", "?") if "?" in path else path.rstrip("/")
        r = client.get(docportal.url(site, bare))
        assert r.status_code == 301
        assert r.headers["location"] == docportal.url(site, path)
    # Pages link without the slash, as the platform does.
    soup = get_page(docportal, client, site, "/")
    links = [a["href"] for a in soup.find_all("a", href=True) if a["href"].startswith(("./", "/"))]
    assert links and all(not h.endswith("/") for h in links if h not in ("/",))
    assert client.get(docportal.url(site, "/khong-co-trang-nay")).status_code == 404


def crawl_site(portal: DocPortal, client: httpx.Client, site: str) -> dict[str, str]:
    """Every HTML page reachable from the home page by links: slash-form path → HTML."""
    origin = portal.url(site, "")
    seen: dict[str, str] = {}
    todo = ["/"]
    queued = set(todo)
    while todo:
        path = todo.pop()
        r = client.get(origin + path, follow_redirects=True)
        final = str(r.url)[len(origin):]
        if final in seen or not r.headers["content-type"].startswith("text/html"):
            continue
        assert r.status_code == 200, final
        seen[final] = r.text
        soup = BeautifulSoup(r.text, "html.parser")
        base = urljoin(str(r.url), soup.base["href"]) if soup.base else str(r.url)
        for a in soup.find_all("a", href=True):
            url = urljoin(base, a["href"])
            if url.startswith(origin) and "/img/" not in url and "DownloadFile" not in url:
                parts = urlsplit(url)
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                if target not in queued:
                    queued.add(target)
                    todo.append(target)
    return seen


@pytest.fixture(scope="module")
def crawled(docportal: DocPortal, client: httpx.Client) -> dict[str, dict[str, str]]:
    """Both sites crawled from their home pages."""
    return {site: crawl_site(docportal, client, site) for site in ("krongno", "cujut")}


@pytest.mark.parametrize("site", ["krongno", "cujut"])
def test_every_page_is_reachable_from_the_home_page(crawled: dict[str, dict[str, str]],
                                                    site: str) -> None:
    pages = crawled[site]
    expected = {p["path"] for p in DOC_PAGES + TRUTH_DATA["news"] if p["site"] == site}
    articles = {p for p in pages if "?" not in p and p != "/"
                and p.strip("/") not in TRUTH_DATA["sites"][site]["categories"]}
    assert articles == expected
    assert any("?Page=2" in p for p in pages) == (site == "krongno")  # listings of > 5 items
    assert len(expected) == TRUTH_DATA["sites"][site]["documents"] + TRUTH_DATA["sites"][site][
        "news"]


def test_listing_pages_end(docportal: DocPortal, client: httpx.Client) -> None:
    url = docportal.url("krongno", "/van-ban-cac-dia-phuong/?Page={}")
    assert [client.get(url.format(n)).status_code for n in (1, 2, 3)] == [200, 200, 404]


def test_robots_and_sitemap_on_one_site_only(docportal: DocPortal,
                                             client: httpx.Client) -> None:
    robots = client.get(docportal.url("krongno", "/robots.txt"))
    assert robots.status_code == 200
    assert f"Sitemap: {docportal.url('krongno', '/sitemap.xml')}" in robots.text
    sitemap = client.get(docportal.url("krongno", "/sitemap.xml"))
    locs = set(re.findall(r"<loc>([^<]+)</loc>", sitemap.text))
    assert locs == {docportal.url("krongno", p["path"]) for p in DOC_PAGES + TRUTH_DATA["news"]
                    if p["site"] == "krongno"}
    for path in ("/robots.txt", "/sitemap.xml"):
        assert client.get(docportal.url("cujut", path)).status_code == 404


# --- the files ------------------------------------------------------------------------------


def test_every_attachment_is_served_with_its_type(docportal: DocPortal,
                                                  client: httpx.Client) -> None:
    octet = 0
    for page in DOC_PAGES:
        for a in page["attachments"]:
            # The href as written (raw spaces in one) is what a client resolves and sends.
            r = client.get(urljoin(docportal.url(page["site"], page["path"]), a["href"]))
            assert r.status_code == 200, a["href"]
            assert r.headers["content-type"] == a["content_type"]
            assert r.content == (DOCS / a["file"]).read_bytes()
            assert sniff(r.content) == FILES[a["file"]]["kind"]
            if a["content_type"] == "application/octet-stream":
                octet += 1
                assert r.headers["content-disposition"].startswith("attachment; filename*=")
    assert octet >= 1


def test_file_urls_name_files_as_portals_do() -> None:
    urls = [a for p in DOC_PAGES for a in p["attachments"]]
    # Vietnamese file names are percent-encoded UTF-8; one stc-style href keeps raw spaces.
    assert any("%E1%BA" in a["url"] for a in urls)
    assert all(" " not in a["url"] for a in urls)
    assert [a["href"] for a in urls if " " in a["href"]]
    # A download handler: nothing in the URL says what the file is.
    assert any(kind_from_url(a["url"]) is None for a in urls)


def test_files_answer_head_and_conditional_requests(docportal: DocPortal,
                                                    client: httpx.Client) -> None:
    a = DOC_PAGES[0]["attachments"][0]
    url = docportal.url(DOC_PAGES[0]["site"], a["url"])
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == (DOCS / a["file"]).stat().st_size
    again = client.get(url, headers={"If-None-Match": head.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_one_file_linked_from_two_pages_under_two_names() -> None:
    shared = {f: v["linked_from"] for f, v in FILES.items() if len(v["linked_from"]) > 1}
    assert shared
    lich = "portals/lich_tiep_cong_dan_thang_6-2019.pdf"
    urls = {a["url"] for p in DOC_PAGES for a in p["attachments"] if a["file"] == lich}
    assert len(shared[lich]) == 2 and len(urls) == 2  # same bytes, two URLs on one site


def test_every_fixture_document_file_is_linked() -> None:
    on_disk = {str(p.relative_to(DOCS)) for d in ("generated", "portals", "vi-docs")
               for p in (DOCS / d).iterdir() if p.suffix.lower() not in (".json", ".md")}
    assert set(FILES) == on_disk
    scans = [f for f, v in FILES.items() if v["text"] != "text layer"]
    assert len(scans) == 6


# --- the truth ------------------------------------------------------------------------------


def test_each_phrase_occurs_in_exactly_one_attachment() -> None:
    texts = {f: [words(p) for p in file_text(f)] for f in FILES}
    whole = {f: words("\n".join(file_text(f))) for f in FILES}
    for f, info in FILES.items():
        assert len(info["phrases"]) == 2, f
        for ph in info["phrases"]:
            assert 4 <= len(ph["phrase"].split()) <= 7
            assert words(ph["phrase"]) == f" {ph['folded']} "
            hits = {g: t.count(words(ph["phrase"])) for g, t in whole.items()}
            assert {g: n for g, n in hits.items() if n} == {f: 1}, ph["phrase"]
            assert words(ph["phrase"]) in texts[f][ph["page"] - 1], ph
            # As typed, with its diacritics, it is in the file's text.
            assert normalize(ph["phrase"]) in " ".join(normalize("\n".join(file_text(f))).split())


def test_no_phrase_is_on_any_page(crawled: dict[str, dict[str, str]]) -> None:
    pages = [html for site in crawled.values() for html in site.values()]
    assert len(pages) > len(DOC_PAGES)
    served = "".join(words(BeautifulSoup(html, "html.parser").get_text(" ")) for html in pages)
    for info in FILES.values():
        for ph in info["phrases"]:
            assert words(ph["phrase"]) not in served, ph["phrase"]


def test_page_truth_lists_the_phrases_of_its_attachments() -> None:
    for page in DOC_PAGES:
        files = dict.fromkeys(a["file"] for a in page["attachments"])
        assert page["phrases"] == [ph for f in files for ph in FILES[f]["phrases"]]
        for f in files:
            assert {"site": page["site"], "path": page["path"]} in FILES[f]["linked_from"]


def test_facet_counts_agree_with_the_pages() -> None:
    facets = TRUTH_DATA["facets"]
    for key in ("doc_type", "issuer", "year", "site"):
        counted = Counter(str(p[key]) for p in DOC_PAGES if p[key] is not None)
        assert facets[key] == dict(counted), key
    assert sum(facets["site"].values()) == len(DOC_PAGES) >= 30
    assert len(facets["doc_type"]) >= 8 and len(facets["issuer"]) >= 6
    assert len(facets["year"]) >= 5


def test_page_truth_agrees_with_the_document_manifests() -> None:
    manifest = {m["slug"]: m for m in json.loads(
        (DOCS / "generated" / "manifest.json").read_text(encoding="utf-8"))}
    docs = documents()
    for page in DOC_PAGES:
        doc = docs[page["document"]]
        assert page["attachments"][0]["file"] == doc.file
        m = manifest.get(page["document"])
        if m:
            assert (page["number"], page["signed"]) == (m["number"], m["signed"])
            assert page["summary"] == m["summary"]
        assert page["year"] == (int(page["signed"][:4]) if page["signed"] else None)
        if page["number"]:
            spelled = page["number_spellings"]
            assert len(spelled) == 4 and spelled[1] == page["number"]
            assert spelled[3].startswith("so ") and fold(spelled[3]).isascii()
            assert page["number_in"], page["path"]  # readable somewhere
    numbers = Counter((p["number"], p["document"]) for p in DOC_PAGES if p["number"])
    # A number belongs to one document (shown on one or two pages).
    assert len({n for n, _ in numbers}) == len(numbers)
    hand = [p for p in DOC_PAGES if p["wins"]["number"] == "page"]
    assert len({p["document"] for p in hand}) == 6  # the six scans: numbers written by hand


def test_stored_ocr_text_is_that_of_the_scans() -> None:
    docs = {d.file: d for d in documents().values()}
    for f, info in FILES.items():
        if info["text"] == "text layer":
            assert any(file_text(f)), f
            continue
        ft = extract_text((DOCS / f).read_bytes())
        assert ft.ocr_pages and len(file_text(f)) == len(ft.pages) == info["pages"]
        # OCR read every scanned page but blank ones, and page 1 is this document's.
        assert sum(len(file_text(f)[i]) > 300 for i in ft.ocr_pages) >= len(ft.ocr_pages) - 1
        summary = docs[f].summary or ""
        assert words(" ".join(summary.split()[1:5])) in words(file_text(f)[0]), f


def test_truth_is_up_to_date() -> None:
    """make_truth.py run again (without OCR) writes the committed truth.json."""
    assert build() == TRUTH_DATA
