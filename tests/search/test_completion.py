"""Type-ahead (search.completion): what it remembers per generation never changes an answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from search import completion
from search.completion import Completer
from search.engine import Engine
from tests.conftest import build_data_dir

PREFIXES = ["ng", "thành ph", "ủy ban nh", "hội ng", "kinh t", "xã h", "tr", "dân v", "ubn",
            "huyện u", "UBND t", "cong an t", "việt", "123", "12/n", "thanh"]


@pytest.fixture(scope="module")
def engine(corpus_dir: Path) -> Iterator[Engine]:
    eng = Engine(corpus_dir)
    yield eng
    eng.close()


def test_followers_are_the_pairs_of_the_index_by_frequency(engine: Engine) -> None:
    gen = engine.generation()
    comp = gen.completer()
    for word in ("thành", "người", "công", "ủy"):
        scan = gen.view.terms("text_bi", f"{word} ")
        assert scan, word
        pairs = [(df, t.split(" ", 1)[1]) for t, df in scan]
        expect = sorted((df, w) for df, w in pairs if Completer.offerable(w, df))[::-1]
        assert comp.followers(word) == expect
        assert comp.followers(word) is comp.followers(word)  # read once, then remembered


def test_answers_alike_cold_warm_and_with_a_tiny_memory(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    vocab = engine.generation().vocabulary()
    warm = Completer(vocab)
    first = [warm.complete(p) for p in PREFIXES]
    assert sum(bool(f) for f in first) >= 10
    assert [warm.complete(p) for p in PREFIXES] == first
    monkeypatch.setattr(completion, "KEPT_PAIRS", 50)
    tiny = Completer(vocab)
    assert [tiny.complete(p) for p in PREFIXES] == first
    assert tiny._kept <= 50 or len(tiny._followers) == 1  # old words were let go


def test_words_by_frequency_within_a_prefix(engine: Engine) -> None:
    comp = engine.generation().completer()
    vocab = engine.generation().vocabulary()
    for prefix in ("ng", "th", "c"):
        found = comp._words(prefix, 3)
        ranked = sorted(((df, w) for w, df in vocab.folded_df.items() if w.startswith(prefix)),
                        reverse=True)
        assert found == [w for _, w in ranked[:3]]


def test_typos_of_the_portal_are_not_offered(tmp_path: Path) -> None:
    """'Ủy bannhân dân' and 'ƯBND' typed once by an editor are not completions; a name outside
    the syllable list that many articles hold ('Krông Nô') is."""
    lines = []
    for i in range(6):
        body = (f"Ủy ban nhân dân huyện Krông Nô họp phiên thứ {i}. UBND huyện chỉ đạo. "
                "Ủy ban kiểm tra làm việc.")
        lines.append({"id": f"a{i}", "title": f"Tin {i}", "body": body})
    lines.append({"id": "typo", "title": "Tin lỗi", "body": "Ủy bannhân dân và ƯBND huyện họp."})
    src = tmp_path / "a.jsonl"
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    eng = Engine(build_data_dir(tmp_path / "data", src))
    try:
        comp = eng.generation().completer()
        assert comp.complete("ủy b") and not any("bannhân" in c for c in comp.complete("ủy b"))
        assert "ủy ban" in comp.complete("ủy b")
        assert comp.complete("UBND h") == ["UBND huyện"]  # not 'ưbnd huyện'
        assert any(c.startswith("huyện krông") for c in comp.complete("huyện kr"))
    finally:
        eng.close()


def test_two_whole_words_go_on_as_the_archive_writes_them(tmp_path: Path) -> None:
    """'ủy ban' typed whole goes on with what follows it in the articles ('ủy ban nhân dân',
    'ủy ban kiểm tra'), not with the pairs of 'ban' ('ban hành' is the commonest here, 'ủy ban
    hành' no name); a name goes on as far as most articles agree ('huyện đắk song', not 'huyện
    đắk song thuê'); half of a name ('Đắk R'Lấp') and what one article alone says are not offered.
    """
    bodies = [
        "Ủy ban nhân dân huyện ban hành kế hoạch. Huyện Đắk Song thuê đất làm trường.",
        "Ủy ban nhân dân xã ban hành quyết định. Huyện Đắk Song triển khai.",
        "Ủy ban kiểm tra Huyện ủy ban hành thông báo. Huyện Đắk Song hướng dẫn.",
        "Ủy ban kiểm tra họp. Ủy ban nhân dân tỉnh ban hành chỉ thị. Huyện Đắk R'Lấp họp.",
        "Ban hành văn bản. Ủy ban bầu cử một lần. Huyện Đắk R'Lấp báo cáo. Huyện Đắk Song họp.",
        "Ban hành nghị quyết. Ban hành chỉ thị. Ban hành quy chế. Huyện Đắk Song thuê xe.",
        "Ban hành quy định mới. Huyện Đắk R'Lấp tổng kết. Bàn nhiều việc, bản nhạc như cũ.",
        "Bàn nhiều lần. Bản như vậy. Bàn nhiều hơn. Bản như trên.",
        "Ban nhạc trẻ biểu diễn. Ban nhạc hát. Ban nhạc về huyện. Ban nhạc lớn.",
        "Ban nhạc mới. Ban nhạc cũ. Ban nhạc hay.",
    ]
    lines = [{"id": f"a{i}", "title": f"Tin {i}", "body": b} for i, b in enumerate(bodies)]
    src = tmp_path / "a.jsonl"
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    eng = Engine(build_data_dir(tmp_path / "data", src))
    try:
        assert eng.generation().completer().followers("ban")[0][1] == "hành"
        found = eng.suggest("ủy ban")
        assert found[:2] == ["ủy ban nhân dân", "ủy ban kiểm tra"]
        assert not any("hành" in f or "bầu" in f for f in found)
        assert eng.suggest("uy ban ") == found  # unaccented, the last word ended by a space
        assert eng.suggest("Ủy ban") == ["Ủy" + f[2:] for f in found]  # as typed
        assert "ủy ban" in eng.suggest("uy ban")  # the typed words themselves come first
        assert eng.suggest("huyện đắk") == ["huyện đắk song"]
        assert eng.suggest("ủy ")[0] == "ủy ban"  # one whole word: its pairs
        # the second word as the first one wants it: 'ban' after 'ủy', not 'bàn' or 'bản'
        assert eng.generation().completer().followers("bàn")
        assert "nhạc" in [w for _, w in eng.generation().completer().followers("ban")[:3]]
        assert eng.suggest("uy ban nh") == ["uy ban nhân dân"]  # not 'uy ban nhạc'
    finally:
        eng.close()
