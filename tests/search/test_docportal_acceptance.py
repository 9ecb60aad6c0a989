"""Issue 10's acceptance on the document portal fixture: crawl it for real, then search.

A phrase from inside an attachment finds its page in the top 3, as typed and without
diacritics, and the hit shows the file and page it is on; every number query in every spelling
returns its document first; facet counts over the documents equal truth.json.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from indexer.document import facet_key
from indexer.mapping import signed_day
from indexer.text import fold
from search.engine import Engine
from search.types import SearchRequest
from tests.conftest import LiveServer
from tests.fixtures.docportal.server import DocPortal
from tests.search.docportal_archive import crawled_archive

FACETS = ("doc_type", "issuer", "year", "site")


def page_id(portal: DocPortal, doc: dict[str, Any]) -> str:
    return portal.url(doc["site"], doc["path"])


def pages_of_phrase(portal: DocPortal, truth: dict[str, Any], file: str) -> set[str]:
    """Every document page linking the file that holds the phrase."""
    return {portal.url(p["site"], p["path"]) for p in truth["files"][file]["linked_from"]}


def file_names(truth: dict[str, Any], file: str) -> set[str]:
    return {a["name"] for d in truth["documents"] for a in d["attachments"] if a["file"] == file}


def check_phrases(engine: Engine, portal: DocPortal, truth: dict[str, Any]) -> list[str]:
    """Assert every phrase (as typed, and folded) finds its pages in the top 10, its hit naming
    the file and page; returns the queries whose pages were not all in the top 3."""
    outside_top3 = []
    for file, info in truth["files"].items():
        want = pages_of_phrase(portal, truth, file)
        for ph in info["phrases"]:
            for q in (ph["phrase"], ph["folded"]):
                hits = engine.search(SearchRequest(q=q, size=10)).hits
                ids = [h.id for h in hits]
                assert want <= set(ids), (q, file)
                if max(ids.index(w) for w in want) >= 3:
                    outside_top3.append(q)
                hit = next(h for h in hits if h.id in want)
                assert hit.attachment is not None, (q, hit.snippet)
                assert hit.attachment["page"] == ph["page"], (q, hit.attachment)
                assert hit.attachment["name"] in file_names(truth, file)
                assert hit.attachment["archive"].startswith("/luu-tru/")
                # The snippet shows the phrase itself, marked.
                shown = fold(re.sub(r"</?mark>|…", "", hit.snippet)).lower()
                assert " ".join(ph["folded"].split()) in " ".join(re.findall(r"[^\W_]+", shown)), (
                    q, hit.snippet)
    return outside_top3


def test_a_phrase_inside_an_attachment_finds_its_page(engine: Engine, docportal: DocPortal,
                                                      docportal_truth: dict[str, Any]) -> None:
    outside = check_phrases(engine, docportal, docportal_truth)
    assert outside == [], outside
    phrases = 2 * sum(len(f["phrases"]) for f in docportal_truth["files"].values())
    assert phrases == 4 * len(docportal_truth["files"]) >= 120


def test_every_number_spelling_finds_its_document_first(
        engine: Engine, docportal: DocPortal, docportal_truth: dict[str, Any]) -> None:
    docs = [d for d in docportal_truth["documents"] if d["number"]]
    assert len(docs) >= 30
    for doc in docs:
        same = {page_id(docportal, d) for d in docportal_truth["documents"]
                if d["document"] == doc["document"]}  # a document posted on two pages
        for spelling in doc["number_spellings"]:
            hits = engine.search(SearchRequest(q=spelling, size=len(same))).hits
            assert {h.id for h in hits} == same, (spelling, [h.title for h in hits])
            assert hits[0].doc_number is not None


def facet_counts(facets: dict[str, list[dict[str, Any]]], name: str) -> dict[str, int]:
    """A facet's counts by filter key (labels of one key may differ in accents an OCR
    dropped)."""
    return {facet_key(v["value"]): v["count"] for v in facets[name]}


def test_facet_counts_equal_the_truth(engine: Engine,
                                      docportal_truth: dict[str, Any]) -> None:
    result = engine.search(SearchRequest(kind="van-ban", size=1))
    assert result.total == len(docportal_truth["documents"])
    for name in FACETS:
        want = {facet_key(k): n for k, n in docportal_truth["facets"][name].items()}
        assert facet_counts(result.facets, name) == want, name
    issuers = {v["label"] for v in result.facets["issuer"]}
    assert "Sở Tài chính tỉnh Đắk Nông" in issuers or "Sở Tài chính tỉnh Đăk Nông" in issuers
    # The news pages are the other kind.
    kinds = facet_counts(result.facets, "kind")
    assert kinds == {"van-ban": len(docportal_truth["documents"])}
    everything = engine.search(SearchRequest(size=1))
    assert facet_counts(everything.facets, "kind") == {
        "van-ban": len(docportal_truth["documents"]), "tin": len(docportal_truth["news"])}


def test_each_filter_narrows_to_its_count(engine: Engine,
                                          docportal_truth: dict[str, Any]) -> None:
    for name, param in (("doc_type", "doc_type"), ("issuer", "issuer"), ("year", "year"),
                        ("site", "site")):
        for value, count in docportal_truth["facets"][name].items():
            req = SearchRequest(kind="van-ban", size=50, **{param: str(value)})
            result = engine.search(req)
            assert result.total == count, (name, value)
            # The other facets count within the filter.
            assert sum(v["count"] for v in result.facets[name]) == count


def test_sort_by_signed_date(engine: Engine, docportal: DocPortal,
                             docportal_truth: dict[str, Any]) -> None:
    truth = {page_id(docportal, d): d for d in docportal_truth["documents"]}
    newest = engine.search(SearchRequest(kind="van-ban", sort="signed_desc", size=50)).hits
    assert len(newest) == len(truth)
    for h in newest:
        doc = truth[h.id]
        if doc["signed_in"]:  # readable on the page or in the document: the very date
            assert h.signed == doc["signed"], (h.title, h.signed)
        # Where a hand wrote the day, OCR may miss it ("2019-07", "2019"); never the year.
        assert (h.signed or "")[:4] == str(doc["year"] or ""), h.title
    days = [signed_day(h.signed) for h in newest if h.signed]
    assert days == sorted(days, reverse=True) and len(days) == 33
    assert [h.signed for h in newest[-2:]] == [None, None]  # unknown last
    oldest = engine.search(SearchRequest(kind="van-ban", sort="signed_asc", size=50)).hits
    assert [signed_day(h.signed) for h in oldest if h.signed] == sorted(days)
    assert oldest[0].signed == "2014-09-21"  # the page's own "ngày 21/9/2014" wins
    assert [h.signed for h in oldest[-2:]] == [None, None]


def test_the_api_returns_facets_and_filters(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        body = client.get("/api/search", params={"q": "ủy ban nhân dân", "kind": "van-ban",
                                                 "year": "2019"}).json()
        assert body["total"] > 0
        assert {f["value"] for f in body["facets"]["year"]} == {"2019"}
        assert set(body["facets"]) == {"kind", "doc_type", "issuer", "year", "site"}
        bad = client.get("/api/search", params={"year": "19"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_year"
        sort = client.get("/api/search", params={"sort": "signed_desc", "kind": "van-ban"})
        assert sort.status_code == 200 and sort.json()["hits"][0]["signed"] >= "2021"


@pytest.mark.slow
def test_with_tesseract_itself(docportal: DocPortal, docportal_truth: dict[str, Any],
                               tmp_path: Path) -> None:
    """The same checks with the scans OCR'd by Tesseract in the crawl (about two minutes)."""
    settings = crawled_archive(docportal, tmp_path / "data", real_ocr=True)
    eng = Engine(settings.data_dir)
    try:
        assert check_phrases(eng, docportal, docportal_truth) == []
        result = eng.search(SearchRequest(kind="van-ban", size=1))
        for name in FACETS:
            want = {facet_key(k): n for k, n in docportal_truth["facets"][name].items()}
            assert facet_counts(result.facets, name) == want, name
    finally:
        eng.close()


def test_attachment_names_are_those_the_portal_gave(engine: Engine, docportal: DocPortal,
                                                    docportal_truth: dict[str, Any]) -> None:
    for doc in docportal_truth["documents"]:
        art = engine.document(page_id(docportal, doc))
        assert art is not None
        names = Counter(a.name for a in art.attachments)
        want = Counter(a["name"] for a in doc["attachments"]
                       if unquote(a["url"]) in {"/" + unquote(x.url).split("/", 3)[3]
                                                for x in art.attachments})
        assert fold(" ".join(sorted(names))) == fold(" ".join(sorted(want))), doc["path"]
