"""`tracuu search`: the API's search in a terminal."""

from __future__ import annotations

import argparse
import json
import re
from html import unescape

from indexer.config import Settings
from search.engine import Engine
from search.params import parse_search_params
from search.types import SORTS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `tracuu search` (the API's parameters)."""
    parser.add_argument("query", nargs="*", help="what to look for")
    parser.add_argument("--json", action="store_true", help="print the API's JSON")
    parser.add_argument("--size", default="10")
    parser.add_argument("--page", default="1")
    parser.add_argument("--site")
    parser.add_argument("--category")
    parser.add_argument("--doc-type", dest="doc_type")
    parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    parser.add_argument("--sort", default="relevance", choices=SORTS)


def _plain(snippet: str) -> str:
    return unescape(re.sub(r"</?mark>", "*", snippet))


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Search and print."""
    params = {
        "q": " ".join(args.query),
        "size": args.size,
        "page": args.page,
        "site": args.site,
        "category": args.category,
        "doc_type": args.doc_type,
        "from": args.date_from,
        "to": args.date_to,
        "sort": args.sort,
    }
    req = parse_search_params({k: v for k, v in params.items() if v is not None})
    engine = Engine(settings.data_dir, time_limit=settings.search_seconds)
    try:
        result = engine.search(req)
    finally:
        engine.close()
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"{result.total} kết quả ({result.took_ms:.0f} ms)")
    if result.suggestion:
        print(f"Có phải bạn muốn tìm: {result.suggestion}")
    for i, hit in enumerate(result.hits, start=(req.page - 1) * req.size + 1):
        meta = " · ".join(x for x in (hit.published, hit.site, hit.doc_number) if x)
        print(f"\n{i}. {hit.title}\n   {meta}\n   {_plain(hit.snippet)}")
        if hit.url:
            print(f"   {hit.url}")
    return 0
