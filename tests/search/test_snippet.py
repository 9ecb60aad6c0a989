"""Snippets: escaped text, matched words in <mark>, the best passage chosen."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from search.snippet import _best_start, make_snippet


def test_adjacent_matches_share_one_mark_and_markup_is_escaped() -> None:
    html = make_snippet(
        "Phó Chủ tịch Ủy ban nhân dân <b>huyện</b> nói", frozenset(["ủy", "ban", "nhân", "dân"])
    )
    soup = BeautifulSoup(html, "html.parser")
    assert [m.get_text() for m in soup.find_all("mark")] == ["Ủy ban nhân dân"]
    assert soup.find("b") is None and "&lt;b&gt;" in html


def test_folded_matches_are_marked_too() -> None:
    html = make_snippet("Ban Dân vận huyện", frozenset(["dan", "van"]))
    assert "<mark>Dân vận</mark>" in html


def test_best_passage_is_chosen() -> None:
    text = "Mở đầu không liên quan. " * 40 + "Hội nghị dân vận khéo năm nay." + " Kết thúc." * 40
    html = make_snippet(text, frozenset(["dân", "vận", "khéo"]))
    assert "<mark>dân vận khéo</mark>" in html
    assert html.startswith("…") and html.endswith("…")


def _best_start_by_definition(matches: list[tuple[int, int, str]], width: int) -> int:
    """The best window by its definition: each match's window scored from scratch."""
    import itertools

    best_start, best_score = matches[0][0], -1.0
    for start, _, _ in matches:
        window = [m for m in matches if m[0] >= start and m[1] - start <= width]
        score = len({key for _, _, key in window}) + 0.5 * sum(
            1 for a, b in itertools.pairwise(window) if b[0] - a[1] <= 1
        )
        if score > best_score:
            best_start, best_score = start, score
    return best_start


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(1, 12), st.sampled_from("abcd")),
        min_size=1,
        max_size=40,
    ),
    st.integers(5, 60),
)
def test_the_sliding_window_finds_the_best_window(
    steps: list[tuple[int, int, str]], width: int
) -> None:
    matches, pos = [], 0
    for gap, length, key in steps:  # non-overlapping matches in text order
        pos += gap
        matches.append((pos, pos + length, key))
        pos += length
    assert _best_start(matches, width) == _best_start_by_definition(matches, width)


@pytest.mark.parametrize("q", ["ĐU", "đảng ủy", "Đảng uỷ"])
def test_capital_abbreviation_marked_only_as_written(q: str) -> None:
    """ĐU (đảng ủy) marks 'ĐU' and 'Đảng ủy', never the syllable of 'đu quay' (issue 11)."""
    from search import query as qb
    from search.views import highlight

    pq = qb.parse(q)
    text = "Trẻ em chơi đu quay. Bí thư Đảng ủy xã và ĐU phường họp."
    want = "Trẻ em chơi đu quay. Bí thư <mark>Đảng ủy</mark> xã và <mark>ĐU</mark> phường họp."
    assert make_snippet(text, pq.highlight_terms(), phrases=pq.highlight_phrases()) == want
    assert highlight(text, pq.highlight_terms() | pq.highlight_phrases()) == want
