"""Short-query sets: what visitors type — one to three syllables, abbreviations, partial numbers.

  short_exact   a word of 1–3 syllables carrying diacritics, typed lower case: a word of the
                Viet74K word list that the sample holds as a phrase, not made only of function
                syllables (FUNCTION); drawn with a fixed seed, 50/175/75 of 1/2/3 syllables, each
                spread evenly over how many articles hold it (1–9, 10–99, 100+; a single
                syllable 10+: rarer ones are mostly pieces of longer words)
  short_folded  the same words typed without diacritics (đ→d)
  short_abbrev  official abbreviations (indexer/data/abbreviations.tsv) as written (UBND, KT-XH),
                lower case without diacritics where that is not also a syllable (ubnd, hdnd; not
                hu), with the word that most often follows them in the corpus (UBND tỉnh), and
                their expansions of at most 3 syllables (huyện ủy)
  short_docnum  partial document numbers built from the numbers the sample holds: 224/QĐ, QĐ 224,
                quyết định 224, 224/qd, qd 224, quyet dinh 224, số 224, 224, 12/2005

Relevance (bench.quality.relevance states the matching precisely):
  short_exact   the article holds the typed word as a phrase (adjacent syllables in one clause),
                with the diacritics typed (hòa = hoà);
  short_folded  the article holds, as a phrase, some accenting of the typed syllables that is a
                word of the word list and not made only of function syllables: `dan van` accepts
                dân vận (and any other such word folding to it), not dân vẫn (not a word);
  short_abbrev  the article holds the query with the abbreviation replaced by any of its written
                forms (case-sensitive, standing alone: 45/QĐ-UBND does not hold UBND, HU is not
                hu; also without dots and hyphens: KTXH) or by any of its expansions (also with
                its parts written out: kinh tế - xã hội), the context word following in the same
                clause (itself abbreviated if it is an expansion: thành phố = TP);
                an expansion query accepts the abbreviation the same way (huyện ủy ⇐ HU);
  short_docnum  the article holds a full document number with that number (as an integer) and,
                when the query names them, that type (QĐ ⇐ QĐ / quyết định / qd) and that year.

The word list (Viet74K, GPL-2.0, in ../shared/data/vi-lexicon) is read only when the sets are
generated; the accepted forms are stored with each query, so scoring needs no word list. Splits:
exact/folded alternately within each (syllables, frequency) bucket, the same word in the same
split; abbreviations and document numbers alternately by abbreviation and by number (all queries
made from one in the same split).
"""

from __future__ import annotations

import itertools
import json
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.quality.corpus import ROOT, Doc
from bench.quality.queries import read_abbreviations
from bench.quality.relevance import DocNumber, Judge, form_regex, parse_docnum
from bench.quality.text import LETTERS, canon, find_docnums, fold, has_diacritics

SHORT_SETS = ("short_exact", "short_folded", "short_abbrev", "short_docnum")
SHORT_SEED = 20250611
SHORT_VERSION = 1  # bump when the generation or the relevance rule changes
DEFAULT_LEXICON = ROOT.parent / "shared" / "data" / "vi-lexicon"
WORDLIST = "wordlist/Viet74K.txt"
PER_SET = 300  # short_exact and short_folded; the other two take what the corpus offers
SYLLABLE_MIX = {1: 50, 2: 175, 3: 75}  # of PER_SET
BANDS = ((1, 9), (10, 99), (100, 10**9))  # articles holding the word
MAX_DOCNUM = 300

