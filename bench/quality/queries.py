"""The original query sets: title fragments, abbreviation swaps and document numbers.

  exact          a title fragment of 3–6 consecutive syllables, typed as in the title
  no_diacritics  the same fragments without accents (đ→d)
  nfd            the same fragments in NFD
  tone_swap      fragments holding oa/oe/uy syllables, tone mark moved (hoà ↔ hòa, thuỷ ↔ thủy)
  tone_orig      the tone_swap fragments as written (the baseline tone_swap is compared with)
  abbrev         fragments holding an official abbreviation or its expansion, swapped to the
                 other form (UBND ↔ ủy ban nhân dân, TP.HCM ↔ thành phố hồ chí minh)
  docnum         document numbers found in bodies (12/2005/NĐ-CP, 123/QĐ-UB, 05-CT/TW) as written
  docnum_folded  the same, lower case without diacritics (12/2005/nd-cp)

Relevant documents: for title fragments every article whose title holds the fragment (after NFC,
one tone style and lower-casing; for abbrev either form); for document numbers every article whose
title or body holds the number (compared lower-case and folded). A fragment is a query only when
at most 3 titles hold it. The relevant ids are stored with each query.
"""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.quality.corpus import ROOT, Doc
from bench.quality.text import (
    LETTERS,
    WORD,
    canon,
    docnum_key,
    find_docnums,
    fold,
    norm_tokens,
    swap_tones,
    swappable,
)

QUERY_DIR = ROOT / "bench" / "queries"
ABBR_TSV = ROOT / "indexer" / "data" / "abbreviations.tsv"
SEED = 20240611
PER_TYPE = 300  # queries generated per type, half dev, half test
MAX_SHARE = 0.15  # at most this share of the abbrev queries swap one abbreviation
MAX_TITLES = 3  # a fragment held by more titles than this is not specific enough
TYPES = (
    "exact",
    "no_diacritics",
    "nfd",
    "tone_swap",
    "tone_orig",
    "abbrev",
    "docnum",
    "docnum_folded",
)


@dataclass
class Query:
    type: str
    split: str
    q: str
    target: str
    relevant: list[str]
    source: str = ""  # the text the query was made from (for the reader)


class TitleIndex:
    """Which titles hold a token sequence (normalized)."""

    def __init__(self, docs: Sequence[Doc]) -> None:
        self.ids = [d.id for d in docs]
        self.toks = [norm_tokens(d.title) for d in docs]
        self.by_tok: dict[str, set[int]] = defaultdict(set)
        for i, ts in enumerate(self.toks):
            for t in ts:
                self.by_tok[t].add(i)

    def holding(self, seq: tuple[str, ...]) -> list[str]:
        if not seq:
            return []
        cands = set.intersection(*(self.by_tok.get(t, set()) for t in seq))
        n = len(seq)
        return sorted(
            self.ids[i]
            for i in cands
            if any(self.toks[i][j : j + n] == seq for j in range(len(self.toks[i]) - n + 1))
        )


def _word_runs(title: str) -> list[list[re.Match[str]]]:
    """Runs of words separated by single spaces (no punctuation between them)."""
    runs: list[list[re.Match[str]]] = []
    cur: list[re.Match[str]] = []
    for m in WORD.finditer(title):
        if cur and title[cur[-1].end() : m.start()] != " ":
            runs.append(cur)
            cur = []
        cur.append(m)
    if cur:
        runs.append(cur)
    return runs


def _fragments(title: str, must: Callable[[str], bool] | None = None) -> list[tuple[int, int]]:
    """(start, end) of every 3–6 syllable fragment of letters-only words in one run."""
    out = []
    for run in _word_runs(title):
        words = [m for m in run]
        for i in range(len(words)):
            for n in range(3, 7):
                seg = words[i : i + n]
                if len(seg) < n or any(not LETTERS.fullmatch(m.group(0)) for m in seg):
                    continue
                if must is not None and not any(must(m.group(0)) for m in seg):
                    continue
                out.append((seg[0].start(), seg[-1].end()))
    return out


