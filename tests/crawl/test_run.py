"""Crawl runs against the fixture portal over real HTTP, into a real store and Whoosh index."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawl.run import crawl
from crawl.sites import DAY, generic_site
from crawl.state import State
from indexer.cli import main
from indexer.config import Settings
from indexer.document import Article
from indexer.store import ArticleDB, Paths, open_index_readonly
from tests.crawl.conftest import CRAWL_DELAY
from tests.fixtures.portal.content import CHROME_MARKERS, Item
from tests.fixtures.portal.server import Portal

ROOT = Path(__file__).resolve().parents[2]
FAST = {"backoff": 0.05, "jitter": 0.2}


def run_crawl(settings: Settings, portal: Portal, days: float = 0) -> object:
    """One in-process run in generic mode; `days` moves the crawler's clock forward."""
    site = generic_site(portal.url + "/", settings)
    return crawl(settings, [site], clock=lambda: time.time() + days * DAY,
                 policy_overrides=FAST)


def stored(settings: Settings) -> dict[str, Article]:
    db = ArticleDB(Paths(settings.data_dir).db, readonly=True)
    try:
        return {a.id: a for a in db.iter_all()}
    finally:
        db.close()


def index_ids(settings: Settings) -> list[str]:
    """Every document id in the live Whoosh index (duplicates kept, to count them)."""
    ix = open_index_readonly(settings.data_dir)
    try:
        with ix.searcher() as s:
            return [f["id"] for f in s.all_stored_fields()]
    finally:
        ix.close()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def article_requests(portal: Portal) -> dict[str, list[int]]:
    """Statuses answered per article path, in order."""
    slugs = {f"/{i.slug}" for i in portal.items}
    out: dict[str, list[int]] = {}
    for r in portal.requests:
        if r.path in slugs:
            out.setdefault(r.path, []).append(r.status)
    return out


def expected(portal: Portal) -> dict[str, Item]:
    return {portal.article_url(i): i for i in portal.items if not (i.gone or i.broken)}


def check_index(settings: Settings, portal: Portal) -> dict[str, Article]:
    """Every live article and document page is stored and indexed exactly once."""
    want = expected(portal)
    arts = stored(settings)
    ids = index_ids(settings)
    assert len(ids) == len(set(ids)) and set(ids) == set(arts)
    # Nothing else: no listing page, print view, alias, tracking or session URL.
    assert set(arts) == set(want), {path_of(u) for u in set(arts) ^ set(want)}
    return arts


def check_article(art: Article, item: Item) -> None:
    assert art.title == unicodedata.normalize("NFC", item.title)
    assert art.published == item.iso
    body = art.body
    assert body.startswith(unicodedata.normalize("NFC", item.paragraphs[0])[:40])  # the lead
    for para in item.paragraphs:
        if len(para) > 30:  # every paragraph but rules
            assert unicodedata.normalize("NFC", para)[:60] in body
    for marker in CHROME_MARKERS:  # no menus, widgets, related lists, print links, footers
        assert marker not in body, (art.id, marker)
    if item.doc_number:
        assert art.doc_number == item.doc_number
        assert [a.url.endswith(item.attachment or "") for a in art.attachments] == [True]


