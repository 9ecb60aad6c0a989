"""The fast field path and the Whoosh analyzers emit the same terms."""

from __future__ import annotations

from collections import Counter

import pytest

from indexer.analysis import KINDS, VnText, analyzer_for

TEXTS = [
    "Ban Dân vận Huyện uỷ tổ chức hội nghị triển khai Kế hoạch số 123/KH-UBND ngày 24/6/2021.",
    "UBND xã Nam Bình, huyện Đắk Song; TP.HCM – kinh tế - xã hội",
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("text", TEXTS, ids=["dân vận", "UBND xã"])
def test_fast_index_path_matches_analyzer(kind: str, text: str) -> None:
    field = VnText(kind)
    fast = {t.decode(): freq for t, freq, _, _ in field.index(text)}
    slow = Counter(t.text for t in analyzer_for(kind)(text))
    assert fast == dict(slow)
    assert fast  # something was indexed
