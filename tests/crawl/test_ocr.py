"""OCR of a page in a limited child process: real text, and failures with a reason."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from crawl.ocr import OcrFailed, OcrSettings, ocr_page
from tests.crawl.docgen import DOCS, image_pdf


def test_a_real_scan_is_read_in_vietnamese() -> None:
    text = ocr_page(DOCS / "vi-docs" / "04.TTr-HDND.PDF", 0)
    for phrase in ("HỘI ĐỒNG NHÂN DÂN", "TỜ TRÌNH", "miễn nhiệm chức vụ Trưởng ban Pháp chế",
                   "Kính trình Hội đồng nhân dân tỉnh xem xét"):
        assert phrase.lower() in text.lower().replace("đòng", "đồng")


def test_a_20000_pixel_image_page_stays_within_limits(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    path.write_bytes(image_pdf(20_000, 20_000))
    assert ocr_page(path, 0) == ""  # a white page, rendered at a capped size, in < 600 MB
    big_page = tmp_path / "big-page.pdf"
    big_page.write_bytes(image_pdf(1000, 1000, page_pt=(14_400, 14_400)))  # 200 × 200 inches
    assert ocr_page(big_page, 0) == ""


def test_memory_limit_fails_the_page_not_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    path.write_bytes(image_pdf(20_000, 20_000))
    with pytest.raises(OcrFailed) as err:
        ocr_page(path, 0, OcrSettings(memory_mb=60))
    assert err.value.reason


def test_time_limit(tmp_path: Path) -> None:
    t0 = time.monotonic()
    with pytest.raises(OcrFailed, match="longer than"):
        ocr_page(DOCS / "vi-docs" / "04.TTr-HDND.PDF", 0, OcrSettings(timeout=0.3))
    assert time.monotonic() - t0 < 5


@pytest.mark.parametrize(
    "data", [b"%PDF-1.4 garbage" * 10, b"<html>404</html>", b""], ids=["corrupt", "html", "empty"]
)
def test_unreadable_files_fail_with_a_reason(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(data)
    with pytest.raises(OcrFailed, match="cannot OCR page 1"):
        ocr_page(path, 0)


def test_a_page_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(OcrFailed, match="no page 9"):
        ocr_page(DOCS / "vi-docs" / "04.TTr-HDND.PDF", 8)