def _split(items: list[Query]) -> None:
    """Alternately dev and test."""
    for i, q in enumerate(items):
        q.split = "dev" if i % 2 == 0 else "test"


def _title_queries(
    docs: Sequence[Doc],
    tix: TitleIndex,
    rng: random.Random,
    must: Callable[[str], bool] | None,
    per_type: int,
) -> list[tuple[Doc, str, list[str]]]:
    order = list(docs)
    rng.shuffle(order)
    out: list[tuple[Doc, str, list[str]]] = []
    for d in order:
        frags = _fragments(d.title, must)
        if not frags:
            continue
        s, e = rng.choice(frags)
        frag = d.title[s:e]
        rel = tix.holding(norm_tokens(frag))
        if d.id not in rel or len(rel) > MAX_TITLES:
            continue
        out.append((d, frag, [d.id] + [r for r in rel if r != d.id]))
        if len(out) >= per_type:
            break
    return out


def read_abbreviations(path: Path = ABBR_TSV) -> list[tuple[str, list[str]]]:
    out = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        abbr, _, exp = line.partition("\t")
        out.append((abbr.strip(), [e.strip() for e in exp.split("|") if e.strip()]))
    return out


# Used in document numbers only, or (HCM) a person's name: not swapped from their expansion.
_NO_ABBREVIATING = {"HCM", "NQ", "NĐ", "TTg"}


def _abbrev_queries(
    docs: Sequence[Doc], tix: TitleIndex, rng: random.Random, per_type: int
) -> list[tuple[Doc, str, str, list[str]]]:
    entries = read_abbreviations()
    abbr_pats: list[tuple[re.Pattern[str], list[str]]] = []
    exp_to_abbrs: dict[str, list[str]] = defaultdict(list)
    for abbr, exps in sorted(entries, key=lambda e: -len(e[0])):
        body = re.escape(abbr).replace(r"\.", r"[. ]?") if "." in abbr else re.escape(abbr)
        if abbr == "TPHCM":
            body = r"TP ?HCM"
        abbr_pats.append((re.compile(rf"(?<![\w.\-/]){body}(?![\w\-/])"), exps))
        if abbr not in _NO_ABBREVIATING:
            for e in exps:
                exp_to_abbrs[canon(e)].append(abbr)
    exp_pats = [
        (re.compile(r"(?<!\w)" + r"\s".join(map(re.escape, e.split())) + r"(?!\w)"), e)
        for e in sorted(exp_to_abbrs, key=lambda e: -len(e))
    ]
    order = list(docs)
    rng.shuffle(order)
    out: list[tuple[Doc, str, str, list[str]]] = []
    per_group: dict[str, int] = defaultdict(int)  # no abbreviation takes over the set
    for d in order:
        title = d.title
        ct = canon(title)
        if len(ct) != len(title):
            continue
        occ: list[tuple[int, int, str]] = []  # start, end, replacement
        for pat, exps in abbr_pats:
            for m in pat.finditer(title):
                occ.append((m.start(), m.end(), rng.choice(exps)))
        for pat, e in exp_pats:
            for m in pat.finditer(ct):
                occ.append((m.start(), m.end(), rng.choice(exp_to_abbrs[e])))
        occ = [o for o in occ if not any(p != o and p[0] <= o[0] and o[1] <= p[1] for p in occ)]
        if not occ:
            continue
        s, e, repl = rng.choice(sorted(occ))
        group = canon(repl) if canon(repl) in exp_to_abbrs else canon(title[s:e])
        if per_group[group] >= per_type * MAX_SHARE:
            continue
        # Context: words next to the occurrence, in the same run, to 3–6 words in all.
        words = [m for m in WORD.finditer(title) if m.end() <= s or m.start() >= e]
        left = [m for m in words if m.end() <= s]
        right = [m for m in words if m.start() >= e]
        lctx: list[re.Match[str]] = []
        for m in reversed(left):
            nxt = lctx[0].start() if lctx else s
            if title[m.end() : nxt] != " ":
                break
            lctx.insert(0, m)
        rctx: list[re.Match[str]] = []
        for m in right:
            prv = rctx[-1].end() if rctx else e
            if title[prv : m.start()] != " ":
                break
            rctx.append(m)
        # Two to four words of context: 'QH có' alone is not a query anyone expects one answer to.
        want = rng.randint(2, 4)
        nl = rng.randint(0, min(want, len(lctx)))
        nr = min(want - nl, len(rctx))
        nl = min(len(lctx), want - nr)
        if nl + nr < 2:
            continue
        fs = lctx[len(lctx) - nl].start() if nl else s
        fe = rctx[nr - 1].end() if nr else e
        frag = title[fs:fe]
        swapped = title[fs:s] + repl + title[e:fe]
        rel = sorted(set(tix.holding(norm_tokens(frag))) | set(tix.holding(norm_tokens(swapped))))
        if d.id not in rel or len(rel) > MAX_TITLES:
            continue
        out.append((d, frag, swapped, [d.id] + [r for r in rel if r != d.id]))
        per_group[group] += 1
        if len(out) >= per_type:
            break
    return out


