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
