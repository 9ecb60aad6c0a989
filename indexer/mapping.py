"""How an Article becomes an index document, and the one check that an index matches it.

The fields written here are the schema's (indexer.schema, whose field types Whoosh pickles into
the index). An index folder records the SCHEMA_VERSION it was written with; every open, for
writing or for searching, goes through check_version(), which raises SchemaMismatch for any
other version. Pure but for those two small files: no Whoosh here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from indexer.docfields import article_number_keys, is_document, issuing_body, signed_date
from indexer.document import DOC_TYPE_CODES, Article, facet_key
from indexer.errors import SchemaMismatch
from indexer.layout import DataDir
from indexer.lexicon import abbreviations, syllables
from indexer.text import analyze, fold, fold_lower

# Bump whenever a field, or what an analyzer emits, changes: an index built with another version
# is refused until `tracuu index rebuild` has run.
SCHEMA_VERSION = 5

FACETS = ("site", "category", "doc_type", "issuer")  # each indexed as `<name>_key` (filters)
KIND_DOCUMENT, KIND_NEWS = "van-ban", "tin"  # kind_key: official documents apart from news

# Partial document numbers (issue 11): '224/2005/QĐ-UBND' is found by '224', '224/qd' and
# '224/2005' (folded, number without leading zeros), so 'QĐ 224' or 'số 224' rank it first.
NUMBER_FIELD = "num_part"
# Abbreviations that are also syllables (HU, TU, ĐU: hủ, tu, đu) where written in capitals: every
# other field is lower-cased, and only this one tells 'ĐU' from 'Đu đủ' (issue 11).
CAPS_FIELD = "abbr_caps"
_YEAR = re.compile(r"(?:19|20)\d\d")
_CODE = re.compile(r"[a-z]+")
_SPLIT = re.compile(r"[/\-]")
_DIGIT_SEP = re.compile(r"\d[/\-]")


@cache
def _codes() -> frozenset[str]:
    """Letter codes of document numbers: types (QĐ, KH) and issuers (UBND, TTg, HU)."""
    return frozenset(fold(k) for k in DOC_TYPE_CODES) | frozenset(abbreviations().expansions) | {
        "cp", "ttg", "ub", "vp", "bch", "btv", "nd-cp",
    }


@cache
def _places() -> frozenset[str]:
    """Codes of places ('tp', 'tphcm'): 'Q.9-TPHCM' is an address, not a number 9."""
    return frozenset(
        k
        for k, exps in abbreviations().expansions.items()
        if any(e[:2] == ("thành", "phố") for e in exps)
    )


def _official(parts: list[str]) -> bool:
    """A document number rather than a football line-up ('27-jonathan'), a product name or an
    address ('Q.9-TPHCM'): number/year/code or number/code-issuer, or a known code."""
    return len(parts) >= 3 or (parts[1] in _codes() and parts[1] not in _places())


def _cut_word(tok: str, folded: str) -> bool:
    """Whether every occurrence of the number token in the folded text is the start of a longer
    word: 'tháng 9-khóa' tokenizes as '9-kh' (a code's letters are ASCII) but is no number."""
    found = [m.end() for m in re.finditer(re.escape(tok), folded)]
    return bool(found) and all(end < len(folded) and folded[end].isalpha() for end in found)


@cache
def _capital_forms() -> tuple[str, ...]:
    """The abbreviations that are also syllables, in capitals: HU, TU, ĐU."""
    forms = {f[0] for fs in abbreviations().forms.values() for f in fs if len(f) == 1}
    return tuple(sorted(f.upper() for f in forms & syllables()))


@cache
def _capitals() -> re.Pattern[str]:
    alternatives = "|".join(re.escape(f) for f in _capital_forms())
    return re.compile(rf"(?<![\w/\-])(?:{alternatives})(?![\w/\-])")  # not in '05-CT/HU'


def capital_abbreviations(text: str) -> list[str]:
    """The abbreviations of a text that are also syllables, where written in capitals ('ĐU',
    not 'Đu' or 'đu'), lower case, one per occurrence."""
    text = unicodedata.normalize("NFC", text)
    if not any(form in text for form in _capital_forms()):  # most texts: a few substring scans
        return []
    return [m.group(0).lower() for m in _capitals().finditer(text)]


def _numbered(tokens: tuple[str, ...]) -> list[str]:
    """The tokens holding a digit followed by '/' or '-': document numbers and dates.

    Words hold no separator, and a document number or date starts with digits then one: one
    regex search over the space-joined tokens finds them all, without a Python step per token.
    """
    joined = " ".join(tokens)
    out: list[str] = []
    if "/" not in joined and "-" not in joined:  # most texts: two memchr, no regex
        return out
    end = -1
    for m in _DIGIT_SEP.finditer(joined):
        if m.start() < end:
            continue  # a second separator of the token just taken
        start = joined.rfind(" ", 0, m.start()) + 1
        end = joined.find(" ", m.end())
        if end < 0:
            end = len(joined)
        out.append(joined[start:end])
    return out


def number_parts(text: str) -> list[str]:
    """The partial-number keys of the document numbers in a text (one per occurrence)."""
    out: list[str] = []
    folded = ""  # the text folded, once it has a number to check
    for tok in _numbered(analyze(text).folded):
        if not tok[0].isdigit() or not any(c.isalpha() for c in tok):
            continue
        parts = [p for p in _SPLIT.split(tok) if p]
        if len(parts) < 2 or not parts[0].isdecimal() or not _official(parts):
            continue
        folded = folded or fold_lower(text)
        if _cut_word(tok, folded):
            continue
        n = str(int(parts[0]))
        out.append(n)
        if _YEAR.fullmatch(parts[1]):
            out.append(f"{n}/{parts[1]}")
        code = next((m.group(0) for p in parts[1:] if (m := _CODE.match(p))), None)
        if code:
            out.append(f"{n}/{code}")
    return out


def index_document(article: Article) -> dict[str, Any]:
    """The index fields of an article."""
    text = article.searchable_text()
    doc: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "title_f": article.title,
        "title_bi": article.title,
        "title_bi_f": article.title,
        "text": text,
        "text_f": text,
        "text_bi": text,
        # The same str: pickled once for a worker process, which finds the keys in it
        # (indexer.analysis.DerivedKeys) from the analysis its text fields share.
        NUMBER_FIELD: text,
        CAPS_FIELD: text,
        "meta": {
            "url": article.url,
            "site": article.site,
            "published": article.published,
            "author": article.author,
            "category": article.category,
            "doc_type": article.doc_type,
            "doc_number": article.doc_number,
        },
    }
    doc.update(document_fields(article, doc["meta"]))
    for name in FACETS:
        value = doc["meta"]["issuer"] if name == "issuer" else getattr(article, name)
        if value:
            doc[f"{name}_key"] = facet_key(value)
    dt = article.published_datetime()
    if dt is not None:
        doc["date"] = dt
    return doc