def test_first_crawl_of_an_unknown_portal(styled_portal: Portal, settings: Settings) -> None:
    # The portal also misbehaves once: a 429 with Retry-After and a 503.
    portal = styled_portal
    live = portal.live()
    portal.fail_once(f"/{live[3].slug}", 429, "1")
    portal.fail_once(f"/{live[4].slug}", 503)
    report = run_crawl(settings, portal)

    want = expected(portal)
    arts = check_index(settings, portal)
    for url, item in want.items():
        check_article(arts[url], item)
    cp1258 = next(i for i in portal.items if i.encoding == "windows-1258")
    nfd = next(i for i in portal.items if i.nfd)
    assert arts[portal.article_url(cp1258)].title == cp1258.title
    assert arts[portal.article_url(nfd)].title == unicodedata.normalize("NFC", nfd.title)

    paths = [r.path for r in portal.requests]
    assert not [p for p in paths if p.startswith(("/_layouts/", "/Pages/Search.aspx"))]
    assert not [p for p in paths if any(k in p for k in ("print=", "utm_", "fbclid", "sid="))]
    assert len([p for p in paths if "thang=" in p]) == 0  # the calendar trap stays shut
    # Each document's attachment is fetched once, as an attachment (the fixture's PDFs are
    # broken: each is recorded as failed with its reason, and the crawl goes on).
    pdfs = [p for p in paths if p.lower().endswith(".pdf")]
    docs = [i for i in portal.items if i.attachment]
    assert sorted(pdfs) == sorted(i.attachment for i in docs)
    for item in docs:
        (att,) = arts[portal.article_url(item)].attachments
        assert att.status.startswith("failed: corrupt PDF"), att.status
    assert report.sites[0].files == {"failed": len(docs)}
    assert len(report.sites[0].file_failures) == len(docs)
    # The fixture serves one broken PDF under six names: one archived file, failed once.
    assert report.sites[0].ocr.get("failed_files") == 1
    assert "corrupt PDF" in report.sites[0].ocr_failures[0]
    assert paths.count("/robots.txt") == 1
    assert max(r.in_flight for r in portal.requests) == 1
    # Crawl-delay between successive requests, timed by the server at the same point of each
    # (start to start: the server's 'end' is stamped after the client has already read the
    # response, so end-to-start gaps come out a few ms short on a loaded machine).
    gaps = [b.start - a.start for a, b in zip(portal.requests, portal.requests[1:], strict=False)]
    assert min(gaps) >= CRAWL_DELAY - 0.001
    assert {r.user_agent for r in portal.requests} == {
        "tracuu/0.1 (+https://tracuu.example/lien-he)"}
    assert [r.status for r in portal.requests if r.path == f"/{live[3].slug}"] == [429, 200]
    assert [r.status for r in portal.requests if r.path == f"/{live[4].slug}"] == [503, 200]

    assert report.total("new") == len(arts)
    assert report.sites[0].disallowed >= 1
    assert report.sites[0].skipped.get("calendar", 0) >= 1
    saved = json.loads(Path(report.report_path).read_text(encoding="utf-8"))
    assert saved["sites"][0]["new"] == len(arts)
    assert report.summary().startswith("crawl ok: 1 site(s)")

    # --reextract: extraction again from the stored pages, not one request.
    portal.clear_log()
    code = main(["--data-dir", str(settings.data_dir), "crawl", "--site", portal.url + "/",
                 "--reextract"])
    assert code == 0
    assert portal.requests == []
    assert stored(settings).keys() == arts.keys()


def test_second_run_downloads_only_changes(styled_portal: Portal, settings: Settings) -> None:
    portal = styled_portal
    run_crawl(settings, portal)
    known = portal.live()
    added = [portal.add() for _ in range(5)]
    edited = [known[5], known[12]]
    portal.edit(edited[0])
    portal.edit(edited[1], title="Huyện Đắk Song triển khai Kế hoạch số 45/KH-UBND năm 2021")
    deleted = [known[8], known[20]]
    portal.delete(deleted[0], 404)
    portal.delete(deleted[1], 410)
    broken = known[15]
    portal.delete(broken, 404, unlisted=False)  # still in the sitemap and the listings
    portal.clear_log()

    report = run_crawl(settings, portal, days=8)  # articles are due for a revisit after 7 days

    answers = article_requests(portal)
    downloaded = {p for p, s in answers.items() if s == [200]}
    assert downloaded == {f"/{i.slug}" for i in added + edited}
    unchanged = {f"/{i.slug}" for i in known} - {f"/{i.slug}" for i in
                                                    [*edited, *deleted, broken]}
    assert {p: answers.get(p) for p in unchanged} == {p: [304] for p in unchanged}
    assert all(r.conditional for r in portal.requests if r.path in unchanged)
    # Pages the sitemap stopped listing that answer 404/410 are asked once more at the end of
    # the run: the second answer confirms them gone, and they leave the index.
    assert answers[f"/{deleted[0].slug}"] == [404, 404]
    assert answers[f"/{deleted[1].slug}"] == [410, 410]
    assert report.total("removed") == 2
    # A 404 the site does not otherwise confirm is not trusted yet: the page stays indexed
    # until a second visit (a day later) finds it gone too.
    assert answers[f"/{broken.slug}"] == [404]
    with State(settings.data_dir / "crawl.sqlite") as state:
        st = state.get(portal.article_url(broken))
        assert st is not None and st.not_found == 1

    arts = stored(settings)
    for item in added + edited:
        check_article(arts[portal.article_url(item)], item)
    assert arts[portal.article_url(edited[1])].doc_number == "45/KH-UBND"
    assert report.total("new") == 5 and report.total("changed") >= 2
    assert portal.article_url(broken) in arts
    assert not [i for i in deleted if portal.article_url(i) in arts]

    portal.clear_log()
    report = run_crawl(settings, portal, days=9)  # the gone pages are rechecked a day later
    answers = article_requests(portal)
    assert answers[f"/{broken.slug}"] == [404]
    assert report.total("removed") == 1
    arts = check_index(settings, portal)
    assert portal.article_url(broken) not in arts


