"""A result set as CSV for a spreadsheet: UTF-8 with a BOM (so Excel shows Vietnamese), one
row per result, bounded. Pure."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

MAX_ROWS = 5000
COLUMNS = ("Tiêu đề", "Số ký hiệu", "Loại văn bản", "Cơ quan ban hành", "Ngày ký", "Trang",
           "Địa chỉ gốc", "Bản lưu")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A cell's text; one a spreadsheet would run as a formula is quoted with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def csv_row(stored: dict[str, Any], base_url: str) -> list[str]:
    """The columns of one result (its stored index fields)."""
    meta = stored.get("meta") or {}
    archive = " ".join(f"{base_url}/luu-tru/{quote(s)}" for _, _, s in meta.get("files") or []
                       if s)
    values = (stored.get("title"), meta.get("doc_number"), meta.get("doc_type"),
              meta.get("issuer"), meta.get("signed"), meta.get("site"), meta.get("url"), archive)
    return [_cell(v) for v in values]


def csv_bytes(rows: Iterable[dict[str, Any]], base_url: str) -> bytes:
    """The CSV file: BOM, header row, one row per result (at most MAX_ROWS)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for i, stored in enumerate(rows):
        if i == MAX_ROWS:
            break
        writer.writerow(csv_row(stored, base_url))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
