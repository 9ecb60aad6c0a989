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

        # A filter, from the filter panel; it lands in the URL and the page resets to 1.
        page.click(".filters summary")
        page.select_option("select[name=site]", "daksong.example.gov.vn")
        page.click("button.apply")
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
