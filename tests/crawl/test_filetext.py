"""Attachment bytes → per-page text, for every kind, and bad input failing with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawl.errors import FileUnreadable
from crawl.filetext import extract_text
from crawl.filetypes import file_name, kind_from_content_type, kind_from_url, sniff
from crawl.pagetext import clean_page, needs_ocr, strip_signature
from indexer.text import analyze
from tests.crawl.docgen import DOCS, encrypted_pdf, image_pdf, text_pdf, zip_bomb_docx

MANIFEST = json.loads((DOCS / "generated" / "manifest.json").read_text("utf-8"))


@pytest.mark.parametrize("doc", MANIFEST, ids=[d["file"] for d in MANIFEST])
def test_every_generated_document_reads_back_its_text(doc: dict[str, str]) -> None:
    data = (DOCS / "generated" / doc["file"]).read_bytes()
    got = extract_text(data)
    assert got.kind == Path(doc["file"]).suffix[1:]
    assert got.ocr_pages == ()
    # Every word of the known text is there, in NFC and the index's tone style.
    text = doc["text"]
    if doc["fmt"] in ("xlsx", "xls"):  # the spreadsheets have no "Nơi nhận" block
        text = text.replace("Nơi nhận:\n- Như trên;\n- Lưu: VT.", "")
    want, have = analyze(text).tokens, set(analyze(got.text).tokens)
    missing = [w for w in want if w not in have]
    assert not missing, missing[:10]


def test_pages_are_kept() -> None:
    got = extract_text((DOCS / "generated" / "kh-123-cai-cach-hanh-chinh.pdf").read_bytes())
    assert len(got.pages) >= 2
    assert got.pages[0].startswith("ỦY BAN NHÂN DÂN")
    assert "Số: 123/KH-UBND" in got.pages[0]


def test_real_word_pdf() -> None:
    got = extract_text((DOCS / "portals" / "140BC KQ giai quyet khieu nai.pdf").read_bytes())
    assert (got.kind, len(got.pages), got.ocr_pages) == ("pdf", 4, ())
    assert "giải quyết khiếu nại, tố cáo" in got.text


@pytest.mark.parametrize(
    ("name", "pages"),
    [("04.TTr-HDND.PDF", 2), ("41.BC-HĐND.PDF", 4), ("808-UBND-VPsigned.pdf", 2),
     ("3021-QD-UBND_To_chuc_va_hoat_dong_20190603110010156161.pdf", 11)],
    ids=["scan", "scan-4", "stamp-only", "scan-11"],
)
def test_scans_queue_every_page_for_ocr(name: str, pages: int) -> None:
    got = extract_text((DOCS / "vi-docs" / name).read_bytes())
    assert got.ocr_pages == tuple(range(pages))


def test_real_docx() -> None:
    got = extract_text((DOCS / "vi-docs" / "file hướng dẫn.docx").read_bytes())
    assert got.kind == "docx" and "quản lý DNS" in got.text


STAMP = ("Người ký: Ủy ban\nnhân dân huyện K-\nrông Nô\nEmail:\nkrongno@daknong.go\nv.vn\n"
         "Cơ quan: Tỉnh Đắk\nNông\nThời gian ký:\n18.06.2019 16:33:44\n+07:00\n")


def test_a_signature_stamp_alone_needs_ocr() -> None:
    assert needs_ocr(STAMP)
    assert strip_signature(STAMP).strip() == ""
    body = "Ủy ban nhân dân huyện Krông Nô thông báo kết quả rà soát các chỉ tiêu phát triển"
    assert not needs_ocr(STAMP + body)


def test_a_stamp_in_the_text_layer_still_sends_the_page_to_ocr() -> None:
    pdf = text_pdf([STAMP.replace("\n", " ")])
    # No image on the page: nothing OCR could read, so not queued; the stamp is text.
    assert extract_text(pdf).ocr_pages == ()
    assert needs_ocr(extract_text(pdf).pages[0])


def test_cleaning_joins_lines_and_hyphens() -> None:
    raw = ("Ngày 13/6/2019, UBND huyện tổ chức Hội nghị đánh giá tình hình thực hiện\n"
           "nhiệm vụ phát triển kinh tế - xã hội của huyện K-\nrông Nô, thuỷ lợi.\nCăn cứ Luật;")
    assert clean_page(raw) == (
        "Ngày 13/6/2019, UBND huyện tổ chức Hội nghị đánh giá tình hình thực hiện nhiệm vụ "
        "phát triển kinh tế - xã hội của huyện Krông Nô, thủy lợi.\nCăn cứ Luật;")


def test_kinds_from_bytes_header_and_url() -> None:
    assert sniff(b"%PDF-1.7 ...") == "pdf"
    assert sniff(b"<!DOCTYPE html><html>404</html>") == "html"
    assert sniff((DOCS / "generated" / "kh-67-giao-thong.doc").read_bytes()) == "doc"
    assert sniff((DOCS / "generated" / "tb-14-lich-xls.xls").read_bytes()) == "xls"
    assert sniff((DOCS / "generated" / "ct-03-ve-sinh-thuc-pham.odt").read_bytes()) == "odt"
    assert kind_from_url("http://x.gov.vn/img/41.BC-H%C4%90ND.PDF?v=1") == "pdf"
    assert kind_from_url("http://x.gov.vn/tin-tuc/abc") is None
    assert kind_from_content_type("application/msword; charset=binary") == "doc"
    assert file_name("http://x/a/K%E1%BA%BF%20ho%E1%BA%A1ch.pdf") == "Kế hoạch.pdf"
    assert file_name("http://x/download?id=3",
                     "attachment; filename*=UTF-8''Ch%E1%BB%89%20th%E1%BB%8B.pdf") == "Chỉ thị.pdf"


# --- bad input: a reason, never a crash -----------------------------------------------------


def test_encrypted_pdf() -> None:
    with pytest.raises(FileUnreadable, match="encrypted"):
        extract_text(encrypted_pdf("Chỉ thị về phòng, chống dịch"))


def test_truncated_pdf_reads_what_it_can_or_fails_with_a_reason() -> None:
    data = (DOCS / "generated" / "bc-210-tiep-cong-dan.pdf").read_bytes()
    for cut in (len(data) // 2, 2000, 20):
        try:
            got = extract_text(data[:cut])
        except FileUnreadable as exc:
            assert exc.reason
        else:
            assert got.kind == "pdf"


def test_garbage_and_html_served_as_pdf() -> None:
    with pytest.raises(FileUnreadable, match="HTML page"):
        extract_text(b"<html><body>Trang bao loi 404</body></html>", "pdf")
    with pytest.raises(FileUnreadable, match="corrupt PDF"):
        extract_text(b"%PDF-1.4\n" + bytes(range(256)) * 40, "pdf")
    with pytest.raises(FileUnreadable, match="unknown file type"):
        extract_text(b"\x00\x01binary", None)
    with pytest.raises(FileUnreadable, match="empty"):
        extract_text(b"", "pdf")


def test_docx_zip_bomb() -> None:
    with pytest.raises(FileUnreadable, match="zip bomb"):
        extract_text(zip_bomb_docx())


def test_doc_that_antiword_rejects() -> None:
    # An OLE2 container with a WordDocument name but no Word content (a damaged .doc).
    data = (DOCS / "generated" / "kh-67-giao-thong.doc").read_bytes()
    with pytest.raises(FileUnreadable, match="antiword"):
        extract_text(data[:1536], "doc")


def test_rtf_saved_as_doc_is_read_as_rtf() -> None:
    data = (DOCS / "generated" / "hd-12-bau-cu.rtf").read_bytes()
    assert extract_text(data, "doc").kind == "rtf"


def test_a_500_page_pdf() -> None:
    pages = [f"Trang {i}: Ủy ban nhân dân huyện báo cáo tình hình thực hiện." for i in range(500)]
    got = extract_text(text_pdf(pages))
    assert len(got.pages) == 500 and got.pages[499].startswith("Trang 499:")


def test_a_huge_image_page_is_only_queued() -> None:
    got = extract_text(image_pdf(20_000, 20_000))
    assert got.ocr_pages == (0,)
