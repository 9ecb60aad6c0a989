"""crawl.dates: Vietnamese publication dates, day first."""

import pytest

from crawl.dates import parse_vietnamese_date

CASES = [
    ("Thứ Năm, 24/06/2021 08:30", "2021-06-24T08:30:00"),
    ("Ngày 24 tháng 6 năm 2021", "2021-06-24"),
    ("Cập nhật: 24/6/2021", "2021-06-24"),
    ("24-06-2021", "2021-06-24"),
    ("08:30 24/06/2021", "2021-06-24T08:30:00"),
    ("ngày 5/7/2021", "2021-07-05"),
    ("Thứ năm, 2/11/2023, 19:20 (GMT+7)", "2023-11-02T19:20:00"),
    ("24/06/2021 - 02:30 PM", "2021-06-24T14:30:00"),
    ("2023-11-02T19:20:45+07:00", "2023-11-02T19:20:45"),
    ("2023-11-02T12:20:45Z", "2023-11-02T19:20:45"),
    ("2021-06-24", "2021-06-24"),
    ("Kế hoạch số 123/KH-UBND ngày 5/7/2021", "2021-07-05"),
    ("31/02/2021 hoặc 01/03/2021", "2021-03-01"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_parses_day_first(text: str, expected: str) -> None:
    assert parse_vietnamese_date(text) == expected


REJECTED = ["31/02/2021", "32/01/2021", "24/13/2021", "45/2021/QĐ-UBND", "không có ngày"]


@pytest.mark.parametrize("text", REJECTED, ids=REJECTED)
def test_rejects_impossible_dates(text: str) -> None:
    assert parse_vietnamese_date(text) is None
