"""`tracuu crawl`: crawl the sites, update the index, print the coverage, write a JSON report."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from indexer.config import Settings

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`tracuu crawl --site URL [--site URL ...] [--config FILE] [--max-pages N] [--reextract]
    [--refresh] [--explain URL]`."""
    parser.add_argument("--site", action="append", default=[], metavar="URL",
                        help="start URL of a portal (repeatable; default: every [[site]])")
    # dest differs from the global --config so that `tracuu --config X crawl` keeps X.
    parser.add_argument("--config", dest="crawl_config", metavar="FILE",
                        help="settings and [[site]] tables (TOML), as the global --config")
    parser.add_argument("--max-pages", type=int, metavar="N", help="request budget per site")
    parser.add_argument("--reextract", action="store_true",
                        help="re-run extraction on the stored pages, without fetching")
    parser.add_argument("--refresh", action="store_true",
                        help="ask again for every known listing page now (not only the first "
                             "page of each), whatever the revisit schedule says")
    parser.add_argument("--explain", metavar="URL",
                        help="say how one page is classified and why (no crawl, nothing written)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when every site was crawled, 1 when one failed (75 comes from IndexBusy)."""
    from crawl.run import crawl, crawl_db
    from crawl.sites import load_sites

    # trafilatura logs a WARNING for every page it finds no text in ("discarding data: None");
    # our own per-page log lines and the run report already say which pages were skipped.
    if not args.verbose:
        logging.getLogger("trafilatura").setLevel(logging.ERROR)
    if args.crawl_config:
        settings = Settings.load(config_file=args.crawl_config, data_dir=args.data_dir)
    if args.explain:
        from crawl.explain import explain

        print(explain(settings, args.explain, crawl_db(Path(settings.data_dir))))
        return 0
    sites = load_sites(settings, args.site, args.max_pages)
    report = crawl(settings, sites, reextract_only=args.reextract, refresh=args.refresh)
    out = sys.stderr if report.failed else sys.stdout
    print(report.summary(), file=out)
    print(report.coverage(), file=out)
    return 1 if report.failed else 0