# Vietnamese function syllables (pronouns, demonstratives, prepositions, conjunctions, auxiliaries,
# quantifiers, classifiers, particles). A word made only of these (có thể, sau đó, của ông) is not
# a search word; a word holding one beside a content syllable (con người, ra đời) is.
_FUNCTION_WORDS = """
    tôi tao tớ ta mình chúng họ nó hắn ai ông bà anh chị em cô chú bác cậu mày
    này kia ấy đó đây nọ vậy thế sao gì nào đâu bao
    của cho với trong ngoài trên dưới tại ở từ đến tới về vào ra lên xuống qua theo bằng do bởi
    vì để giữa sau trước cạnh bên
    và hay hoặc nhưng mà thì là nếu tuy dù song nên rằng còn cả lẫn
    đã đang sẽ vừa mới sắp từng vẫn cũng đều chỉ lại rồi nữa luôn hãy đừng chớ chưa không chẳng
    chả có được bị phải cần rất quá lắm hơn nhất khá càng
    các những mọi mỗi một vài mấy nhiều ít cái con chiếc sự việc cuộc
    khi lúc như nhau đi thể
    à ạ ư nhé nhỉ chứ đấy thôi ơi
"""
FUNCTION = frozenset(_FUNCTION_WORDS.split())

# Document-type codes and their names (the first letter code of a number: 224/QĐ-UBND).
DOC_TYPES = {
    "QĐ": "quyết định",
    "NĐ": "nghị định",
    "NQ": "nghị quyết",
    "CT": "chỉ thị",
    "TT": "thông tư",
    "TTLT": "thông tư liên tịch",
    "TB": "thông báo",
    "KH": "kế hoạch",
    "CV": "công văn",
    "HD": "hướng dẫn",
    "BC": "báo cáo",
    "TTr": "tờ trình",
}
# Abbreviations used only inside document numbers: they get no short_abbrev queries.
DOCNUM_ONLY = {"NQ", "NĐ", "TTg"}

_CLAUSE = re.compile(r"[^\W_]+(?: [^\W_]+)*")
_NEXT_WORDS = re.compile(r" ([^\W_]+)(?: ([^\W_]+))?")


@dataclass
class ShortQuery:
    """One short query: its set, split, text and accepted forms (see bench.quality.relevance)."""

    type: str
    split: str
    q: str
    accept: list[str]
    kind: str = ""  # the shape within its set: "2 syllables", "lower case", "T N" ...
    n_relevant: int = 0
    source: str = ""  # what the query was made from (for the reader)
    relevant: list[str] = field(default_factory=list, compare=False)  # filled by judging


def is_content(word: str) -> bool:
    """A word that could be a search: not only function syllables; one syllable ≥ 2 letters."""
    sylls = word.split()
    if len(sylls) == 1 and len(sylls[0]) < 2:
        return False
    return not all(s in FUNCTION for s in sylls)


def read_wordlist(lexicon: Path) -> set[str]:
    """Words of 1–3 letter-only syllables from the word list (not its abbreviations), canonical
    (lower case, one tone style)."""
    path = lexicon / WORDLIST
    if not path.exists():
        raise FileNotFoundError(f"word list not found: {path} (pass --lexicon DIR)")
    words = set()
    for line in path.read_text("utf-8").splitlines():
        if line.strip().isupper():  # UBND, TP, RAM: abbreviations, not words
            continue
        w = " ".join(canon(line).split())
        sylls = w.split()
        if 1 <= len(sylls) <= 3 and all(LETTERS.fullmatch(s) for s in sylls):
            words.add(w)
    return words


def word_frequencies(judge: Judge, words: set[str]) -> Counter[str]:
    """How many articles hold each word as a phrase (adjacent syllables in one clause)."""
    df: Counter[str] = Counter()
    for text in judge.lower:
        seen = set()
        for m in _CLAUSE.finditer(text):
            ws = m.group(0).split(" ")
            for i in range(len(ws)):
                gram = ws[i]
                for n in range(3):
                    if n:
                        if i + n >= len(ws):
                            break
                        gram += " " + ws[i + n]
                    if gram in words:
                        seen.add(gram)
        df.update(seen)
    return df


