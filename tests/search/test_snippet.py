"""Snippets: escaped text, matched words in <mark>, the best passage chosen."""

from __future__ import annotations

from bs4 import BeautifulSoup

from search.snippet import make_snippet


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
