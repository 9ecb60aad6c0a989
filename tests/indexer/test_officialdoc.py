"""Document headers read from real OCR output and generated documents; number keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawl.filetext import extract_text
from crawl.pagetext import clean_page
from indexer.document import Article
from indexer.officialdoc import DocHeader, apply_header, find_number, number_key, read_header

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
MANIFEST = json.loads((DOCS / "generated" / "manifest.json").read_text("utf-8"))

SPELLINGS = ["08 / CT-UBND", "08/CT-UBND", "08/ct-ubnd", "so 08 ct ubnd", "Số: 08/CT-UBND",
             "Số 08/CT-UBND", "số 08/ct-ubnd", "O8/CT-UBND", "08 /CT - UBND", "8/CT-UBND"]


@pytest.mark.parametrize("spelling", SPELLINGS, ids=SPELLINGS)
def test_every_spelling_of_a_number_has_one_key(spelling: str) -> None:
    assert number_key(spelling) == "8-ct-ubnd"
    assert find_number(f"chỉ thị {spelling} của huyện") == "8-ct-ubnd"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("45/2021/QĐ-UBND", "45-2021-qd-ubnd"),
        ("Số 45/2021/QĐ-UBND", "45-2021-qd-ubnd"),
        ("45/2021/qd-ubnd", "45-2021-qd-ubnd"),
        ("123-KH/HU", "123-kh-hu"),
        ("Số: 123-KH/HU", "123-kh-hu"),
        ("l23-KH/HU", "123-kh-hu"),
        ("808/UBND-VP", "808-ubnd-vp"),
        ("1155/UBND-TCKH", "1155-ubnd-tckh"),
    ],
    ids=lambda v: v,
)
def test_number_keys(text: str, key: str) -> None:
    assert number_key(text) == key
    assert find_number(f"kế hoạch {text}") == key


@pytest.mark.parametrize(
    "query",
    ["chỉ thị về phòng chống dịch tả lợn châu Phi",
     "nghị quyết HĐND huyện năm 2019 về thu chi ngân sách", "dân vận 2019", "Ủy ban nhân dân"],
    ids=["topic", "year", "plain", "body"],
)
def test_queries_without_a_number_have_none(query: str) -> None:
    assert find_number(query) is None


# (file, number, doc_type, issuer, place, signed, summary start): what a reader sees on page 1.
REAL = [
    ("217-TB-Kết luận giao ban tháng 5-2019", "thông báo", "Ủy ban nhân dân huyện Krông Nô",
     "Krông Nô", "2019-06", "Kết luận của Lãnh đạo UBND huyện"),
    ("237-TB-UBND-kết quả thực hiện chỉ tiêu KTXH năm 2018", "thông báo",
     "Ủy ban nhân dân huyện Krông Nô", "Krông Nô", "2019-07", "kết quả thực hiện các chỉ tiêu"),
    ("3021-QD-UBND_To_chuc_va_hoat_dong_20190603110010156161", "quyết định",
     "Ủy ban nhân dân huyện Krông Nô", None, None, "Ban hành Quy định tô chức và hoạt động"),
    ("808-UBND-VPsigned", "công văn", "Ủy ban nhân dân huyện Krông Nô", "Krông Nô", "2019",
     "xác minh. xử lý nội dung"),
    ("04.TTr-HDND", "tờ trình", "Hội đồng nhân dân tỉnh Đák Nông", "Đắk Nông", "2019-07-04",
     "Về việc miễn nhiệm chức vụ Trưởng ban Pháp chế"),
    ("41.BC-HĐND", "báo cáo", "Hội đồng nhân dân tỉnh Đắk Nông", "Đắk Nông", "2019",
     "Thấm tra Dự chảo Nghị quyết"),
]


@pytest.mark.parametrize(("name", "doc_type", "issuer", "place", "signed", "summary"), REAL,
                         ids=[r[0][:20] for r in REAL])
def test_headers_of_real_scans(name: str, doc_type: str, issuer: str, place: str | None,
                               signed: str | None, summary: str) -> None:
    text = clean_page((DOCS / "ocr-headers" / f"{name}.txt").read_text("utf-8"))
    h = read_header(text)
    assert (h.doc_type, h.issuer, h.place, h.signed) == (doc_type, issuer, place, signed)
    assert h.summary is not None and h.summary.startswith(summary)


def test_handwritten_numbers_read_as_far_as_ocr_can() -> None:
    # The number was filled in by hand (217, 41): the symbol is still read.
    h = read_header(clean_page((DOCS / "ocr-headers" / "41.BC-HĐND.txt").read_text("utf-8")))
    assert h.number is not None and h.number.endswith("/BC-HĐND")
    h = read_header(clean_page((DOCS / "ocr-headers" / "04.TTr-HDND.txt").read_text("utf-8")))
    assert h.number == "TTr-HĐND" and h.key is None


@pytest.mark.parametrize("doc", MANIFEST, ids=[d["file"] for d in MANIFEST])
def test_headers_of_generated_documents(doc: dict[str, str]) -> None:
    text = extract_text((DOCS / "generated" / doc["file"]).read_bytes())
    h = read_header(text.pages[0])
    assert h.number == doc["number"]
    assert h.key == number_key(doc["number"])
    assert h.doc_type == (doc["doc_type"].lower() or "công văn")
    assert (h.place, h.signed, h.summary) == (doc["place"], doc["signed"], doc["summary"])
    last = doc["issuer"].split(" HUYỆN ỦY ")[-1] if " ỦY " in doc["issuer"] else doc["issuer"]
    assert h.issuer is not None and h.issuer.upper().endswith(last.split(" HUYỆN ")[-1])


def test_real_word_pdf_headers() -> None:
    text = extract_text((DOCS / "portals" / "140BC KQ giai quyet khieu nai.pdf").read_bytes())
    h = read_header(text.pages[0])
    assert h == DocHeader("140/BC-STC", "140-bc-stc", "báo cáo", "Sở Tài chính", "Đắk Nông",
                          "2019-07-17", "Công tác thanh tra, giải quyết khiếu nại, tố cáo và "
                          "Phòng, chống tham nhũng tháng 7 năm 2019")


def test_the_pages_own_metadata_wins() -> None:
    h = DocHeader("08/CT-UBND", "8-ct-ubnd", "chỉ thị", None, None, "2019-08-08", None)
    bare = Article(id="a", title="Chỉ thị", body="Xem chi tiết tại đây")
    filled = apply_header(bare, h)
    assert (filled.doc_number, filled.doc_type, filled.published) == (
        "08/CT-UBND", "chỉ thị", "2019-08-08")
    own = Article(id="b", title="t", body="b", doc_number="9/CT-UBND", doc_type="chỉ thị",
                  published="2019-08-09")
    assert apply_header(own, h) == own