def _word_queries(
    df: Counter[str], rng: random.Random, per_set: int
) -> list[tuple[ShortQuery, ShortQuery]]:
    """(exact, folded) pairs of queries, split alternately within each bucket."""
    accentings: dict[str, list[str]] = defaultdict(list)
    for w in sorted(df):
        if is_content(w):
            accentings[fold(w)].append(w)
    out: list[tuple[ShortQuery, ShortQuery]] = []
    taken: set[str] = set()
    for n_syll, share in SYLLABLE_MIX.items():
        want = round(share * per_set / PER_SET)
        # A syllable that few articles hold is mostly a piece of a longer word (rấm of rấm rứt).
        bands = BANDS[1:] if n_syll == 1 else BANDS
        for b, (lo, hi) in enumerate(bands):
            quota = want // len(bands) + (1 if b < want % len(bands) else 0)
            bucket = [
                w
                for w in sorted(df)
                if len(w.split()) == n_syll
                and lo <= df[w] <= hi
                and is_content(w)
                and has_diacritics(w)
            ]
            rng.shuffle(bucket)
            got = 0
            for w in bucket:
                if got >= quota:
                    break
                key = fold(w)
                if key in taken:
                    continue
                taken.add(key)
                split = "dev" if got % 2 == 0 else "test"
                got += 1
                kind = f"{n_syll} syllable" + ("s" if n_syll > 1 else "")
                out.append(
                    (
                        ShortQuery("short_exact", split, w, [w], kind, source=f"{df[w]} articles"),
                        ShortQuery("short_folded", split, key, accentings[key], kind, source=w),
                    )
                )
    return out


def _abbrev_groups() -> list[tuple[list[str], list[str]]]:
    """(abbreviations, expansions) sharing an expansion, in the table's order."""
    groups: list[tuple[list[str], list[str]]] = []
    for abbr, exps in read_abbreviations():
        if abbr in DOCNUM_ONLY:
            continue
        for abbrs, gexps in groups:
            if set(gexps) & set(exps):
                abbrs.append(abbr)
                gexps.extend(e for e in exps if e not in gexps)
                break
        else:
            groups.append(([abbr], list(exps)))
    return groups


# How the parts of a hyphenated name are written out in full: KT-XH is "kinh tế - xã hội",
# GD-ĐT "giáo dục và đào tạo", LĐ-TB&XH "lao động - thương binh và xã hội".
_JOINERS = {"-": (" ", " - ", " – ", "-", " và "), "&": (" ", " và ", " & ")}


def _expansion_forms(abbrs: Sequence[str], expansion: str) -> list[str]:
    """An expansion as listed, and, where an abbreviation of it has parts (KT-XH), with the parts
    joined as they are written out (one syllable per letter of each part)."""
    sylls = canon(expansion).split()
    forms = [" ".join(sylls)]
    for a in abbrs:
        parts = re.split(r"([\-&])", a)
        letters, seps = parts[::2], parts[1::2]
        if not seps or sum(len(p) for p in letters) != len(sylls):
            continue
        chunks, at = [], 0
        for p in letters:
            chunks.append(" ".join(sylls[at : at + len(p)]))
            at += len(p)
        for joins in itertools.product(*(_JOINERS[s] for s in seps)):
            form = chunks[0] + "".join(j + c for j, c in zip(joins, chunks[1:], strict=True))
            if form not in forms:
                forms.append(form)
    return forms


def abbrev_forms(abbrs: Sequence[str], exps: Iterable[str]) -> list[str]:
    """The accepted forms of one abbreviation slot: each abbreviation as written, also without
    its dots, hyphens and ampersands (TP.HCM: TP HCM, TPHCM; LĐ-TB&XH: LĐTBXH), and each
    expansion (with its parts joined as written out: kinh tế - xã hội)."""
    forms: list[str] = []
    for a in abbrs:
        for v in (a, a.replace(".", " "), re.sub(r"[.\-&]", "", a)):
            if f"[{v}]" not in forms:
                forms.append(f"[{v}]")
    for e in exps:
        forms += [f for f in _expansion_forms(abbrs, e) if f not in forms]
    return forms


