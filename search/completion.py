"""Type-ahead completions from the index's own vocabulary, kept per index generation.

The last, partly typed word is completed from the folded syllables of the index (in memory, a
binary search in their sorted list) and the adjacent pairs (text_bi) starting with the word
before it; a completion goes on to the next syllable when one nearly always follows. What the
pairs of a word say (its followers by frequency) is read from the term table once per
generation and remembered (a bounded LRU): `/api/suggest` is asked on every key stroke, and
the same first words come back again and again.

A query typed up to a whole word ('ủy ban', 'uy ban ', 'ban chỉ') goes on with what follows
those two words in the titles of the index ('ủy ban nhân dân', 'ủy ban kiểm tra'): pairs alone
cannot say it (the pair after 'ban' is 'ban hành' most often, and 'ủy ban hành' is no name).
"""

from __future__ import annotations

import bisect
import heapq
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable

from indexer.lexicon import syllables
from indexer.text import Span, canonical, fold, has_diacritics, spans
from search.spelling import written
from search.vocab import FUNCTION_SYLLABLES, Vocabulary

SCAN = 3000  # most pairs read per first word
CONTINUE_SHARE = 0.6  # a completion goes on to the next syllable when it follows this often
KEPT_PAIRS = 300_000  # followers remembered per generation (about 30 MB at most)
# A word outside the syllable list ('bannhân' of 'Ủy bannhân dân', 'ưbnd') is offered only when
# this many documents hold it: typos of portal editors rarely repeat, names ('Krông') do.
UNLISTED_MIN_DF = 3
PHRASE_TEXTS = 60  # articles read to go on from two typed words (spread over the archive)
PHRASE_CHARS = 10_000  # of each article's title and body (the two words are rarely further)
PHRASE_PER_TEXT = 5  # occurrences of the two words read in one article
PHRASE_MIN = 2  # articles that must go on alike before a continuation is offered
PHRASE_EXTRA = 4  # syllables a continuation adds at most
PHRASE_SHARE = 0.5  # of the texts going on so far that must go on alike for one more
KEPT_PHRASES = 2048  # continuations remembered per generation
# A form of the typed letters this much rarer than the commonest is an editor's slip ('ủy bản',
# 'thành phốtăng') or an article typed without diacritics ('uy ban'): not offered.
RARE_SHARE = 0.02
NAME_JOINS = frozenset("'’-")  # a syllable written against one of these is half of a name

Followers = list[tuple[int, str]]  # (doc frequency, second syllable), most frequent first
Texts = Callable[[str], list[str]]  # title and body of some articles holding a pair


def common(found: list[tuple[int, str]]) -> list[str]:
    """The words of (frequency, word) pairs that are not rare beside the commonest, in order."""
    top = max((n for n, _ in found), default=0)
    return [w for n, w in found if n >= RARE_SHARE * top]


