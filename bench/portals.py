"""Crawl coverage on four real portals: `python -m bench.portals`.

Serves each portal of tests/fixtures/portals on 127.0.0.1 as its static host did (`/slug` → 301
`/slug/`), crawls it in generic mode into a scratch data directory, and scores what was indexed
against the truth read from each page's own markup (tests/fixtures/portals/truth.py): article
and document pages reachable from the home page, found and indexed; titles and dates as the
page shows them; pages indexed that are not articles. A second run right after the first shows
what an unchanged site costs. Needs nothing outside the repository.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from crawl.run import crawl
from crawl.sites import generic_site
from indexer.config import Settings
from indexer.store import ArticleDB, Paths
from tests.fixtures.portals.server import SITES, StaticPortal
from tests.fixtures.portals.truth import reachable, read

FAST = {"backoff": 0.01, "jitter": 0.0}


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def bench_one(name: str, work: Path) -> list[str]:
    """One portal's row of the table."""
    with StaticPortal(name) as portal:
        settings = replace(Settings(), data_dir=work / name, crawl_delay=0.0, max_pages=2000)
        site = generic_site(portal.url + "/", settings)
        started = time.perf_counter()
        first = crawl(settings, [site], policy_overrides=FAST).sites[0]
        seconds = time.perf_counter() - started
        redirects = sum(r.status == 301 for r in portal.requests)
        portal.clear_log()
        second = crawl(settings, [site], policy_overrides=FAST).sites[0]
        not_modified = sum(r.status == 304 for r in portal.requests)
        pages = dict(portal.pages)
    truth = {path: read(path, html) for path, html in pages.items()}
    want = {p for p in reachable(pages, truth) if truth[p].kind == "article"}
    db = ArticleDB(Paths(settings.data_dir).db, readonly=True)
    try:
        got = {}
        for art in db.iter_all():
            path = unquote(urlsplit(art.id).path)
            got[path if path.endswith("/") else path + "/"] = art
    finally:
        db.close()
    found = want & set(got)
    wrong = [p for p in got if truth.get(p) is None or truth[p].kind != "article"]
    titles = sum(got[p].title == truth[p].title for p in found)
    dates = 0
    for p in found:
        date, published = truth[p].date, got[p].published
        dates += (published is None) if date is None else bool(published and
                                                               published.startswith(date))
    return [name, str(len(pages)), str(first.requests), str(redirects),
            f"{len(found)}/{len(want)}", _pct(len(found), len(want)), _pct(titles, len(found)),
            _pct(dates, len(found)), str(len(wrong)), f"{second.requests} ({not_modified} × 304)",
            f"{seconds:.1f}"]


def main(argv: list[str] | None = None) -> int:
    """Crawl the four portals, print the table, write bench/out/portals.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.portals", description=__doc__)
    parser.add_argument("--site", action="append", choices=SITES, help="one portal (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    head = ["portal", "pages", "requests", "301s", "articles found / truth", "indexed",
            "titles right", "dates right", "non-articles indexed", "second run: requests",
            "seconds"]
    rows = [head, ["---"] * len(head)]
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.site or SITES:
            rows.append(bench_one(name, Path(tmp)))
    table = "\n".join("| " + " | ".join(r) + " |" for r in rows)
    text = (f"Crawl coverage on four real portals, `python -m bench.portals`\n\n{table}\n\n"
            "Truth: article and document pages reachable from the home page, read from each "
            "page's own markup (tests/fixtures/portals/truth.py).\n")
    print(text)
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "portals.md").write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
