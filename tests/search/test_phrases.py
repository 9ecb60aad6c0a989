"""search.phrases: the level of a text for a short query (whole phrase, same clause, neither)."""

from __future__ import annotations

import unicodedata

import pytest

from search.phrases import Phrases, runs_of
from search.query import parse

ACCENTED = Phrases([("nhà", "văn", "hóa")])
UNACCENTED = Phrases([("nha", "van", "hoa")])


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("Ông là Nhà Văn Hoá lớn", 3),  # case and tone placement (hoá = hóa) do not matter
        ("nhà  văn hóa", 3),  # spaces only between the syllables
        (unicodedata.normalize("NFD", "nhà văn hóa"), 3),
        ("nhà văn, hóa đơn", 0),  # a comma breaks the clause
        ("nhà văn\nhóa", 0),  # so does a line break
        ("nhà của văn hóa", 1),  # every syllable in one clause, not together
        ("nhà văn. Văn hóa", 0),  # 'hóa' only in the next sentence
        ("xnhà văn hóa", 0),  # whole words only
        ("nhà văn hóax", 0),
        ("nhà vân hóa", 0),  # another accenting than typed
        ("nha van hoa", 0),
    ],
)
def test_level_with_diacritics_typed(text: str, level: int) -> None:
    assert ACCENTED.level(text) == level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("nhà văn hóa", 3),
        ("nhà vân hoá", 3),  # any accenting
        ("nha van hoa", 2),  # written without diacritics: after a real accenting
        ("nhà và văn hóa", 1),
        ("nhà, văn hóa", 0),
    ],
)
def test_level_without_diacritics_typed(text: str, level: int) -> None:
    assert UNACCENTED.level(text) == level


def test_order_keeps_the_given_order_within_a_level() -> None:
    texts = ["nhà văn và văn hóa", "nhà văn hóa", "nhà văn, hóa", "Nhà văn hóa", "nhà và văn hóa"]
    assert ACCENTED.order(texts) == [1, 3, 0, 4, 2]


def test_only_two_or_three_plain_syllables_are_looked_for() -> None:
    assert runs_of(parse("nhà văn hóa")) == (("nhà", "văn", "hóa"),)
    assert runs_of(parse('"nha van hoa"')) == (("nha", "van", "hoa"),)
    assert runs_of(parse("dân vận")) == (("dân", "vận"),)  # same clause above paragraphs apart
    assert runs_of(parse("vận")) == ()
    assert runs_of(parse("nhà văn hóa mới")) == ()  # a title fragment
    assert runs_of(parse("UBND huyện")) == ()
