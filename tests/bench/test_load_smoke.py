"""bench.load end to end, tiny: the real server (2 workers), every phase, every kind, no error.

Keeps the benchmark from rotting; asserts no timings (the machine is shared).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import load
from bench.load_mix import KINDS, build_mix, fold

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "tests" / "fixtures" / "articles.jsonl"


def test_mix_is_seeded_and_holds_every_kind() -> None:
    hits = [{"id": "https://xa.gov.vn/a", "title": "Kế hoạch 123/KH-UBND về chuyển đổi số",
             "site": "Đắk Song", "published": "2021-06-24T08:30:00"}]
    mix = build_mix(hits, ["Ủy ban nhân dân huyện " * 20], 2000, seed=7)
    assert mix == build_mix(hits, ["Ủy ban nhân dân huyện " * 20], 2000, seed=7)
    assert {r.kind for r in mix} == set(KINDS)
    assert any("123%2FKH-UBND" in r.path for r in mix if r.kind == "docnum")
    assert all(r.path.startswith(("/api/", "/search?")) for r in mix)
    assert fold("Đắk Song huyện ủy") == "Dak Song huyen uy"


def _rows(md: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")]
            for line in md.splitlines() if re.match(r"\| (yes|no) \|", line)]


def test_load_runs_every_phase_without_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "load.md"
    argv = ["--source", str(ARTICLES), "--seconds", "1", "--concurrency", "1,4",
            "--batch", "10", "--out", str(out)]
    assert load.main(argv) == 0
    md = out.read_text(encoding="utf-8")
    assert md in capsys.readouterr().out
    rows = _rows(md)
    assert [(r[0], r[1]) for r in rows] == [("no", "1"), ("no", "4"), ("yes", "1"), ("yes", "4")]
    for row in rows:
        assert int(row[2].replace(",", "")) > 0, row  # requests answered
        assert float(row[8].replace(",", "")) > 0, row  # longest silence measured
        assert row[9] == "0", row  # errors
        assert re.fullmatch(r"\d+ → \d+ → \d+", row[10]), row  # RSS sampled
    for kind in KINDS:
        assert f"| {kind} |" in md
    # the concurrent import ran and every run succeeded (no lock conflict with the server)
    runs = re.findall(r"- c=\d: (\d+) runs, [\d,]+ articles imported, .* exit codes \{0: (\d+)\}",
                      md)
    assert len(runs) == 2 and all(n == ok and int(n) >= 1 for n, ok in runs), md


def test_missing_source_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert load.main(["--source", str(tmp_path / "absent.jsonl.gz")]) == 2
    assert "no articles" in capsys.readouterr().err
