"""Markdown tables of a run's figures, the issues' acceptance checks, and examples of misses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bench.quality.corpus import Doc
from bench.quality.metrics import ShortScore
from bench.quality.queries import TYPES
from bench.quality.short import SHORT_SETS, ShortQuery

Long = dict[str, dict[str, tuple[float, float, int]]]
Short = dict[str, dict[str, ShortScore]]


def acceptance(res: Long) -> list[tuple[str, bool]]:
    """The issue's acceptance targets, checked on one split's figures."""
    t = res.get("tracuu")
    if not t:
        return []
    mrr = {k: v[0] for k, v in t.items()}
    rec = {k: v[1] for k, v in t.items()}
    out = []
    if "exact" in mrr:
        ex = mrr["exact"]
        if "no_diacritics" in mrr:
            out.append(
                (
                    f"no_diacritics MRR within 0.05 of exact ({ex:.3f})",
                    mrr["no_diacritics"] >= ex - 0.05,
                )
            )
        if "nfd" in mrr:
            out.append((f"nfd MRR within 0.01 of exact ({ex:.3f})", mrr["nfd"] >= ex - 0.01))
        if "tone_swap" in mrr:
            out.append(
                (f"tone_swap MRR within 10% of exact ({ex:.3f})", mrr["tone_swap"] >= 0.9 * ex)
            )
        others = [res[s]["exact"][0] for s in res if s != "tracuu" and "exact" in res[s]]
        if others:
            out.append((f"exact MRR ≥ best other ({max(others):.3f})", ex >= max(others)))
    if "abbrev" in mrr:
        out.append(("abbrev MRR ≥ 0.9", mrr["abbrev"] >= 0.9))
    if "docnum" in rec:
        out.append(("docnum recall@10 ≥ 0.97", rec["docnum"] >= 0.97))
    if "docnum_folded" in rec:
        out.append(("docnum_folded recall@10 ≥ 0.95", rec["docnum_folded"] >= 0.95))
    return out


def table(res: Long) -> str:
    systems = list(res)
    head = "| type | n | " + " | ".join(f"{s} MRR@10 | {s} R@10" for s in systems) + " |"
    sep = "|---|---:|" + "---:|---:|" * len(systems)
    rows = [head, sep]
    for t in TYPES:
        if not any(t in res[s] for s in systems):
            continue
        n = next(res[s][t][2] for s in systems if t in res[s])
        cells = []
        for s in systems:
            m, r, _ = res[s].get(t, (float("nan"), float("nan"), 0))
            cells.append(f"{m:.3f} | {r:.3f}")
        rows.append(f"| {t} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def short_table(res: Short, groups: Sequence[str] = SHORT_SETS) -> str:
    """One row per short set (or group): precision@10, first hit right, MRR@10 per system."""
    systems = list(res)
    head = "| set | n | " + " | ".join(f"{s} P@10 | {s} first | {s} MRR@10" for s in systems) + " |"
    rows = [head, "|---|---:|" + "---:|---:|---:|" * len(systems)]
    for g in groups:
        if not any(g in res[s] for s in systems):
            continue
        n = next(res[s][g].n for s in systems if g in res[s])
        cells = []
        for s in systems:
            r = res[s].get(g)
            cells.append(f"{r.precision:.3f} | {r.first:.3f} | {r.mrr:.3f}" if r else "– | – | –")
        rows.append(f"| {g} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def short_acceptance(res: Short) -> list[tuple[str, bool]]:
    """Issue 11's targets for tracuu's short-query figures on one split."""
    t = res.get("tracuu", {})
    targets = (
        ("short_exact", 0.95, 0.97),
        ("short_folded", 0.85, 0.90),
        ("short_abbrev", 0.90, 0.90),
        ("short_docnum", 0.90, 0.90),
    )
    out = []
    for name, p, f in targets:
        if name in t:
            r = t[name]
            out.append(
                (
                    f"{name}: P@10 ≥ {p:.2f} ({r.precision:.3f}), first hit ≥ {f:.2f} "
                    f"({r.first:.3f})",
                    r.precision >= p and r.first >= f,
                )
            )
    return out


def misses(
    queries: Sequence[ShortQuery],
    ranked: Mapping[str, list[str]],
    docs: Sequence[Doc],
    per_set: int,
) -> str:
    """Up to per_set queries of each set whose first hit is not relevant, with that hit's title."""
    titles = {d.id: d.title for d in docs}
    lines = []
    for s in SHORT_SETS:
        bad = [q for q in queries if q.type == s and (ranked.get(q.q) or [""])[0] not in q.relevant]
        if not bad or per_set <= 0:
            continue
        lines.append(f"- **{s}**: first hit not relevant for {len(bad)} queries, e.g.")
        for q in bad[:per_set]:
            top = ranked.get(q.q) or []
            first = f"“{titles.get(top[0], top[0])}”" if top else "no hit"
            found = sum(1 for d in top if d in set(q.relevant))
            lines.append(
                f"  - `{q.q}` ({q.kind}; {q.n_relevant} relevant, {found} in top 10): first {first}"
            )
    return "\n".join(lines)
