"""bench.quality's short sets on a tiny corpus: the relevance rule on hand-made cases, the
generation of the four sets, their storage, and the command end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.quality import cli, metrics, short
from bench.quality.corpus import Doc
from bench.quality.probe import infer_forms
from bench.quality.relevance import DocNumber, Judge, parse_docnum
from bench.quality.text import fold

DOCS = [
    Doc(
        "d1",
        "Ban Dân vận huyện tổng kết năm",
        "Công tác dân vận của Huyện ủy được khen. UBND tỉnh khen thưởng Ban Dân vận.",
    ),
    Doc(
        "d2",
        "Đường sắt cấm vận gia cầm",
        "Dân vẫn phải dùng nước giếng. Người dân, vận động viên và khách đều lo.",
    ),
    Doc(
        "d3",
        "Huyện ủy họp bàn phòng chống lụt bão",
        "HU chỉ đạo phòng chống lụt bão theo Quyết định 224/QĐ-UBND của tỉnh.",
    ),
    Doc(
        "d4",
        "Xóa bỏ hủ tục trong ma chay",
        "Hủ tục còn nặng nề, nhà cửa hư hỏng. Gọi số 0224 3822 224 để báo.",
    ),
    Doc(
        "d5",
        "Ủy ban nhân dân tỉnh ban hành kế hoạch phòng chống lụt bão",
        "Kế hoạch 224/KH-UBND; Nghị định 12/2005/NĐ-CP về hòa bình và cấm vận.",
    ),
    Doc(
        "d6",
        "Chỉ thị 05-CT/HU về công tác vận động",
        "Nhân dân vận động nhau giữ gìn hoà bình. Văn bản 12/2006/NĐ-CP và 45/QĐ-UBND tỉnh.",
    ),
    Doc(
        "d7",
        "Dân vận khéo ở xã vùng cao",
        "Phong trào dân vận khéo lan rộng; Ban Dân vận Huyện uỷ tổng kết phòng chống lụt bão. "
        "UBND tỉnh biểu dương.",
    ),
    Doc(
        "d8",
        "Hội nghị kinh tế - xã hội của tỉnh",
        "Sở Giáo dục và Đào tạo, Sở LĐTBXH bàn kế hoạch; Bộ Lao động - Thương binh và Xã hội. "
        "HĐND TP.HCM họp.",
    ),
]

WORDS = """dân vận
Dân
vận
vẫn
cấm vận
huyện ủy
hủ tục
hủ
hư
hư hỏng
phòng chống
lụt bão
phòng chống lụt bão
ban dân vận
nhân dân
vận động
tổng kết
ma chay
gia cầm
hòa bình
tỉnh
có thể
sau đó
UBND
TP
"""


def held(forms: list[str]) -> list[str]:
    return Judge(DOCS).relevant(forms)


@pytest.mark.parametrize(
    ("forms", "expected"),
    [
        # Adjacent in one clause, any case; not dân vẫn; not across a comma ("Người dân, vận
        # động"). No word segmentation: "Nhân dân vận động" (d6) holds the two syllables.
        (["dân vận"], ["d1", "d6", "d7"]),
        (["dân vẫn"], ["d2"]),
        (["cấm vận"], ["d2", "d5"]),
        # One tone style: hoà = hòa; huyện uỷ = huyện ủy.
        (["hòa bình"], ["d5", "d6"]),
        (["huyện ủy"], ["d1", "d3", "d7"]),
        # An abbreviation as written, standing alone: 05-CT/HU and hủ tục do not hold HU.
        (["[HU]"], ["d3"]),
        (["[HU]", "huyện ủy"], ["d1", "d3", "d7"]),
        # 45/QĐ-UBND tỉnh does not hold "UBND tỉnh"; the expansion does.
        (["[UBND] tỉnh"], ["d1", "d7"]),
        (["[UBND] tỉnh", "ủy ban nhân dân tỉnh"], ["d1", "d5", "d7"]),
        # Document numbers: number, type and year; a phone number is not one.
        (["#224"], ["d3", "d5"]),
        (["#224 qd"], ["d3"]),
        (["#12/2005"], ["d5"]),
        (["#12 nd"], ["d5", "d6"]),
        (["#5 ct"], ["d6"]),
    ],
    ids=lambda v: ",".join(v),
)
def test_relevance_rule_on_hand_made_cases(forms: list[str], expected: list[str]) -> None:
    assert held(forms) == expected


@pytest.mark.parametrize(
    ("abbrs", "expansion"),
    [
        (["KTXH", "KT-XH"], "kinh tế xã hội"),
        (["GD-ĐT"], "giáo dục đào tạo"),
        (["LĐ-TB&XH"], "lao động thương binh xã hội"),
    ],
    ids=lambda v: v if isinstance(v, str) else ",".join(v),
)
def test_hyphenated_abbreviations_match_their_names_written_out(
    abbrs: list[str], expansion: str
) -> None:
    # kinh tế - xã hội, Giáo dục và Đào tạo, LĐTBXH, Lao động - Thương binh và Xã hội
    assert held(short.abbrev_forms(abbrs, [expansion])) == ["d8"]
    assert held([f"[{a}]" for a in abbrs] + [expansion]) == []  # as listed: not enough


def test_a_context_word_that_is_an_expansion_counts_abbreviated() -> None:
    hdnd = short.abbrev_forms(["HĐND"], ["hội đồng nhân dân"])
    assert held(short.with_words(hdnd, "thành phố")) == ["d8"]  # HĐND TP.HCM
    assert held([f"{f} thành phố" for f in hdnd]) == []


def test_document_numbers_parse_into_number_year_and_type() -> None:
    assert parse_docnum("12/2005/NĐ-CP") == DocNumber(12, 2005, "nd")
    assert parse_docnum("224/QĐ-UBND") == DocNumber(224, None, "qd")
    assert parse_docnum("05-CT/HU") == DocNumber(5, None, "ct")
    assert parse_docnum("35/2005/QH11") == DocNumber(35, 2005, "qh")


def test_precision_counts_against_the_relevant_there_are() -> None:
    ranked = ["a", "x", "b", "y"]
    assert metrics.precision_at(ranked, ["a", "b", "c"]) == pytest.approx(2 / 3)
    assert metrics.precision_at(ranked, ["a", "b"]) == 1.0  # two relevant, both in the top 10
    many = [f"r{i}" for i in range(30)]
    assert metrics.precision_at([*many[:7], "x", "y", "z"], many) == pytest.approx(0.7)
    assert metrics.precision_at(["x"] * 10 + ["a"], ["a"]) == 0.0  # rank 11 is outside
    assert metrics.first_hit_right(ranked, ["a"]) == 1.0
    assert metrics.first_hit_right(ranked, ["b"]) == 0.0
    assert metrics.first_hit_right([], ["b"]) == 0.0


@pytest.fixture
def lexicon(tmp_path: Path) -> Path:
    folder = tmp_path / "vi-lexicon"
    (folder / "wordlist").mkdir(parents=True)
    (folder / short.WORDLIST).write_text(WORDS, encoding="utf-8")
    return folder


def test_word_list_keeps_words_not_abbreviations(lexicon: Path) -> None:
    words = short.read_wordlist(lexicon)
    assert {"dân vận", "dân", "huyện ủy", "ban dân vận"} <= words
    assert "phòng chống lụt bão" not in words  # four syllables: not a short query
    assert "ubnd" not in words and "tp" not in words
    assert short.is_content("dân vận") and short.is_content("vận")
    assert not short.is_content("có thể") and not short.is_content("sau đó")


def test_generated_sets_follow_the_rule(lexicon: Path) -> None:
    words = short.read_wordlist(lexicon)
    one = short.generate_short(DOCS, words)
    assert one == short.generate_short(DOCS, words)  # fixed seed
    by = {s: [q for q in one if q.type == s] for s in short.SHORT_SETS}
    assert all(by.values()), {s: len(v) for s, v in by.items()}
    assert {q.split for q in one} == {"dev", "test"}
    assert all(q.n_relevant == len(q.relevant) > 0 for q in one)

    exact = {q.q: q for q in by["short_exact"]}
    folded = {q.q: q for q in by["short_folded"]}
    assert len(exact) == len(folded)
    for e, f in zip(by["short_exact"], by["short_folded"], strict=True):
        assert e.q in words and short.is_content(e.q) and fold(e.q) != e.q  # not "ma chay"
        assert f.q == fold(e.q) and f.split == e.split and e.q in f.accept
        assert all(fold(a) == f.q and a in words for a in f.accept)
    # dan van: dân vận is meant; the article with only "dân vẫn" is not relevant.
    assert folded["dan van"].relevant == ["d1", "d6", "d7"]
    assert exact["dân vận"].relevant == ["d1", "d6", "d7"]

    abbrev = {q.q: q for q in by["short_abbrev"]}
    assert abbrev["UBND"].relevant == abbrev["ubnd"].relevant
    assert "hu" not in abbrev  # hư, hủ: a syllable, so HU is only typed in capitals
    assert abbrev["huyện ủy"].relevant == abbrev["HU"].relevant == ["d1", "d3", "d7"]
    assert abbrev["UBND tỉnh"].relevant == ["d1", "d5", "d7"]  # tỉnh follows UBND twice
    assert len({q.split for q in by["short_abbrev"] if q.source == "HU"}) == 1

    for q in by["short_docnum"]:  # the article the number came from is always relevant
        assert next(d.id for d in DOCS if q.source in d.title + "\n" + d.body) in q.relevant
        assert q.relevant == held(q.accept)
    kinds = {q.kind for q in by["short_docnum"]}
    assert {"N", "số N"} & kinds and {"N/T", "T N", "name N", "N/Y"} & kinds


def test_stored_sets_are_reloaded_and_checked(lexicon: Path, tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    made = short.load_or_generate_short(DOCS, "h1", path, lexicon)
    again = short.load_or_generate_short(DOCS, "h1", path, tmp_path / "no-lexicon")
    assert again == made and [q.relevant for q in again] == [q.relevant for q in made]
    rows = path.read_text("utf-8").splitlines()
    assert "relevant" not in json.loads(rows[1])  # ids are recomputed, not stored
    row = json.loads(rows[1])
    row["n_relevant"] += 1
    path.write_text("\n".join([rows[0], json.dumps(row), *rows[2:]]) + "\n", encoding="utf-8")
    with pytest.raises(short.StaleQueries):
        short.load_or_generate_short(DOCS, "h1", path, lexicon)
    with pytest.raises(FileNotFoundError):  # another sample needs the word list again
        short.load_or_generate_short(DOCS, "h2", path, tmp_path / "no-lexicon")


@pytest.mark.parametrize(
    ("text", "rule", "forms"),
    [
        ("224/QĐ", "short_docnum", ["#224 qd"]),
        ("QĐ 224", "short_docnum", ["#224 qd"]),
        ("quyet dinh 224", "short_docnum", ["#224 qd"]),
        ("số 224", "short_docnum", ["#224"]),
        ("224", "short_docnum", ["#224"]),
        ("12/2005", "short_docnum", ["#12/2005"]),
        ("UBND tỉnh", "short_abbrev", ["[UBND] tỉnh", "ủy ban nhân dân tỉnh"]),
        ('"dân vận"', "short_exact", ["dân vận"]),
        ("dan van", "short_folded", ["dân vận"]),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_probe_infers_the_rule(text: str, rule: str, forms: list[str], lexicon: Path) -> None:
    assert infer_forms(text, short.read_wordlist(lexicon)) == (rule, forms)


def test_command_end_to_end(lexicon: Path, tmp_path: Path) -> None:
    data = tmp_path / "tiny.jsonl"
    data.write_text(
        "\n".join(json.dumps({"id": d.id, "title": d.title, "body": d.body}) for d in DOCS),
        encoding="utf-8",
    )
    out = tmp_path / "out.md"
    argv = [
        "--data",
        str(data),
        "--docs",
        "7",
        "--lexicon",
        str(lexicon),
        "--sets",
        "short",
        "--systems",
        "tracuu",
        "--cache",
        str(tmp_path / "cache"),
        "--queries",
        str(tmp_path / "queries"),
        "--out",
        str(out),
        "--split",
        "dev",
    ]
    assert cli.main(argv) == 0
    assert (tmp_path / "queries" / "tiny-7-short.jsonl").exists()
    md = out.read_text("utf-8")
    for s in short.SHORT_SETS:
        row = next(line for line in md.splitlines() if line.startswith(f"| {s} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert int(cells[1]) > 0 and all(0.0 <= float(c) <= 1.0 for c in cells[2:5])
