"""The query mix of `python -m bench.perf`: deterministic, seeded, drawn from the indexed articles.

Five kinds, the same share each (the issue's "realistic mix"):
    exact     2–4 consecutive words of a title, as written (accents, case)
    folded    the same fragments typed without diacritics (đ→d)
    docnum    a document number found in a body (45/2004/NĐ-CP, 143/VP-HH)
    word1     one word of a title
    word6     6 consecutive words of one sentence of a body
Every query string is distinct (the engine caches per request: a repeat would measure the cache).
When the articles hold fewer distinct document numbers than the kind's share, the kind is smaller;
the other kinds are not padded, so the mix never leans further towards what is cheap.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.text import fold

KINDS = ("exact", "folded", "docnum", "word1", "word6")

# Words as a user would type them: runs of letters/digits (no punctuation, no Whoosh syntax).
_WORD = re.compile(r"[^\W_]+")
# A document number with an upper-case type code, as official texts write them (indexer.document
# uses the same shape to recognise numbers in bodies): 45/2004/NĐ-CP, 143/VP-HH, 05-CT/HU.
_DOCNUM = re.compile(
    r"(?<![\w/])\d{1,5}(?:/\d{4})?[/\-](?:[A-ZĐ]{2,}[A-ZĐa-z]*)(?:[/\-&][A-ZĐ][A-ZĐa-z\d]*)*(?![\w/])"
)
# Sentences of a body: split on sentence punctuation and line breaks.
_SENTENCE = re.compile(r"[.!?…;:\n]+")
# Whoosh's query parser reads these upper-case words as operators; a title fragment holding one
# would measure a different query on each side, so such fragments are not drawn.
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


# Run before timing (vocabulary load, first searcher, OS caches); never part of a mix.
WARMUP = ("thời tiết hôm nay", "bóng đá", "kinh te", "giá vàng tăng", "hội nghị", "xe máy")


@dataclass(frozen=True)
class Query:
    """One query of the mix."""

    kind: str
    text: str


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w not in _OPERATORS]


def build_mix(
    articles: Sequence[tuple[str, str]], n: int = 400, seed: int = 20240501
) -> list[Query]:
    """About n distinct queries, n/5 of each kind (fewer document numbers if the text has few).

    `articles` are (title, body) pairs; the order of the result is shuffled (seeded) so that the
    kinds interleave as in real traffic.
    """
    rng = random.Random(seed)
    per_kind = max(1, n // len(KINDS))
    seen: set[str] = set(WARMUP)
    out: list[Query] = []

    def take(kind: str, text: str) -> bool:
        text = " ".join(text.split())
        if not text or text in seen:
            return False
        seen.add(text)
        out.append(Query(kind, text))
        return True

    titles = [_words(t) for t, _ in articles]
    titled = [w for w in titles if len(w) >= 2]
    # exact title fragments, and the same fragments without diacritics
    attempts = 0
    count = 0
    while count < per_kind and titled and attempts < per_kind * 50:
        attempts += 1
        words = rng.choice(titled)
        k = rng.randint(2, min(4, len(words)))
        i = rng.randrange(len(words) - k + 1)
        frag = " ".join(words[i : i + k])
        plain = fold(frag)
        if plain == frag or frag in seen or plain in seen:
            continue  # the folded twin must differ, or the pair would be one query twice
        take("exact", frag)
        take("folded", plain)
        count += 1
    # document numbers found in bodies (every distinct one, then a seeded sample)
    numbers = sorted({m.group(0) for _, body in articles for m in _DOCNUM.finditer(body)})
    rng.shuffle(numbers)
    for num in numbers[:per_kind]:
        take("docnum", num)
    # one word of a title
    attempts = 0
    count = 0
    while count < per_kind and titles and attempts < per_kind * 50:
        attempts += 1
        words = rng.choice(titles)
        if words and take("word1", rng.choice(words)):
            count += 1
    # six consecutive words of a body sentence
    attempts = 0
    count = 0
    while count < per_kind and articles and attempts < per_kind * 50:
        attempts += 1
        _, body = rng.choice(articles)
        sentences = [s for s in (_words(x) for x in _SENTENCE.split(body)) if len(s) >= 6]
        if not sentences:
            continue
        words = rng.choice(sentences)
        i = rng.randrange(len(words) - 5)
        if take("word6", " ".join(words[i : i + 6])):
            count += 1
    rng.shuffle(out)
    return out