def with_words(slot: Sequence[str], words: str) -> list[str]:
    """Forms of an abbreviation slot followed by words; words that are themselves an expansion
    also count abbreviated (HĐND thành phố: HĐND TP, Hội đồng nhân dân TP.HCM)."""
    tails = [words]
    for abbrs, exps in _abbrev_groups():
        if words in (canon(e) for e in exps):
            tails += [f for f in abbrev_forms(abbrs, exps) if f not in tails]
    return [f"{s} {t}" for s in slot for t in tails]


def _abbrev_queries(judge: Judge, words: set[str]) -> list[tuple[int, ShortQuery]]:
    """(group number, query) for every abbreviation group."""
    syllables = {fold(w) for w in words if " " not in w}
    out: list[tuple[int, ShortQuery]] = []
    for g, (abbrs, exps) in enumerate(_abbrev_groups()):
        slot = abbrev_forms(abbrs, exps)
        written = [f for f in slot if f.startswith("[")]
        qs = [ShortQuery("short_abbrev", "", a, slot, "as written", source=a) for a in abbrs]
        low = fold(abbrs[0]).lower()
        if LETTERS.fullmatch(low) and low not in syllables:
            qs.append(ShortQuery("short_abbrev", "", low, slot, "lower case", source=abbrs[0]))
        for e in exps:
            if len(e.split()) <= 3:
                qs.append(
                    ShortQuery("short_abbrev", "", canon(e), slot, "expansion", source=abbrs[0])
                )
        # The word that most often follows the abbreviation as written (UBND tỉnh, BCH trung ương).
        # Counted once per article; a capitalised word only as a two-syllable name (TP Hà Nội,
        # not THCS Phú or GD-ĐT Bành: pieces of names).
        nxt: Counter[str] = Counter()
        for form in written:
            pat, lit = form_regex(form), form[1:-1]
            for text in judge.texts:
                if lit not in text:
                    continue
                seen = set()
                for m in pat.finditer(text):
                    w = _NEXT_WORDS.match(text, m.end())
                    if not w:
                        continue
                    two = canon(f"{w.group(1)} {w.group(2)}") if w.group(2) else ""
                    one = canon(w.group(1)) if w.group(1).islower() else ""
                    ctx = two if two in words and is_content(two) else one
                    if ctx in words and is_content(ctx):
                        seen.add(ctx)
                nxt.update(seen)
        for ctx, n in nxt.most_common(2):
            if n < 2:
                break
            qs.append(
                ShortQuery(
                    "short_abbrev",
                    "",
                    f"{abbrs[0]} {ctx}",
                    with_words(slot, ctx),
                    "with a word",
                    source=f"after {abbrs[0]} in {n} articles",
                )
            )
        out += [(g, q) for q in qs]
    return out


def _docnum_queries(docs: Sequence[Doc], rng: random.Random) -> list[ShortQuery]:
    """Two partial forms of each document number the sample holds (the forms taken in turn),
    split alternately by number."""
    by_parts: dict[DocNumber, str] = {}  # 12/2005/NĐ-CP and 12/2005/ND-CP are one number
    for raw in sorted({raw for d in docs for raw in find_docnums(d.title + "\n" + d.body)}):
        by_parts.setdefault(parse_docnum(raw), raw)
    raws = sorted(by_parts.values())
    rng.shuffle(raws)
    types = {fold(t).lower(): t for t in DOC_TYPES}
    turn = n_split = 0
    out: list[ShortQuery] = []
    seen: set[str] = set()
    for raw in raws:
        n = parse_docnum(raw)
        num = raw[: len(raw) - len(raw.lstrip("0123456789"))]  # as written: 05, 224
        t = types.get(n.type)
        typed = f"#{n.number} {n.type}"
        forms: list[tuple[str, str, str]] = []  # (kind, query, accepted form)
        if t:
            name, low = DOC_TYPES[t], fold(t).lower()
            if n.year:
                forms.append(("N/Y", f"{num}/{n.year}", f"#{n.number}/{n.year}"))
            else:
                forms.append(("N/T", f"{num}/{t}", typed))
            forms += [("T N", f"{t} {num}", typed), ("name N", f"{name} {num}", typed)]
            if n.year:
                forms.append(("name N, no diacritics", f"{fold(name)} {num}", typed))
            else:
                forms.append(("N/T, no diacritics", f"{num}/{low}", typed))
            forms.append(("T N, no diacritics", f"{low} {num}", typed))
        forms.append(("số N", f"số {num}", f"#{n.number}"))
        if len(num.lstrip("0")) >= 2:
            forms.append(("N", num, f"#{n.number}"))
        split = "dev" if n_split % 2 == 0 else "test"  # both forms of a number in one split
        made = 0
        for _ in range(2):
            kind, q, form = forms[turn % len(forms)]
            turn += 1
            if q in seen:
                continue
            seen.add(q)
            made += 1
            out.append(ShortQuery("short_docnum", split, q, [form], kind, source=raw))
        n_split += made > 0
        if len(out) >= MAX_DOCNUM:
            break
    return out


