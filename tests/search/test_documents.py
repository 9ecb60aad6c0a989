"""The archive side of search (issue 10): stored originals served safely, the document view,
results as CSV, the facets partial and the in-file match on the page, and the pure helpers."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest

from indexer.config import Settings
from indexer.docfields import issuing_body, query_number, signed_date, title_date
from indexer.document import Article, Attachment
from indexer.layout import DataDir
from indexer.mapping import signed_day
from indexer.stats import index_stats, ocr_counts
from indexer.text import fold
from search.engine import Engine
from search.export import MAX_ROWS, csv_bytes
from search.types import SearchRequest
from tests.conftest import LiveServer
from tests.fixtures.docportal.server import DOCS, DocPortal


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Any:
    with httpx.Client(base_url=server.url, timeout=20) as c:
        yield c


def doc_article(engine: Engine, portal: DocPortal, truth: dict[str, Any], number: str
                ) -> tuple[dict[str, Any], Article]:
    doc = next(d for d in truth["documents"] if d["number"] == number)
    art = engine.document(portal.url(doc["site"], doc["path"]))
    assert art is not None
    return doc, art


# --- stored originals ------------------------------------------------------------------------


def test_stored_files_are_served_as_the_portal_named_them(
        client: httpx.Client, engine: Engine, docportal: DocPortal,
        docportal_truth: dict[str, Any]) -> None:
    served = 0
    names: dict[str, set[str]] = {}  # one file linked under two names is served under one
    for doc in docportal_truth["documents"]:
        art = engine.document(docportal.url(doc["site"], doc["path"]))
        assert art is not None
        for att in art.attachments:
            names.setdefault(att.sha256, set()).add(att.name)
    for doc in docportal_truth["documents"]:
        art = engine.document(docportal.url(doc["site"], doc["path"]))
        assert art is not None
        for att in art.attachments:
            link = next(a for a in doc["attachments"]
                        if unquote(att.url).endswith(unquote(a["url"])))
            r = client.get(f"/luu-tru/{att.stored}")
            assert r.status_code == 200, att.stored
            assert r.content == (DOCS / link["file"]).read_bytes()
            kind = docportal_truth["files"][link["file"]]["kind"]
            want_type = {"pdf": "application/pdf", "doc": "application/msword"}.get(kind)
            if want_type:
                assert r.headers["content-type"] == want_type
            disposition = r.headers["content-disposition"]
            assert disposition.startswith("inline;")
            # The name the portal gave (Vietnamese: RFC 5987 encoded), not the hash.
            assert any(quote(n) in disposition for n in names[att.sha256]), disposition
            assert "immutable" in r.headers["cache-control"]
            served += 1
    assert served >= 35


def test_only_content_addressed_names_of_linked_files_are_served(
        client: httpx.Client, archive: Settings, engine: Engine) -> None:
    files = archive.data_dir / "files"
    stored = next(p for p in files.rglob("*.pdf"))
    name = str(stored.relative_to(files))
    assert client.get(f"/luu-tru/{name}").status_code == 200
    # A valid-looking name that no indexed article links (copied in by hand): not served.
    data = b"%PDF-1.4 not linked"
    sha = hashlib.sha256(data).hexdigest()
    (files / sha[:2]).mkdir(exist_ok=True)
    (files / sha[:2] / f"{sha}.pdf").write_bytes(data)
    try:
        for path in (
            f"/luu-tru/{sha[:2]}/{sha}.pdf",  # not linked
            f"/luu-tru/{name.upper()}",  # not the stored form
            f"/luu-tru/{name[:-4]}.exe",
            f"/luu-tru/00/{name.split('/')[1]}",  # prefix not the hash's
            "/luu-tru/../articles.sqlite",
            "/luu-tru/%2e%2e/%2e%2e/etc/passwd",
            "/luu-tru/" + "a" * 2 + "/" + "a" * 64 + ".pdf",
            f"/luu-tru/{name}/x",
        ):
            r = client.get(path)
            assert r.status_code == 404, path
            assert b"PDF" not in r.content
    finally:
        shutil.rmtree(files / sha[:2]) if len(list((files / sha[:2]).iterdir())) == 1 else (
            files / sha[:2] / f"{sha}.pdf").unlink()
    assert engine.file_owner(sha) is None


# --- the document view -----------------------------------------------------------------------


def test_document_view_shows_metadata_text_by_page_and_links(
        client: httpx.Client, engine: Engine, docportal: DocPortal,
        docportal_truth: dict[str, Any]) -> None:
    _, art = doc_article(engine, docportal, docportal_truth, "210/BC-UBND")
    r = client.get(f"/van-ban/{quote(art.id, safe='')}")
    assert r.status_code == 200
    html = r.text
    for text in ("210/BC-UBND", "Báo cáo", "Ủy ban nhân dân huyện Krông Nô", "12/12/2017",
                 "Tệp đính kèm", "Bản lưu", "Trang 1", "Trang 2", art.url or "-"):
        assert text in html, text
    att = art.attachments[0]
    assert f'href="/luu-tru/{att.stored}"' in html
    # Page 2's own text is under the "Trang 2" heading.
    page2 = html.split("<h3>Trang 2</h3>", 1)[1].split("<h3>", 1)[0]
    assert att.pages[1].split("\n")[0][:60].replace('"', "&#34;") in page2
    assert html.count("<h1>") == 1


def test_document_view_has_a_search_box_and_marks_the_query(
        client: httpx.Client, engine: Engine, docportal: DocPortal,
        docportal_truth: dict[str, Any]) -> None:
    _, art = doc_article(engine, docportal, docportal_truth, "210/BC-UBND")
    html = client.get(f"/van-ban/{quote(art.id, safe='')}", params={"q": "báo cáo"}).text
    assert 'name="q"' in html and 'value="báo cáo"' in html
    assert "<mark>Báo cáo</mark>" in html or "<mark>báo cáo</mark>" in html
    assert "<mark>" not in client.get(f"/van-ban/{quote(art.id, safe='')}").text


def test_a_news_article_keeps_the_article_page(client: httpx.Client, docportal: DocPortal,
                                               docportal_truth: dict[str, Any]) -> None:
    news = docportal_truth["news"][0]
    r = client.get("/van-ban/" + quote(docportal.url(news["site"], news["path"]), safe=""))
    assert r.status_code == 200 and "Tệp đính kèm" not in r.text
    assert news["title"] in r.text
    assert client.get("/van-ban/khong-co").status_code == 404


# --- CSV -------------------------------------------------------------------------------------


def test_results_export_as_csv_for_excel(client: httpx.Client,
                                         docportal_truth: dict[str, Any]) -> None:
    r = client.get("/xuat-csv", params={"kind": "van-ban", "sort": "signed_desc"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["Tiêu đề", "Số ký hiệu", "Loại văn bản", "Cơ quan ban hành", "Ngày ký",
                       "Trang", "Địa chỉ gốc", "Bản lưu"]
    body = rows[1:]
    assert len(body) == len(docportal_truth["documents"]) == int(r.headers["x-total-count"])
    assert body[0][4] >= body[-3][4]  # newest signed first
    by_number = {row[1]: row for row in body if row[1]}
    row = by_number["08/CT-UBND"]
    assert row[2:4] == ["chỉ thị", "Ủy ban nhân dân huyện Krông Nô"]
    assert row[4] == "2019-08-08" and row[5] == "krongno"
    archived = row[7].split()[0]
    assert archived.startswith(str(client.base_url).rstrip("/") + "/luu-tru/")
    assert client.get(archived).status_code == 200
    # Filters apply as on the page.
    one = client.get("/xuat-csv", params={"q": "08/CT-UBND", "year": "2019"})
    first = list(csv.reader(io.StringIO(one.content.decode("utf-8-sig"))))[1]
    assert first[0].startswith("Chỉ thị") and first[1] == "08/CT-UBND"
    assert client.get("/xuat-csv", params={"year": "x"}).status_code == 400


def test_csv_is_bounded_and_defuses_formulas() -> None:
    rows = [{"title": f"=HYPERLINK(\"x\") {i}", "meta": {"doc_number": "-1", "files": []}}
            for i in range(MAX_ROWS + 10)]
    text = csv_bytes(rows, "http://h").decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert len(lines) == MAX_ROWS + 1
    assert lines[1][0].startswith("'=") and lines[1][1] == "'-1"


# --- the page --------------------------------------------------------------------------------


def test_page_shows_facets_and_where_in_the_file(client: httpx.Client,
                                                 docportal_truth: dict[str, Any]) -> None:
    phrase = next(ph for f in docportal_truth["files"].values() for ph in f["phrases"]
                  if ph["page"] == 2)
    html = client.get("/search", params={"q": phrase["phrase"]}).text
    assert 'class="facets"' in html and "Cơ quan ban hành" in html
    assert "trang 2</a></p>" in html
    # The page link opens the document view at that page, whose text holds the phrase.
    link = re.search(r'<a href="(/van-ban/[^"#]+)#(tep-\d+-trang-2)">trang 2</a>', html)
    assert link is not None
    view = client.get(unquote(link.group(1).replace("&amp;", "&"))).text
    section = view.split(f'id="{link.group(2)}"', 1)[1].split("</section>", 1)[0]
    assert " ".join(phrase["folded"].split()) in " ".join(
        re.findall(r"[^\W_]+", fold(section).lower()))
    html = client.get("/search", params={"kind": "van-ban", "year": "2019"}).text
    assert "Năm ban hành: 2019" in html  # the filter chip
    assert "2019</strong>" in html or "2019 (" in html
    assert "/xuat-csv?" in html


# --- pure helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["08 / CT-UBND", "08/CT-UBND", "08/ct-ubnd", "so 08 ct ubnd",
                               "Số: 08/CT-UBND", "chỉ thị 08/CT-UBND về dịch tả lợn"])
def test_every_spelling_of_a_number_is_one_key(q: str) -> None:
    assert query_number(q) == "8-ct-ubnd"


def test_number_with_a_year_and_words_without_numbers() -> None:
    assert query_number("so 45 2021 qd ubnd") == query_number("45/2021/QĐ-UBND") \
        == "45-2021-qd-ubnd"
    assert query_number("chỉ thị về dịch tả lợn châu Phi") is None
    assert query_number("năm 2019 về thu chi ngân sách") is None


def test_signed_date_the_title_wins_over_the_header() -> None:
    header = "ỦY BAN NHÂN DÂN\nHUYỆN KRÔNG NÔ\nSố: 08/CT-UBND\nKrông Nô, ngày 08 tháng 8 năm 2019\n"
    att = Attachment(url="http://x/a.pdf", pages=[header + "CHỈ THỊ\nVề việc …"])
    art = Article(id="a", title="Chỉ thị số 08/CT-UBND", body="x", attachments=[att])
    assert signed_date(art) == "2019-08-08"
    titled = Article(id="b", title="Quyết định 3021/QĐ-UBND ngày 21/9/2014", body="x",
                     attachments=[att])
    assert signed_date(titled) == "2014-09-21"
    assert title_date("Thông báo ngày 31/2/2019") is None  # no such day
    assert signed_day("2019-08") == "20190800" and signed_day("2019") == "20190000"


def test_issuing_body_gets_its_place_from_the_header() -> None:
    header = ("UBND TỈNH ĐĂK NÔNG CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSỞ TÀI CHÍNH\n"
              "Số: 140/BC-STC\nĐắk Nông, ngày 17 tháng 7 năm 2019\nBÁO CÁO\n")
    att = Attachment(url="http://x/a.pdf", pages=[header])
    art = Article(id="a", title="Báo cáo", body="x", attachments=[att], issuer="Sở Tài chính")
    assert issuing_body(art) == "Sở Tài chính tỉnh Đắk Nông"
    placed = Article(id="b", title="t", body="x", attachments=[att],
                     issuer="Ủy ban nhân dân huyện Krông Nô")
    assert issuing_body(placed) == "Ủy ban nhân dân huyện Krông Nô"
    assert issuing_body(Article(id="c", title="t", body="x")) is None


def test_facets_count_within_the_query(engine: Engine) -> None:
    everything = engine.search(SearchRequest(kind="van-ban"))
    narrowed = engine.search(SearchRequest(q="Sở Tài chính", kind="van-ban"))
    total = {v["value"]: v["count"] for v in everything.facets["year"]}
    part = {v["value"]: v["count"] for v in narrowed.facets["year"]}
    assert 0 < sum(part.values()) <= narrowed.total < everything.total
    assert all(part[y] <= total[y] for y in part)


# --- index stats -----------------------------------------------------------------------------


def test_index_stats_count_ocr_pages_per_site_and_the_archive(
        archive: Settings, tmp_path: Path, docportal_truth: dict[str, Any]) -> None:
    stats = index_stats(archive.data_dir)
    scans = sum(f["pages"] for f in docportal_truth["files"].values()
                if f["text"] != "text layer")
    assert (stats["ocr_pending"], stats["ocr_done"], stats["ocr_failed"]) == (0, scans, 0)
    assert sum(c["done"] for c in stats["ocr_by_site"].values()) == scans
    assert set(stats["ocr_by_site"]) <= {"krongno", "cujut"}
    linked = {a["file"] for d in docportal_truth["documents"] for a in d["attachments"]}
    assert stats["archive_files"] == len(linked)
    assert stats["archive_bytes"] == sum((DOCS / f).stat().st_size for f in linked)
    # A queue with work left and a failure: counted as such (running counts as pending).
    queue = tmp_path / "ocr.sqlite"
    shutil.copy(DataDir(archive.data_dir).ocr_queue, queue)
    with sqlite3.connect(queue) as db:
        rows = db.execute("SELECT sha256, page FROM pages WHERE state = 'done' LIMIT 3").fetchall()
        for (sha, page), state in zip(rows, ("pending", "running", "failed"), strict=True):
            db.execute("UPDATE pages SET state = ? WHERE sha256 = ? AND page = ?",
                       (state, sha, page))
    counts = ocr_counts(queue)
    assert sum(c["pending"] for c in counts.values()) == 2
    assert sum(c["failed"] for c in counts.values()) == 1
    assert sum(c["done"] for c in counts.values()) == scans - 3
    assert ocr_counts(tmp_path / "none.sqlite") == {}


def test_page_offers_the_signed_date_sorts(client: httpx.Client) -> None:
    html = client.get("/search", params={"kind": "van-ban"}).text
    assert "sort=signed_desc" in html and "sort=signed_asc" in html
    html = client.get("/search", params={"kind": "van-ban", "sort": "signed_desc"}).text
    assert '<strong aria-current="true">Ngày ký mới nhất</strong>' in html
    assert 'name="sort" value="signed_desc"' in html  # kept by the search box
