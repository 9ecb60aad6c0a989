"""Type-ahead (search.completion): what it remembers per generation never changes an answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from search import completion
from search.completion import Completer
from search.engine import Engine

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
        expect = sorted(((df, t.split(" ", 1)[1]) for t, df in scan), reverse=True)
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
