"""The ranking weights: one frozen value, passed to the planner (tuning builds another one).

Query-side weights of the BM25F terms a plan scores (tuned on a held-out bench/quality split; see
README). A folded match (another accented form) is worth much less when the user typed accents
than when they did not: 'dân vận' typed with accents must not be outranked by a title holding
'dân vẫn'.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Weights:
    """How much each kind of match adds to a document's score."""

    fold: float = 1.0  # text_f: the required, folded match
    exact: float = 0.5  # text: the form as typed
    title: float = 2.0  # title: the form as typed, in the title
    title_f: float = 2.0  # title_f: folded, in the title
    bigram: float = 2.0  # text_bi: the adjacent pair as typed
    bigram_f: float = 1.5  # text_bi: another accented pair that folds like the typed one
    title_bi: float = 4.0  # title_bi: the adjacent pair as typed, in the title
    title_bi_f: float = 2.0  # title_bi_f: a folded pair in the title
    number: float = 4.0  # num_part: a partial document number (224, 224/qd, 224/2005)
    accented_fold_scale: float = 0.25  # folded weights × this when the typed text has accents


DEFAULT_WEIGHTS = Weights()
