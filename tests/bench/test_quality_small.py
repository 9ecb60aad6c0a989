"""bench.quality on a tiny corpus: metrics, query generation and the three systems end to end."""

from __future__ import annotations

import unicodedata

import pytest

from bench.quality import metrics, queries, report, systems, text
from bench.quality.corpus import Doc
from bench.quality.queries import Query

DOCS = [
    Doc("a1", "UBND huyện Đông Anh họp bàn kế hoạch phòng chống lụt bão",
           "Chiều qua, Ủy ban nhân dân huyện họp. Thực hiện Nghị định 12/2005/NĐ-CP."),
    Doc("a2", "Thủy điện Hòa Bình xả lũ lần thứ hai trong năm",
           "Công ty thủy điện Hòa Bình thông báo mở thêm cửa xả đáy."),
    Doc("a3", "Hội nông dân tỉnh khen thưởng hội viên sản xuất giỏi",
           "Theo Quyết định 123/QĐ-UBND, hội viên được khen thưởng."),
    Doc("a4", "Giá xăng dầu tại TP HCM tăng nhẹ",
           "Giá xăng tăng từ hôm nay tại các cửa hàng ở thành phố Hồ Chí Minh."),
    Doc("a5", "Bóng đá Việt Nam thắng đậm Lào",
           "Đội tuyển thắng 5-0. Nghị định 12/2005/NĐ-CP không liên quan."),
    Doc("a6", "Sức khoẻ người cao tuổi mùa lạnh",
           "Người già cần giữ ấm, ăn uống đủ chất để khỏe mạnh."),
]


def test_metrics_on_a_hand_made_case() -> None:
    ranked = ["x", "y", "b", "a", "z"]
    assert metrics.reciprocal_rank(ranked, ["a", "b"]) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(ranked, ["q"]) == 0.0
    assert metrics.reciprocal_rank(["n"] * 10 + ["a"], ["a"]) == 0.0  # rank 11 is outside @10
    assert metrics.recall_at(ranked, ["a", "b", "c"]) == pytest.approx(2 / 3)
    assert metrics.recall_at([f"d{i}" for i in range(10)], [f"d{i}" for i in range(20)]) == 1.0
    queries = [
        Query("exact", "test", "q1", "a", ["a"]),  # rank 1 → 1
        Query("exact", "test", "q2", "b", ["b"]),  # rank 2 → 0.5
        Query("exact", "test", "q3", "c", ["c"]),  # missing → 0
        Query("docnum", "test", "q4", "a", ["a", "c"]),  # rank 1, recall 1/2
    ]
    runs = {"q1": ["a", "b"], "q2": ["a", "b"], "q3": ["a", "b"], "q4": ["a", "b"]}
    res = metrics.score(queries, runs.__getitem__)
    assert res["exact"] == pytest.approx((0.5, 2 / 3, 3))
    assert res["docnum"] == pytest.approx((1.0, 0.5, 1))


def test_text_helpers() -> None:
    assert text.fold("Đồng Hới hòa") == "Dong Hoi hoa"
    assert text.swap_tones("Thủy điện Hòa Bình") == "Thuỷ điện Hoà Bình"
    assert text.swap_tones("quý hoàn khuỷu") == "quý hoàn khuỷu"
    assert text.canon("Thuỷ điện HOÀ") == text.canon("thủy điện hòa")
    assert text.find_docnums("theo 12/2005/NĐ-CP và 05-CT/TW, 5-0, 3/4") == ["12/2005/NĐ-CP",
                                                                            "05-CT/TW"]
    assert text.docnum_key("12/2005/NĐ-CP") == text.docnum_key("12/2005/nd-cp")


def test_generation_is_deterministic_and_well_formed() -> None:
    one, two = queries.generate(DOCS, per_type=6), queries.generate(DOCS, per_type=6)
    assert one == two
    by_type = {t: [q for q in one if q.type == t] for t in queries.TYPES}
    for t in ("exact", "no_diacritics", "nfd", "tone_swap", "abbrev", "docnum"):
        assert by_type[t], t
    for e, f, n in zip(by_type["exact"], by_type["no_diacritics"], by_type["nfd"], strict=True):
        assert e.relevant[0] == e.target and e.q in next(d.title for d in DOCS if d.id == e.target)
        assert f.q == text.fold(e.q) and n.q == unicodedata.normalize("NFD", e.q)
    for q in by_type["tone_swap"]:
        assert q.q != q.source and text.canon(q.q) == text.canon(q.source)
    num = next(q for q in by_type["docnum"] if q.q == "12/2005/NĐ-CP")
    assert num.relevant == ["a1", "a5"]


def test_systems_end_to_end(tmp_path) -> None:  # type: ignore[no-untyped-def]
    queries = [
        Query("exact", "test", "thủy điện Hòa Bình xả lũ", "a2", ["a2"]),
        Query("tone_swap", "test", "thuỷ điện Hoà Bình xả lũ", "a2", ["a2"]),
        Query("no_diacritics", "test", "hoi nong dan tinh khen", "a3", ["a3"]),
        Query("docnum", "test", "12/2005/NĐ-CP", "a1", ["a1", "a5"]),
    ]
    results = {}
    for cls in (systems.TracuuSystem, systems.WhooshSystem, systems.TantivySystem):
        system = cls(DOCS, tmp_path)
        results[system.name] = metrics.score(queries, system.run)
        system.close()
        again = cls(DOCS, tmp_path)  # the second time the cached index is used
        again.close()
        assert again.index_seconds is None
    tr = results["tracuu"]
    assert tr["exact"][0] == 1.0 and tr["tone_swap"][0] == 1.0
    assert tr["no_diacritics"][0] == 1.0 and tr["docnum"][1] == 1.0
    assert results["whoosh"]["exact"][0] == 1.0
    assert results["whoosh"]["tone_swap"][0] == 0.0  # plain Whoosh has no tone rule
    assert "| exact | 1 |" in report.table(results)
    assert all(ok for _, ok in report.acceptance({"tracuu": tr}) if "docnum" in _)
