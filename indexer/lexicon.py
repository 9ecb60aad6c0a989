"""Word lists shipped with tracuu: official abbreviations and the Vietnamese syllable inventory."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from indexer.text import canonical, fold, spans


@dataclass(frozen=True)
class Abbreviations:
    """Abbreviation ↔ expansion, keyed by the folded joined form: 'ubnd', 'hdnd', 'ktxh'."""

    expansions: dict[str, tuple[tuple[str, ...], ...]]  # key → expansions (exact syllables)
    abbr_of: dict[tuple[str, ...], str]  # folded expansion syllables → key
    forms: dict[str, tuple[str, ...]]  # key → the abbreviation's tokens as indexed ('kt', 'xh')

    @classmethod
    def parse(cls, text: str) -> Abbreviations:
        """Read 'ABBR<TAB>expansion|expansion' lines; '#' starts a comment."""
        expansions: dict[str, tuple[tuple[str, ...], ...]] = {}
        abbr_of: dict[tuple[str, ...], str] = {}
        forms: dict[str, tuple[str, ...]] = {}
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            abbr, _, exp = line.partition("\t")
            # 'KT-XH' is indexed as two tokens; the key is the folded joined form 'ktxh'.
            abbr_tokens = tuple(s.text for s in spans(canonical(abbr)))
            key = fold("".join(abbr_tokens))
            exps = tuple(
                tuple(s.text for s in spans(canonical(e))) for e in exp.split("|") if e.strip()
            )
            expansions[key] = exps
            forms[key] = abbr_tokens
            for e in exps:
                abbr_of.setdefault(tuple(fold(" ".join(e)).split()), key)
        return cls(expansions, abbr_of, forms)

    def longest_expansion(self) -> int:
        return max((len(k) for k in self.abbr_of), default=0)


@cache
def abbreviations() -> Abbreviations:
    """The shipped list (indexer/data/abbreviations.tsv)."""
    data = resources.files("indexer").joinpath("data/abbreviations.tsv").read_text("utf-8")
    return Abbreviations.parse(data)


@cache
def syllables() -> frozenset[str]:
    """Vietnamese syllables (soe-vinorm list, MIT), lower case NFC, tone style normalized."""
    data = resources.files("indexer").joinpath("data/syllables.txt").read_text("utf-8")
    return frozenset(canonical(s.strip()) for s in data.splitlines() if s.strip())