class Completer:
    """Completions over one index generation's vocabulary (shared by threads)."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.view = vocab.view
        self._after: OrderedDict[str, Followers] = OrderedDict()
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

    def after(self, first: str, second: str, texts: Texts | None) -> Followers:
        """What follows the words 'first second' in texts of the index holding them, by the
        number of texts, most first; remembered per pair.

        A continuation goes on a syllable at a time while most texts go on alike ('nhân' →
        'nhân dân', but 'huyện đắk song', not 'huyện đắk song thuê'), at most PHRASE_EXTRA,
        never ending on a function word.
        """
        pair = f"{first} {second}"
        with self._lock:
            found = self._after.get(pair)
            if found is not None:
                self._after.move_to_end(pair)
                return found
        if texts is None:
            return []
        counts: Counter[tuple[str, ...]] = Counter()  # texts going on with each run of words
        for text in texts(pair):
            runs = self._going_on(canonical(text[:PHRASE_CHARS]).lower(), pair)
            counts.update({run[:k] for run in runs for k in range(1, len(run) + 1)})
        out: dict[str, int] = {}
        for run, n in counts.items():
            if len(run) > 1 or n < PHRASE_MIN:
                continue
            while len(run) < PHRASE_EXTRA:
                longer = [
                    (m, r) for r, m in counts.items() if len(r) == len(run) + 1 and r[:-1] == run
                ]
                best = max(longer, default=None)
                if best is None or best[0] < max(PHRASE_MIN, PHRASE_SHARE * counts[run]):
                    break
                run = best[1]
            words = list(run)
            while words and words[-1] in FUNCTION_SYLLABLES:
                words.pop()
            if words and all(self.offerable(w, self.unigram_df.get(w, 0)) for w in words):
                out[" ".join(words)] = max(out.get(" ".join(words), 0), n)
        found = sorted(((n, words) for words, n in out.items()), reverse=True)
        with self._lock:
            self._after[pair] = found
            while len(self._after) > KEPT_PHRASES:
                self._after.popitem(last=False)
        return found

    @staticmethod
    def _going_on(text: str, pair: str) -> list[tuple[str, ...]]:
        """The words after each whole-word occurrence of `pair` in a lower-case text (at most
        PHRASE_EXTRA of its clause, up to a number or half of a name such as 'Đắk R'Lấp')."""
        runs: list[tuple[str, ...]] = []
        at = text.find(pair)
        while at >= 0 and len(runs) < PHRASE_PER_TEXT:
            if at == 0 or not text[at - 1].isalnum():
                window = text[at : at + len(pair) + 60]
                sp = spans(window)
                if (
                    len(sp) > 2
                    and sp[1].clause == sp[0].clause
                    and f"{sp[0].text} {sp[1].text}" == pair
                ):
                    words = []
                    for x in sp[2 : 2 + PHRASE_EXTRA]:
                        joined = window[x.end : x.end + 1] in NAME_JOINS
                        if x.clause != sp[1].clause or not x.text.isalpha() or joined:
                            break
                        words.append(x.text)
                    runs.append(tuple(words))
            at = text.find(pair, at + 1)
        return [run for run in runs if run]

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
        return [
            t for _, t in heapq.nlargest(n, ((self.folded_df[t], t) for t in self._folded[lo:hi]))
        ]

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

    def _firsts(self, word: str) -> list[str]:
        """The index's forms a typed word may stand for (itself when accented), at most 3."""
        if has_diacritics(word):
            return [word]
        forms = common([(self.unigram_df.get(f, 0), f) for f in self.forms.get(fold(word), [word])])
        return [f for f in forms if f == word or self.offerable(f, self.unigram_df.get(f, 0))][:3]

    def _after_word(self, before: Span | None, forms: list[str]) -> list[str]:
        """The forms that follow the word before them in the index ('ủy ban nh': 'ban', not
        'bản' or 'bàn'), or all of them when none does."""
        if before is None or before.kind != "word":
            return forms
        dfs: dict[str, int] = {}
        for b in self._firsts(before.text):
            for df, second in self.followers(b):
                dfs[second] = max(dfs.get(second, 0), df)
        return common([(dfs[f], f) for f in forms if f in dfs]) or forms

    def _within(
        self, before: Span | None, first: str, typed: str, texts: Texts | None
    ) -> Followers:
        """What follows 'before first' in the archive (after()) whose first word starts like the
        typed letters, as 'second …' with its count; nothing without a word before."""
        if before is None or before.kind != "word" or texts is None:
            return []
        want, accented = fold(typed), has_diacritics(typed)
        found: Followers = []
        for b in self._firsts(before.text):
            for n, words in self.after(b, first, texts):
                second = words.split(" ", 1)[0]
                if fold(second).startswith(want) and (not accented or second.startswith(typed)):
                    found.append((n, words))
        return found

    @staticmethod
    def _written(words: str) -> str:
        return " ".join(written(w) for w in words.split())

    def _onwards(
        self, prefix: str, prev: Span | None, last: Span, limit: int, texts: Texts | None
    ) -> list[str]:
        """Completions going on from a whole last word: what follows the last two words in
        titles, or the pairs of a first word ('ủy ' → 'ủy ban')."""
        if last.kind != "word" or (prev is not None and prev.kind != "word"):
            return []
        scored: dict[str, int] = {}
        typed_last = prefix[last.start : last.end]
        if prev is None:
            head = prefix[: last.start].strip()
            for first in self._firsts(last.text):
                shown = typed_last if first == last.text else first
                for df, second in self.followers(first)[:limit]:
                    scored[f"{shown} {second}"] = max(scored.get(f"{shown} {second}", 0), df)
            return self._finished(head, scored, prefix)
        head = prefix[: prev.start].strip()
        typed_prev = prefix[prev.start : prev.end]
        want = fold(last.text)
        for first in self._firsts(prev.text):
            shown = typed_prev if first == prev.text else first  # keep 'UBND' as typed
            alike = [
                (df, second)
                for df, second in self.followers(first)
                if fold(second) == want and (not has_diacritics(last.text) or second == last.text)
            ]
            for second in common(alike):
                said = typed_last if second == last.text else second
                for n, extra in self.after(first, second, texts)[:limit]:
                    words = f"{shown} {said} {' '.join(written(w) for w in extra.split())}"
                    scored[words] = max(scored.get(words, 0), n)
        best = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))
        return [f"{head} {words}".strip() for words, _ in best]

    def _finished(self, head: str, scored: dict[str, int], prefix: str) -> list[str]:
        """The scored completions as offered, most frequent first, the typed text itself not."""
        best = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))
        out: list[str] = []
        for words_, _ in best:
            finished = self._finish(words_)
            if finished is None:
                continue
            full = f"{head} {finished}".strip()
            if canonical(full) != canonical(prefix).strip() and full not in out:
                out.append(full)
        return out

    def complete(self, prefix: str, limit: int = 8, texts: Texts | None = None) -> list[str]:
        """Completions of a partly typed query: the last word, and the words after it (`texts`:
        where to read what follows two whole words; without it, only what was read before)."""
        canon = canonical(prefix)
        sp = spans(canon)
        if not sp or not canon.strip() or limit <= 0:
            return []
        last = sp[-1]
        prev = sp[-2] if len(sp) > 1 and sp[-2].clause == last.clause else None
        if canon[-1].isspace():  # the last word is whole: only what follows it
            return self._onwards(prefix, prev, last, limit, texts)[:limit]
        scored: dict[str, int] = {}
        if prev is not None:
            head = prefix[: prev.start].strip()
            typed = prefix[prev.start : prev.end]
            before = sp[-3] if len(sp) > 2 and sp[-3].clause == prev.clause else None
            lead: dict[str, int] = {}  # 'ủy ban nh': what follows 'ủy ban' starting with 'nh'
            for first in self._after_word(before, self._firsts(prev.text)):
                shown = typed if first == prev.text else first  # keep 'UBND' as typed
                for df, second in self._starting(last.text, first, limit):
                    scored[f"{shown} {second}"] = max(scored.get(f"{shown} {second}", 0), df)
                for n, words in self._within(before, first, last.text, texts):
                    lead[f"{shown} {words}"] = max(lead.get(f"{shown} {words}", 0), n)
            top = max(scored.values(), default=0)  # 'ủy ban', not 'ủy bản' typed by a few
            scored = {words: df for words, df in scored.items() if df >= RARE_SHARE * top}
            if lead:  # the pairs that go on as the three words do ('ban nhân', not 'ban nhạc')
                ones = {" ".join(w.split()[:2]) for w in lead}
                scored = {w: df for w, df in scored.items() if w in ones}
                ranked = sorted(lead.items(), key=lambda kv: (-kv[1], kv[0]))
                out = [f"{head} {self._written(words)}".strip() for words, _ in ranked]
                return (out + [c for c in self._finished(head, scored, prefix) if c not in out])[
                    :limit
                ]
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
        out = self._finished(head, scored, prefix)
        if prev is not None and len(out) < limit:  # 'ủy ban' typed whole: 'ủy ban nhân dân'
            out += [c for c in self._onwards(prefix, prev, last, limit, texts) if c not in out]
        return out[:limit]
