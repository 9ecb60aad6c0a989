"""Type-ahead completions from the index's own vocabulary, kept per index generation.

The last, partly typed word is completed from the folded syllables of the index (in memory, a
binary search in their sorted list) and the adjacent pairs (text_bi) starting with the word
before it; a completion goes on to the next syllable when one nearly always follows. What the
pairs of a word say (its followers by frequency) is read from the term table once per
generation and remembered (a bounded LRU): `/api/suggest` is asked on every key stroke, and
the same first words come back again and again.
"""

from __future__ import annotations

import bisect
import heapq
import threading
from collections import OrderedDict

from indexer.lexicon import syllables
from indexer.text import canonical, fold, has_diacritics, spans
from search.spelling import written
from search.vocab import FUNCTION_SYLLABLES, Vocabulary

SCAN = 3000  # most pairs read per first word
CONTINUE_SHARE = 0.6  # a completion goes on to the next syllable when it follows this often
KEPT_PAIRS = 300_000  # followers remembered per generation (about 30 MB at most)
# A word outside the syllable list ('bannhân' of 'Ủy bannhân dân', 'ưbnd') is offered only when
# this many documents hold it: typos of portal editors rarely repeat, names ('Krông') do.
UNLISTED_MIN_DF = 3

Followers = list[tuple[int, str]]  # (doc frequency, second syllable), most frequent first


class Completer:
    """Completions over one index generation's vocabulary (shared by threads)."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.view = vocab.view
        self.forms = vocab.forms
        self.folded_df = vocab.folded_df
        self.unigram_df = vocab.unigram_df
        self._folded = sorted(vocab.folded_df)  # the index's term order (UTF-8 = code points)
        self._followers: OrderedDict[str, Followers] = OrderedDict()
        self._kept = 0
        self._lock = threading.Lock()

    def followers(self, word: str) -> Followers:
        """The pairs 'word x' of the index (the first SCAN in term order), most frequent first."""
        with self._lock:
            found = self._followers.get(word)
            if found is not None:
                self._followers.move_to_end(word)
                return found
        found = sorted(
            (
                (df, second)
                for term, df in self.view.terms("text_bi", f"{word} ", SCAN)
                if self.offerable(second := term.split(" ", 1)[1], df)
            ),
            reverse=True,
        )
        with self._lock:
            if word not in self._followers:
                self._followers[word] = found
                self._kept += len(found) + 1
                while self._kept > KEPT_PAIRS and len(self._followers) > 1:
                    _, old = self._followers.popitem(last=False)
                    self._kept -= len(old) + 1
        return found

    @staticmethod
    def offerable(word: str, df: int) -> bool:
        """Whether a word of the index is worth offering: a syllable of the language, a number
        or code ('123/kh-ubnd'), or a word outside the list that many documents hold."""
        return df >= UNLISTED_MIN_DF or not word.isalpha() or word in syllables()

    def _starting(self, second_prefix: str, first: str, limit: int) -> Followers:
        """Followers of `first` whose folded form starts like second_prefix."""
        want = fold(second_prefix)
        accented = has_diacritics(second_prefix)
        out = []
        for df, second in self.followers(first):
            if fold(second).startswith(want) and (not accented or second.startswith(second_prefix)):
                out.append((df, second))
                if len(out) == limit:
                    break
        return out

    def _words(self, prefix: str, n: int) -> list[str]:
        """The n most frequent folded syllables starting with `prefix`."""
        lo = bisect.bisect_left(self._folded, prefix)
        hi = bisect.bisect_left(self._folded, prefix + "\U0010ffff")
        return [t for _, t in heapq.nlargest(n, ((self.folded_df[t], t)
                                                 for t in self._folded[lo:hi]))]

    def _continuation(self, word: str) -> str | None:
        """The syllable that nearly always follows `word` ('thành' → 'phố'), if one does."""
        found = self.followers(word)
        if not found:
            return None
        total = sum(df for df, _ in found)
        df, second = found[0]
        strong = total >= 3 and df >= CONTINUE_SHARE * total
        return second if strong and second not in FUNCTION_SYLLABLES else None

    def _finish(self, words: str) -> str | None:
        """A completion as offered: whole words, never ending on a function word, abbreviations
        and document numbers as written (None: not worth offering)."""
        toks = words.split(" ")
        if len(toks) > 1 and toks[-1] in FUNCTION_SYLLABLES:
            return None
        nxt = self._continuation(toks[-1]) if toks[-1].isalpha() else None
        if nxt is not None and len(toks) < 3:
            toks.append(nxt)
        return " ".join(written(t) for t in toks)

    def complete(self, prefix: str, limit: int = 8) -> list[str]:
        """Completions of a partly typed query: the last word, and the word after it."""
        canon = canonical(prefix)
        sp = spans(canon)
        if not sp or not canon.strip() or canon[-1].isspace() or limit <= 0:
            return []
        last = sp[-1]
        prev = sp[-2] if len(sp) > 1 and sp[-2].clause == last.clause else None
        scored: dict[str, int] = {}

        def firsts(word: str) -> list[str]:
            if has_diacritics(word):
                return [word]
            forms = self.forms.get(fold(word), [word])
            return [f for f in forms if f == word or self.offerable(f, self.unigram_df.get(f, 0))][
                :3
            ]

        if prev is not None:
            head = prefix[: prev.start].strip()
            typed = prefix[prev.start : prev.end]
            for first in firsts(prev.text):
                shown = typed if first == prev.text else first  # keep 'UBND' as typed
                for df, second in self._starting(last.text, first, limit):
                    scored[f"{shown} {second}"] = max(scored.get(f"{shown} {second}", 0), df)
        else:
            head = prefix[: last.start].strip()
            for folded in self._words(fold(last.text), 3):
                for word in self.forms.get(folded, [])[:2]:
                    if has_diacritics(last.text) and not word.startswith(last.text):
                        continue
                    if not self.offerable(word, self.unigram_df.get(word, 0)):
                        continue
                    scored[word] = self.unigram_df.get(word, 0)
                    for df, second in self.followers(word)[:3]:
                        scored[f"{word} {second}"] = df
        best = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))
        out: list[str] = []
        for words_, _ in best:
            finished = self._finish(words_)
            if finished is None:
                continue
            full = f"{head} {finished}".strip()
            if canonical(full) != canon.strip() and full not in out:
                out.append(full)
        return out[:limit]
