"""The fast field path and the Whoosh analyzers emit the same terms."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from indexer.analysis import KINDS, VnText, analyzer_for
from indexer.mapping import _official, number_parts
from indexer.text import analyze

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


def _fixture_texts() -> list[str]:
    from tests.conftest import ARTICLES

    texts = []
    for line in ARTICLES.read_text("utf-8").splitlines():
        obj = json.loads(line)
        texts += [obj["title"], obj["body"]]
    return texts + TEXTS + ["", "  ", "5/2021", "Số: 45/2021/QĐ-UBND, 05-CT/HU; ngày 12/05/2020"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_index_path_emits_the_token_streams_of_the_analyzers_on_real_articles(
    kind: str,
) -> None:
    """analyze() (clause split, findall for clauses without digits, one fold per text) gives
    every stream in the order the Token pipeline (spans(), a break search per token) does."""
    for text in _fixture_texts():
        assert list(getattr(analyze(text), kind)) == [t.text for t in analyzer_for(kind)(text)]


def _number_parts_per_token(text: str) -> list[str]:
    """number_parts as it was written first: a Python step per folded token."""
    out: list[str] = []
    for tok in analyze(text).folded:
        if not tok[0].isdigit() or not any(c.isalpha() for c in tok):
            continue
        parts = [p for p in re.split(r"[/\-]", tok) if p]
        if len(parts) < 2 or not parts[0].isdecimal() or not _official(parts):
            continue
        n = str(int(parts[0]))
        out.append(n)
        if re.fullmatch(r"(?:19|20)\d\d", parts[1]):
            out.append(f"{n}/{parts[1]}")
        code = next((m.group(0) for p in parts[1:] if (m := re.match("[a-z]+", p))), None)
        if code:
            out.append(f"{n}/{code}")
    return out


def test_number_parts_equal_the_per_token_walk_on_real_articles() -> None:
    texts = _fixture_texts()
    found = 0
    for text in [*texts, "\n".join(texts)]:
        expected = _number_parts_per_token(text)
        assert number_parts(text) == expected, text[:80]
        found += len(expected)
    assert found > 30  # the fixtures do hold document numbers
