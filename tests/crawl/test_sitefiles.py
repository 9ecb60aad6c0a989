"""Attached files in a crawl: found by extension, wording or Content-Type, capped in size, bad
ones recorded with their reason while the crawl goes on; document headers and title dates."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from crawl.run import crawl
from crawl.sitefiles import title_date, with_header
from crawl.sites import DAY, generic_site
from indexer.config import Settings
from indexer.document import Article, Attachment
from tests.crawl.test_aliases import page
from tests.crawl.test_portals import FAST, indexed
from tests.fixtures.docportal.server import DOCS
from tests.fixtures.portals.server import StaticPortal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SMALL = DOCS / "generated" / "bc-97-thu-chi-xlsx.xlsx"  # 6.6 KB
BIG = DOCS / "generated" / "ct-08-dich-ta-lon.pdf"  # 38 KB
CAP = 30_000


def test_files_by_extension_wording_and_content_type(tmp_path: Path) -> None:
    links = {
        0: '<p>Văn bản: <a href="/van-ban?id=7">Biểu tổng hợp thu chi</a></p>',  # its type says
        1: '<p>File đính kèm: <a href="/img/lon.pdf">Chỉ thị 08</a></p>',  # over the cap
        2: '<p>File đính kèm: <a href="/img/hong.pdf">Kế hoạch 12</a></p>',  # broken
        3: '<p>File đính kèm: <a href="/img/trang.pdf">Thông báo 3</a></p>',  # an error page
        4: '<p><a href="/tai-ve?f=3">Tải về</a></p>',  # worded as a download, is a page
        5: '<p><a href="/Pages/DownloadFile.aspx?FileID=9">Tải về</a></p>',  # a handler
    }
    home = "".join(f'<a href="/bai-{n}">Bài số {n} của huyện về công tác năm 2021</a>'
                   for n in links)
    pages = {"/": f"<html><body><h2>Tin tức</h2>{home}</body></html>".encode()}
    for n, link in links.items():
        pages[f"/bai-{n}/"] = page(f"Hội nghị số {n} tổng kết năm 2021", links=link)
    pages["/tai-ve/"] = page("Trang tải về của huyện")
    files = {"/van-ban?id=7": (XLSX, SMALL.read_bytes()),
             "/img/lon.pdf": ("application/pdf", BIG.read_bytes()),
             "/img/hong.pdf": ("application/pdf", b"%PDF-1.4\n% cut short\n"),
             "/img/trang.pdf": ("text/html", "<html><body>Lỗi 500</body></html>".encode()),
             "/tai-ve?f=3": ("text/html; charset=utf-8", page("Tải về")),
             "/Pages/DownloadFile.aspx?FileID=9": ("application/octet-stream",
                                                  SMALL.read_bytes())}
    settings = replace(Settings(), data_dir=tmp_path / "data", crawl_delay=0.0, crawl_rate=0.0,
                       attachment_max_bytes=CAP, ocr_budget_minutes=0)
    with StaticPortal("files", pages=pages, files=files) as portal:
        site = generic_site(portal.url + "/", settings)
        report = crawl(settings, [site], policy_overrides=FAST)
        arts = indexed(settings)
        asked = [r.path for r in portal.requests]
        portal.clear_log()
        again = crawl(settings, [site], clock=lambda: time.time() + 8 * DAY,
                      policy_overrides=FAST)
        second = {r.path: r.status for r in portal.requests}

    def only(n: int) -> Attachment:
        (att,) = arts[f"/bai-{n}/"].attachments
        return att

    assert "Ông Quang nhấn mạnh" in only(0).text and only(0).kind == "xlsx"
    assert only(1).status == f"failed: larger than {CAP} bytes" and not only(1).text
    assert only(2).status.startswith("failed: corrupt PDF")
    assert only(3).status.startswith("failed: an HTML page, not a document")
    assert arts["/bai-4/"].attachments == []  # the page it leads to is no file
    assert only(5).sha256 == only(0).sha256 and only(5).kind == "xlsx"
    assert only(5).text == only(0).text
    site_report = report.sites[0]
    assert site_report.state == "ok"
    # The two files fetched as pages (the frontier reached them first) were read then; their
    # pages, decided at the end of this first run, found them known.
    assert site_report.files == {"fetched": 2, "known": 2, "too large": 1, "failed": 2,
                                 "not a file": 1}
    reasons = "\n".join(site_report.file_failures)
    assert "lon.pdf: larger than" in reasons and "hong.pdf: corrupt PDF" in reasons
    assert asked.count("/van-ban?id=7") == 1  # fetched once, as a page that is a file
    # Eight days on: the files are asked again with conditional GETs.
    assert second["/van-ban?id=7"] == 304
    assert second["/Pages/DownloadFile.aspx?FileID=9"] == 304
    assert again.sites[0].files.get("unchanged", 0) >= 2
    assert again.total("changed") == 0


@pytest.mark.parametrize(("title", "date"), [
    ("Thông báo số 217/TB-UBND ngày 18/6/2019 kết luận của Lãnh đạo UBND huyện", "2019-06-18"),
    ("Quyết định ban hành ngày 21 tháng 9 năm 2014", "2014-09-21"),
    ("Kết luận hội nghị giao ban tháng 5/2019", None),
    ("Kế hoạch 123/KH-UBND năm 2021", None),
], ids=["so-ngay", "ngay-thang-nam", "chi-thang", "khong-ngay"])
def test_title_date(title: str, date: str | None) -> None:
    assert title_date(title) == date


HEADER = ("ỦY BAN NHÂN DÂN\nHUYỆN KRÔNG NÔ\nSố: 08/CT-UBND\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
          "Độc lập - Tự do - Hạnh phúc\nKrông Nô, ngày 08 tháng 8 năm 2019\nCHỈ THỊ\n"
          "Về việc tăng cường phòng, chống bệnh Dịch tả lợn châu Phi\n")


def test_the_page_wins_over_the_header() -> None:
    bare = Article(id="u", title="Chỉ thị về phòng chống dịch", body="Chỉ thị",
                   attachments=[Attachment(url="u.pdf", text=HEADER, pages=[HEADER])])
    filled = with_header(bare)
    assert (filled.doc_number, filled.doc_type, filled.issuer, filled.published) == (
        "08/CT-UBND", "chỉ thị", "Ủy ban nhân dân huyện Krông Nô", "2019-08-08")
    own = replace(bare, doc_number="09/CT-UBND", published="2019-08-12T08:44:00",
                  issuer="UBND huyện")
    kept = with_header(own)
    assert (kept.doc_number, kept.published, kept.issuer) == (
        "09/CT-UBND", "2019-08-12T08:44:00", "UBND huyện")
    pending = replace(bare, attachments=[Attachment(url="u.pdf", pages=[""],
                                                    status="ocr-pending")])
    assert with_header(pending) == pending  # a scan waiting for OCR says nothing yet
