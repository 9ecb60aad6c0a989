"""The Vietnamese text rules of DESIGN.md, as pure functions."""

from __future__ import annotations

import unicodedata

import pytest

from indexer.text import analyze, canonical, fold, normalize, spans


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hoà", "hòa"),
        ("Hoà Bình", "Hòa Bình"),
        ("thuỷ lợi", "thủy lợi"),
        ("THUỶ", "THỦY"),
        ("khoẻ", "khỏe"),
        ("uỷ ban", "ủy ban"),
        ("Thuỵ", "Thụy"),
        ("quý", "quý"),
        ("khuỷu", "khuỷu"),
        ("hoàn thành", "hoàn thành"),
        ("hoài", "hoài"),
        ("thuở", "thuở"),
    ],
    ids=[
        "hoà",
        "Hoà Bình",
        "thuỷ",
        "THUỶ",
        "khoẻ",
        "uỷ",
        "Thuỵ",
        "quý",
        "khuỷu",
        "hoàn",
        "hoài",
        "thuở",
    ],
)
def test_one_tone_placement_style(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_nfd_input_becomes_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Hoà Bình")
    assert nfd != "Hoà Bình"
    assert normalize(nfd) == "Hòa Bình"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("dân vận", "dan van"),
        ("Đắk Song", "Dak Song"),
        ("huyện ủy", "huyen uy"),
        ("QĐ-UBND", "QD-UBND"),
    ],
    ids=["dân vận", "Đắk Song", "huyện ủy", "QĐ-UBND"],
)
def test_fold(raw: str, expected: str) -> None:
    assert fold(raw) == expected


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("Kế hoạch số 123/KH-UBND ngày", "123/kh-ubnd"),
        ("theo Quyết định 45/2021/QĐ-UBND của", "45/2021/qđ-ubnd"),
        ("Chỉ thị 05-CT/HU về", "05-ct/hu"),
        ("Nghị quyết 35–NQ/TW", "35-nq/tw"),
        ("ngày 24/6/2021", "24/06/2021"),
    ],
    ids=["123/KH-UBND", "45/2021/QĐ-UBND", "05-CT/HU", "en dash", "date"],
)
def test_document_numbers_and_dates_stay_whole(text: str, token: str) -> None:
    assert token in [s.text for s in spans(canonical(text))]


def test_single_letters_kept_and_lowercased() -> None:
    assert [s.text for s in spans(canonical("Ý kiến ở xã"))] == ["ý", "kiến", "ở", "xã"]


def test_bigrams_stay_inside_a_clause() -> None:
    a = analyze("Ban Dân vận Huyện ủy. Hội nghị, kinh tế - xã hội")
    assert "dân vận" in a.bigrams
    assert "huyện ủy" in a.bigrams
    assert "ủy hội" not in a.bigrams  # a sentence ends between them
    assert "nghị kinh" not in a.bigrams  # a comma separates them
    assert "tế xã" in a.bigrams  # a dash inside a phrase does not
    assert "dan van" in a.folded_bigrams


def test_abbreviation_with_dot_is_one_phrase() -> None:
    assert "tp hcm" in analyze("tại TP.HCM hôm qua").bigrams


def test_offsets_point_into_the_text() -> None:
    text = "Ủy ban nhân dân huyện Đắk Song"
    for s in spans(canonical(text)):
        assert canonical(text[s.start : s.end]) == s.text
