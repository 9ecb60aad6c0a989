"""The search page in a real browser: Debian's Chromium driven by Playwright, phone and desktop."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from indexer.config import Settings
from tests.conftest import FIXTURES, LiveServer, build_data_dir

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTHS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = build_data_dir(tmp_path_factory.mktemp("browser"), FIXTURES / "page_articles.jsonl")
    with LiveServer(Settings(data_dir=data)) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); "
                    "Playwright's own browser download does not work here", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Watched:
    """A page whose console errors, page errors and dialogs are collected."""

    def __init__(self, page: Any, name: str, width: int) -> None:
        self.page, self.name, self.width = page, name, width
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)

    def _dialog(self, d: Any) -> None:
        self.dialogs.append(d.message)
        d.dismiss()

    def shot(self, step: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{step}.png"), full_page=True)

    def params(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.page.url).query)

    def no_sideways_scroll(self) -> None:
        sw = self.page.evaluate("document.documentElement.scrollWidth")
        assert sw <= self.width, f"{self.name}: page is {sw}px wide at {self.width}px"

    def hits(self) -> list[str]:
        return [t.strip() for t in self.page.locator("li.hit h2 a").all_inner_texts()]


@pytest.mark.parametrize("name", list(WIDTHS), ids=list(WIDTHS))
def test_search_paginate_filter_suggest_typeahead(
    browser: Any, server: LiveServer, name: str
) -> None:
    size = WIDTHS[name]
    ctx = browser.new_context(viewport=size, locale="vi-VN", is_mobile=name == "phone",
                              has_touch=name == "phone")
    try:
        w = Watched(ctx.new_page(), name, size["width"])
        page = w.page
        page.set_default_timeout(5000)

        # Home: type a query and press Enter.
        page.goto(server.url + "/")
        w.no_sideways_scroll()
        w.shot("1-home")
        page.fill("#q", "huyện")
        page.press("#q", "Enter")
        page.wait_for_url(re.compile(r"/search\?q="))
        assert w.params()["q"] == ["huyện"]
        assert len(w.hits()) == 10
        assert re.fullmatch(r"Khoảng [\d.]+ kết quả \(\d+,\d\d giây\)",
                            page.locator(".count").inner_text().strip())
        w.no_sideways_scroll()
        w.shot("2-results")

        # Pagination.
        first_page = w.hits()
        page.click("nav.pages a[rel=next]")
        page.wait_for_url(re.compile(r"page=2"))
        current = page.locator("nav.pages [aria-current=page]").inner_text()
        assert current.split() == ["Trang", "2"]
        assert set(w.hits()).isdisjoint(first_page)
        w.no_sideways_scroll()
        w.shot("3-page2")

        # A filter, from the filter panel: applied when chosen (no button with JavaScript); it
        # lands in the URL and the page resets to 1.
        page.click(".filters summary")
        assert not page.locator("button.apply").is_visible()
        with page.expect_navigation():
            page.select_option("select[name=site]", "daksong.example.gov.vn")
        page.wait_for_url(re.compile(r"site=daksong"))
        assert w.params()["site"] == ["daksong.example.gov.vn"] and "page" not in w.params()
        sources = page.locator("li.hit .src").all_inner_texts()
        assert sources and all("daksong.example.gov.vn" in s for s in sources)
        assert page.locator(".chips a").first.inner_text().startswith("Trang: daksong")
        w.no_sideways_scroll()
        w.shot("4-filter")

        # Typed without diacritics: take "Có phải bạn muốn tìm".
        page.goto(server.url + "/search?q=dan+van+huyen+uy")
        dym = page.locator("p.dym a")
        assert dym.inner_text().strip() == "dân vận huyện ủy"
        w.shot("5-did-you-mean")
        dym.click()
        page.wait_for_url(re.compile(r"q=d%C3%A2n"))
        assert page.input_value("#q") == "dân vận huyện ủy"
        assert w.hits()

        # Type-ahead with the keyboard only: arrows, Escape, Enter.
        page.goto(server.url + "/")
        page.locator("#q").press_sequentially("huy", delay=30)
        listbox = page.locator("#goi-y")
        listbox.wait_for(state="visible")
        options = page.locator("#goi-y [role=option]")
        assert options.count() >= 1
        assert page.get_attribute("#q", "aria-expanded") == "true"
        w.no_sideways_scroll()
        w.shot("6-typeahead")
        page.keyboard.press("ArrowDown")
        assert page.get_attribute("#q", "aria-activedescendant") == "goi-y-0"
        assert options.first.get_attribute("aria-selected") == "true"
        page.keyboard.press("Escape")
        listbox.wait_for(state="hidden")
        assert page.get_attribute("#q", "aria-expanded") == "false"
        assert page.input_value("#q") == "huy"  # Escape closes the list, keeps the text
        page.keyboard.press("ArrowDown")  # reopens
        listbox.wait_for(state="visible")
        page.keyboard.press("ArrowDown")
        chosen = options.first.inner_text().strip()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert w.params()["q"] == [chosen]

        # Markup in a title shows as text, nothing runs.
        page.goto(server.url + "/search?q=alert")
        titles = w.hits()
        assert any("<script>alert(1)</script>" in t for t in titles), titles
        assert page.locator("li.hit img").count() == 0
        w.shot("7-xss")

        page.goto(server.url + "/search?q=xyzqwv&site=phuquoc.example.gov.vn")
        assert "Không tìm thấy" in page.locator(".empty").inner_text()
        w.no_sideways_scroll()
        w.shot("8-empty")

        page.goto(server.url + "/embed")
        w.no_sideways_scroll()
        w.shot("9-embed")

        assert w.dialogs == [], "a script ran"
        assert w.errors == [], w.errors
    finally:
        ctx.close()


def test_works_without_javascript(browser: Any, server: LiveServer) -> None:
    ctx = browser.new_context(viewport=WIDTHS["phone"], java_script_enabled=False, locale="vi-VN")
    try:
        page = ctx.new_page()
        page.goto(server.url + "/")
        page.fill("#q", "huyện")
        page.press("#q", "Enter")
        page.wait_for_url(re.compile(r"q=huy"))
        assert page.locator("li.hit").count() == 10
        assert page.get_attribute("#q", "role") is None  # no half-working combobox without JS
        page.click(".filters summary")
        page.select_option("select[name=category]", "Pháp luật")
        page.click("button.apply")
        page.wait_for_url(re.compile(r"category="))
        assert page.locator("li.hit").count() > 0
    finally:
        ctx.close()


AXE_RULES = {"runOnly": {"type": "tag", "values": [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}}
PHONE_PAGES = {
    "home": "/",
    "results": "/search?q=huy%E1%BB%87n&site=daksong.example.gov.vn",
    "empty": "/search?q=xyzqwv",
    "article": "/van-ban/page-00?q=yen+vy",
    "embed": "/embed",
    "not-found": "/khong-co-trang-nay",
}
# Links and controls people tap: each at least 44 × 44 CSS pixels on a phone.
TAP_TARGETS = (".sort a", ".filters summary", ".foot a", ".try a", ".chips a", "nav.pages a",
               ".back a", ".go")


@pytest.mark.parametrize("name", list(PHONE_PAGES), ids=list(PHONE_PAGES))
def test_phone_page_passes_axe_with_one_h1_and_44px_targets(
    browser: Any, server: LiveServer, name: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    ctx = browser.new_context(viewport=WIDTHS["phone"], locale="vi-VN", is_mobile=True,
                              has_touch=True)
    try:
        w = Watched(ctx.new_page(), "axe-" + name, WIDTHS["phone"]["width"])
        w.page.goto(server.url + PHONE_PAGES[name])
        w.no_sideways_scroll()
        assert w.page.locator("h1").count() == 1
        small = []
        for selector in TAP_TARGETS:
            for i in range(w.page.locator(selector).count()):
                box = w.page.locator(selector).nth(i).bounding_box()
                if box and (box["height"] < 44 or box["width"] < 44):
                    small.append(f"{selector}[{i}] {box['width']:.0f}×{box['height']:.0f}")
        assert small == [], small
        results = Axe().run(w.page, options=AXE_RULES)
        problems = [f"{v['id']}: {[n['target'] for n in v['nodes']]}"
                    for v in results.response["violations"]]
        assert problems == [], problems
        assert len(results.response["passes"]) > 20  # axe really ran its rules
        # The 404 page's own status is the one console error a browser reports there.
        assert [e for e in w.errors if "status of 404" not in e] == [], w.errors
    finally:
        ctx.close()


def test_article_page_and_print_stylesheet(browser: Any, server: LiveServer) -> None:
    ctx = browser.new_context(viewport=WIDTHS["phone"], locale="vi-VN")
    try:
        page = ctx.new_page()
        page.goto(server.url + "/van-ban/page-00?q=yen+vy")
        assert page.locator(".meta .date").inner_text().strip() == "Ngày đăng: 24/06/2021"
        assert page.input_value("#q") == "yen vy"
        assert "Yến Vy" in page.locator("article mark").all_inner_texts()
        page.emulate_media(media="print")
        assert not page.locator("form[role=search]").is_visible()
        assert not page.locator(".foot").is_visible()
        assert page.locator("article h1").is_visible()
        page.goto(server.url + "/search?q=huy%E1%BB%87n")
        assert not page.locator(".filters").is_visible()
        assert page.locator("li.hit").first.is_visible()
        after = page.evaluate(
            "getComputedStyle(document.querySelector('li.hit h2 a'), '::after').content")
        assert "https://" in after  # the printed page keeps where each result lives
    finally:
        ctx.close()