def signed_day(signed: str) -> str:
    """'2019-08-08' → '20190808'; a partial date sorts at its start ('2019-08' → '20190800')."""
    digits = signed.replace("-", "")
    return (digits + "0000")[:8]


def document_fields(article: Article, meta: dict[str, Any]) -> dict[str, Any]:
    """The official-document fields of an article (and what they add to its stored meta)."""
    fields: dict[str, Any] = {"kind_key": KIND_DOCUMENT if is_document(article) else KIND_NEWS}
    meta["issuer"] = issuing_body(article)
    meta["files"] = [[a.name or a.title, a.sha256, a.stored] for a in article.attachments]
    keys = article_number_keys(article)
    if keys:
        fields["number_key"] = " ".join(keys)
    shas = [a.sha256 for a in article.attachments if a.sha256]
    if shas:
        fields["file_sha"] = " ".join(dict.fromkeys(shas))
    signed = signed_date(article) if is_document(article) else None
    meta["signed"] = signed
    if signed:
        fields["year_key"] = signed[:4]
        fields["signed_key"] = signed_day(signed)
    return fields


def write_version(folder: Path) -> None:
    """Record this tracuu's SCHEMA_VERSION in a freshly written index folder."""
    DataDir.version_file(folder).write_text(f"{SCHEMA_VERSION}\n")


def read_version(folder: Path) -> int | None:
    """The SCHEMA_VERSION an index folder was written with (None: unknown)."""
    try:
        return int(DataDir.version_file(folder).read_text())
    except (FileNotFoundError, ValueError):
        return None


def check_version(folder: Path) -> None:
    """Raise SchemaMismatch unless the folder was written with this SCHEMA_VERSION."""
    found = read_version(folder)
    if found != SCHEMA_VERSION:
        raise SchemaMismatch(str(folder), found, SCHEMA_VERSION)