def generate_short(
    docs: Sequence[Doc], words: set[str], judge: Judge | None = None, per_set: int = PER_SET
) -> list[ShortQuery]:
    """The four short sets (both splits), judged; deterministic for a given sample and list."""
    judge = judge or Judge(docs)
    df = word_frequencies(judge, words)
    queries: list[ShortQuery] = []
    pairs = _word_queries(df, random.Random(SHORT_SEED), per_set)
    queries += [e for e, _ in pairs] + [f for _, f in pairs]

    grouped = _abbrev_queries(judge, words)
    judge_all(judge, [q for _, q in grouped])
    live = sorted({g for g, q in grouped if q.n_relevant})
    random.Random(SHORT_SEED + 2).shuffle(live)
    split_of = {g: ("dev" if i % 2 == 0 else "test") for i, g in enumerate(live)}
    for g, q in grouped:
        if q.n_relevant:
            q.split = split_of[g]
            queries.append(q)

    queries += _docnum_queries(docs, random.Random(SHORT_SEED + 3))
    judge_all(judge, queries)
    return queries


def judge_all(judge: Judge, queries: Sequence[ShortQuery]) -> None:
    """Fill each query's relevant ids (and n_relevant) by the relevance rule."""
    judge.index(f for q in queries for f in q.accept)
    for q in queries:
        q.relevant = judge.relevant(q.accept)
        q.n_relevant = len(q.relevant)


class StaleQueries(Exception):
    """The stored relevance counts differ from the rule's: the rule changed without a version."""


def load_or_generate_short(
    docs: Sequence[Doc], chash: str, path: Path, lexicon: Path
) -> list[ShortQuery]:
    """The stored short sets, judged, when they were made from this sample by this version;
    otherwise new ones from the word list (stored)."""
    judge = Judge(docs)
    if path.exists():
        with open(path, encoding="utf-8") as f:
            meta = json.loads(f.readline())
            if meta == _meta(chash, len(docs)):
                queries = [ShortQuery(**json.loads(line)) for line in f if line.strip()]
                stored = [q.n_relevant for q in queries]
                judge_all(judge, queries)
                moved = [q.q for q, n in zip(queries, stored, strict=True) if n != q.n_relevant]
                if moved:
                    raise StaleQueries(
                        f"{len(moved)} relevance counts differ from {path} (e.g. {moved[:3]}): "
                        "bump SHORT_VERSION in bench/quality/short.py to regenerate"
                    )
                return queries
        print(f"{path} was made from another sample or version: regenerating", file=sys.stderr)
    queries = generate_short(docs, read_wordlist(lexicon), judge)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(_meta(chash, len(docs))) + "\n")
        for q in queries:
            row = asdict(q)
            del row["relevant"]
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return queries


def _meta(chash: str, n_docs: int) -> dict[str, object]:
    return {"corpus": chash, "seed": SHORT_SEED, "version": SHORT_VERSION, "docs": n_docs}
