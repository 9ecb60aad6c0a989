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
    # key → every spelling as indexed: ('kt', 'xh') for KT-XH, ('ktxh',) for KTXH.
    forms: dict[str, tuple[tuple[str, ...], ...]]

    @classmethod
    def parse(cls, text: str) -> Abbreviations:
        """Read 'ABBR<TAB>expansion|expansion' lines; '#' starts a comment."""
        expansions: dict[str, list[tuple[str, ...]]] = {}
        abbr_of: dict[tuple[str, ...], str] = {}
        forms: dict[str, list[tuple[str, ...]]] = {}
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
            spellings = forms.setdefault(key, [])
            # Writers join or split the same abbreviation: KT-XH, KTXH; TP.HCM, TPHCM.
            for spelling in (abbr_tokens, ("".join(abbr_tokens),)):
                if spelling not in spellings:
                    spellings.append(spelling)
            known = expansions.setdefault(key, [])
            known += [e for e in exps if e not in known]
            for e in exps:
                abbr_of.setdefault(tuple(fold(" ".join(e)).split()), key)
        return cls(
            {k: tuple(v) for k, v in expansions.items()},
            abbr_of,
            {k: tuple(v) for k, v in forms.items()},
        )

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
