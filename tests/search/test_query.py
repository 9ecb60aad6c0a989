"""Reading user text into query units (pure)."""

from __future__ import annotations

import pytest

from search.query import parse, plan


def _alts(q: str) -> list[tuple[tuple[str, ...], ...]]:
    return [u.alternatives for u in parse(q).units]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("UBND", (("ubnd",), ("ủy", "ban", "nhân", "dân"))),
        ("ubnd", (("ubnd",), ("ủy", "ban", "nhân", "dân"))),
        ("hdnd", (("hdnd",), ("hđnd",), ("hội", "đồng", "nhân", "dân"))),
        ("KT-XH", (("kt", "xh"), ("ktxh",), ("kinh", "tế", "xã", "hội"))),
        ("TPHCM", (("tphcm",), ("tp", "hcm"), ("thành", "phố", "hồ", "chí", "minh"))),
        ("Ủy ban nhân dân", (("ủy", "ban", "nhân", "dân"), ("ubnd",))),
        ("uy ban nhan dan", (("uy", "ban", "nhan", "dan"), ("ubnd",))),
    ],
    ids=["UBND", "ubnd", "hdnd", "KT-XH", "TPHCM", "Ủy ban nhân dân", "uy ban nhan dan"],
)
def test_abbreviations_both_ways(q: str, expected: tuple[tuple[str, ...], ...]) -> None:
    assert _alts(q) == [expected]


def test_two_letter_abbreviation_only_in_capitals() -> None:
    assert _alts("HU") == [(("hu",), ("huyện", "ủy"))]
    assert _alts("hu") == [(("hu",),)]  # 'hư', 'hủ'... typed without accents


def test_document_number_is_one_unit() -> None:
    pq = parse("Kế hoạch 123/KH-UBND")
    assert [u.kind for u in pq.units] == ["word", "word", "docnum"]
    assert pq.units[-1].alternatives == (("123/kh-ubnd",),)


def test_quotes_and_exclusions() -> None:
    pq = parse('"dân vận khéo" -xã')
    assert pq.units[0].kind == "phrase"
    assert pq.units[0].alternatives == (("dân", "vận", "khéo"),)
    assert pq.excluded == ("xã",)


@pytest.mark.parametrize(
    "q",
    ["title:x", "a*", "b?", '"', "(", "AND OR NOT", "~2", "^3", "\x00\x01", "", "   ", "-"],
    ids=[
        "field",
        "star",
        "question",
        "quote",
        "paren",
        "ops",
        "fuzzy",
        "boost",
        "ctrl",
        "empty",
        "spaces",
        "minus",
    ],
)
def test_whoosh_syntax_is_plain_text(q: str) -> None:
    pq = parse(q)
    plan(pq)  # never raises
    for u in pq.units:
        for alt in u.alternatives:
            assert all(tok.isalnum() or "/" in tok or "-" in tok for tok in alt)


def test_huge_query_is_bounded() -> None:
    pq = parse("dân vận " * 5000)
    assert 0 < len(pq.units) <= 24


def test_weights_are_a_value_passed_to_the_planner() -> None:
    from dataclasses import replace

    from search.weights import DEFAULT_WEIGHTS

    pq = parse("dân vận")
    default = {(f, t): w for f, t, w in plan(pq).scoring}
    heavier = replace(DEFAULT_WEIGHTS, title_bi=9.0)
    tuned = {(f, t): w for f, t, w in plan(pq, weights=heavier).scoring}
    assert default[("title_bi", "dân vận")] == DEFAULT_WEIGHTS.title_bi == 4.0
    assert tuned[("title_bi", "dân vận")] == 9.0
    assert {k: v for k, v in tuned.items() if k[0] != "title_bi"} == {
        k: v for k, v in default.items() if k[0] != "title_bi"
    }
    assert plan(pq) == plan(pq)  # and the default did not move


@pytest.mark.parametrize(
    ("q", "key", "words"),
    [
        ("224/QĐ", "224/qd", ("224/qđ",)),
        ("QĐ 224", "224/qd", ("qđ", "224")),
        ("qd 224", "224/qd", ("qd", "224")),
        ("quyết định 224", "224/qd", ("quyết", "định", "224")),
        ("nghi quyet 02", "2/nq", ("nghi", "quyet", "02")),
        ("số 224", "224", ("số", "224")),
        ("224", "224", ("224",)),
        ("12/2005", "12/2005", ("12", "2005")),
    ],
)
def test_partial_document_numbers_are_one_unit(q: str, key: str, words: tuple[str, ...]) -> None:
    pq = parse(q)
    assert [(u.kind, u.keys, u.alternatives) for u in pq.units] == [("docpart", (key,), (words,))]
    assert pq.runs == ()  # 'định 224' is not a phrase to rank by
    tiers = plan(pq).tiers
    assert tiers == (((((("num_part", key),),),),),)


def test_tiers_put_the_typed_phrase_first() -> None:
    tiers = plan(parse("dân vận")).tiers
    strict, folded = tiers
    # strict: each word as typed, and the pair adjacent as typed (body or title)
    assert (((("text_bi", "dân vận"), ("title_bi", "dân vận")),),) in strict
    assert (((("text_bi", "dân vận"), ("title_bi_f", "dan van")),),) in folded
    assert plan(parse("vận")).tiers == (((((("text", "vận"), ("title", "vận")),),),),)


def test_quoted_phrase_keeps_its_diacritics() -> None:
    units = plan(parse('"dân vận"')).units
    assert units == ((((("text_bi", "dân vận"), ("title_bi", "dân vận")),),),)
    # An abbreviation's own form is matched as written, never folded ('hu' is not 'hủ'); one
    # that is also a syllable only where written in capitals ('HU', not 'Hu'), its expansion
    # adjacent otherwise.
    units = plan(parse("HU")).units
    assert units == ((((("abbr_caps", "hu"),),), ((("text_bi", "huyện ủy"),),)),)
    units = plan(parse("UBND")).units
    assert ((("text", "ubnd"), ("title", "ubnd")),) in units[0]
    assert all(("text_f", "ubnd") not in part for alt in units[0] for part in alt)
    # The expansion typed never stands for a bare syllable either.
    units = plan(parse("đảng ủy")).units
    assert (((("abbr_caps", "đu"),),)) in units[0]
    assert not any(
        ("text", "đu") in part or ("text_f", "du") in part for alt in units[0] for part in alt
    )