def generate(docs: Sequence[Doc], per_type: int = PER_TYPE) -> list[Query]:
    """The whole query set (both splits), deterministic for a given sample."""
    tix = TitleIndex(docs)
    queries: list[Query] = []

    rng = random.Random(SEED)
    frags = _title_queries(docs, tix, rng, None, per_type)
    for kind, tf in (
        ("exact", lambda s: s),
        ("no_diacritics", fold),
        ("nfd", lambda s: unicodedata.normalize("NFD", s)),
    ):
        qs = [Query(kind, "", tf(f), d.id, rel, f) for d, f, rel in frags]
        _split(qs)
        queries += qs

    rng = random.Random(SEED + 1)
    tone = _title_queries(docs, tix, rng, swappable, per_type)
    for kind, tf in (("tone_swap", swap_tones), ("tone_orig", lambda s: s)):
        qs = [Query(kind, "", tf(f), d.id, rel, f) for d, f, rel in tone]
        _split(qs)
        queries += qs

    rng = random.Random(SEED + 2)
    abbrev = _abbrev_queries(docs, tix, rng, per_type)
    qs = [Query("abbrev", "", sw, d.id, rel, f) for d, f, sw, rel in abbrev]
    _split(qs)
    queries += qs

    rng = random.Random(SEED + 3)
    holders: dict[str, list[str]] = defaultdict(list)
    written: dict[str, str] = {}
    for d in docs:
        for raw in find_docnums(d.title + "\n" + d.body):
            k = docnum_key(raw)
            if not holders[k] or holders[k][-1] != d.id:
                holders[k].append(d.id)
            written.setdefault(k, raw)
    keys = sorted(holders)
    rng.shuffle(keys)
    keys = keys[:per_type]
    for kind, tf in (("docnum", lambda s: s), ("docnum_folded", lambda s: fold(s).lower())):
        qs = [
            Query(kind, "", tf(written[k]), holders[k][0], sorted(set(holders[k])), written[k])
            for k in keys
        ]
        _split(qs)
        queries += qs
    return queries


def query_file(name: str, n_docs: int, suffix: str = "", folder: Path = QUERY_DIR) -> Path:
    """bench/queries/<corpus name>-<sample size><suffix>.jsonl"""
    return folder / f"{name}-{n_docs}{suffix}.jsonl"


def load_or_generate(docs: Sequence[Doc], chash: str, path: Path) -> list[Query]:
    """The stored queries when they were made from this sample, else new ones (stored)."""
    if path.exists():
        with open(path, encoding="utf-8") as f:
            meta = json.loads(f.readline())
            if meta.get("corpus") == chash and meta.get("seed") == SEED:
                return [Query(**json.loads(line)) for line in f if line.strip()]
        print(f"{path} was made from another sample: regenerating", file=sys.stderr)
    queries = generate(docs)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"corpus": chash, "seed": SEED, "docs": len(docs)}) + "\n")
        for q in queries:
            f.write(json.dumps(asdict(q), ensure_ascii=False) + "\n")
    return queries