def test_dead_site_fails_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "sites.toml"
    config.write_text('[[site]]\nurl = "http://127.0.0.1:9/"\nretries = 0\ntimeout = 2\n',
                      encoding="utf-8")
    code = main(["--data-dir", str(tmp_path / "data"), "crawl", "--config", str(config)])
    assert code == 1
    assert "crawl FAILED on 127.0.0.1" in capsys.readouterr().err


def _spawn(settings: Settings, portal: Portal) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "indexer.cli", "--data-dir", str(settings.data_dir), "crawl",
           "--site", portal.url + "/"]
    # No delay of our own (the default is 1 s): the portal's Crawl-delay paces the run.
    env = {**os.environ, "TRACUU_CONTACT_URL": "https://tracuu.example/lien-he",
           "TRACUU_CRAWL_DELAY": "0"}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _wait_for(cond: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_overlap_exits_75_and_sigkill_loses_nothing(portal: Portal, settings: Settings) -> None:
    portal.crawl_delay = 0.1
    first = _spawn(settings, portal)
    try:
        articles = {f"/{i.slug}" for i in portal.items}
        _wait_for(lambda: sum(r.path in articles for r in portal.requests) >= 8)
        second = _spawn(settings, portal)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 75, err.decode()
        assert b"another tracuu process" in err
        assert [r.path for r in portal.requests].count("/robots.txt") == 1  # it fetched nothing
        os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == -signal.SIGKILL
    fetched_before = {p for p, s in article_requests(portal).items() if 200 in s}

    portal.crawl_delay = CRAWL_DELAY
    portal.clear_log()
    rerun = _spawn(settings, portal)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err.decode()
    assert out.decode().startswith("crawl ok")
    check_index(settings, portal)
    # The rerun went on from where the killed run stopped instead of starting over.
    refetched = {p for p, s in article_requests(portal).items() if 200 in s}
    assert len(fetched_before & refetched) <= 1  # at most the page in flight at the kill


def test_portal_pages_extract_as_expected(portal: Portal) -> None:
    from crawl.extract import extract

    docs = [i for i in portal.live() if i.cat == "tb"]
    listing = portal.listing("Thông báo", docs, "thong-bao-giay-moi/thong-bao", 1)
    assert listing is not None
    assert not extract(listing, portal.url + "/thong-bao-giay-moi/thong-bao").is_article
    item = portal.live()[0]
    ex = extract(portal.article(item), portal.article_url(item))
    assert ex.body.startswith(item.paragraphs[0][:40])


def test_an_interrupted_site_stops_and_says_so(portal: Portal, settings: Settings) -> None:
    """Ctrl-C sets the run's stop event: each site ends after its request in flight."""
    import threading

    from crawl.fetch import Fetcher
    from crawl.run import Indexer, policy_for
    from crawl.sitecrawl import SiteCrawl
    from indexer.store import Store

    stop = threading.Event()
    stop.set()
    site = generic_site(portal.url + "/", settings)
    with Store(settings.data_dir) as store, State(settings.data_dir / "crawl.sqlite") as state, \
            Fetcher("tracuu/0.1") as fetcher:
        report = SiteCrawl(site, fetcher, state, Indexer(store), time.time, policy_for(site),
                           stop=stop).run()
    assert report.state == "failed: interrupted"
    assert [r.path for r in portal.requests] == ["/robots.txt"]
