"""Lexicon-and-rules sentiment for one clause and for a whole comment.

Scores are AFINN-scale valences summed over a clause, with negation (the next few words after
ei/not flip), intensifiers (erittäin/very multiply the next opinion word) and the clause weights
from ``clauses``; the sum is squashed into −1…1 the way VADER does (x / sqrt(x² + α)).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from palaute.text.lexicon import WordInfo

POSITIVE, NEGATIVE, NEUTRAL, MIXED = "positive", "negative", "neutral", "mixed"
LABELS = (POSITIVE, NEGATIVE, NEUTRAL, MIXED)

ALPHA = 15.0  # how fast the squashed score approaches ±1 (VADER's value)
NEGATION_SCOPE = 3  # words after a negator that it still reaches ("ei ollut kovin hyvä")
INTENSITY_SCOPE = 2
FLIP_POSITIVE = -0.9  # "ei hyvä" is nearly as negative as "hyvä" is positive
FLIP_NEGATIVE = -0.5  # "not bad" is only mildly positive


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Cut-offs on the squashed score, tuned on the train splits (docs/text-analytics.md)."""

    polar: float = 0.1  # |score| at or above this is positive/negative
    mixed: float = 0.2  # a comment with clauses at +mixed and −mixed is mixed


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class ClauseScore:
    raw: float
    positive: float  # sum of positive contributions
    negative: float  # sum of negative contributions (≤ 0)
    evidence: tuple[int, ...]  # token indices of the words that moved the score


def squash(raw: float) -> float:
    return raw / math.sqrt(raw * raw + ALPHA) if raw else 0.0


EXISTENTIAL = "olla"  # Finnish "X ei ollut": the negation reaches back to X


def score_clause(infos: Sequence[WordInfo | None], start: int, end: int) -> ClauseScore:
    """Score tokens ``start:end``; ``infos`` holds None for punctuation and numbers.

    Finnish puts what is absent before the negated verb: "Jonoa ei juuri ollut" (there was
    hardly a queue). When a negator is followed by a form of "olla" within its scope, it flips
    the opinion word just before it in the clause instead of the ones after it."""
    raw = positive = negative = 0.0
    evidence: list[int] = []
    negate_left = boost_left = 0
    boost = 1.0
    last: float | None = None  # the last counted, unnegated opinion value, for "X ei ollut"
    last_at = -10
    for i in range(start, end):
        info = infos[i]
        if info is None:
            continue
        value = info.valence
        if info.negator:
            evidence.append(i)
            if last is not None and i - last_at <= 2 and _existential_follows(infos, i + 1, end):
                flipped = last * (FLIP_POSITIVE if last > 0 else FLIP_NEGATIVE)
                raw += flipped - last
                positive -= max(last, 0.0)
                negative -= min(last, 0.0)
                positive += max(flipped, 0.0)
                negative += min(flipped, 0.0)
                last = None
                negate_left = 0
                continue
            negate_left = NEGATION_SCOPE
            continue
        if info.intensity != 1.0 and not value:
            boost, boost_left = info.intensity, INTENSITY_SCOPE
            continue
        negated = bool(negate_left)
        if negate_left:
            if info.negated_valence:
                value = info.negated_valence
            elif value > 0:
                value *= FLIP_POSITIVE
            elif value < 0:
                value *= FLIP_NEGATIVE
            negate_left -= 1
        if value:
            if boost_left:
                value *= boost
            raw += value
            if value > 0:
                positive += value
            else:
                negative += value
            evidence.append(i)
            negate_left = 0
            last = None if negated else value
            last_at = i
        if boost_left:
            boost_left -= 1
    return ClauseScore(raw, positive, negative, tuple(evidence))


def _existential_follows(infos: Sequence[WordInfo | None], start: int, end: int) -> bool:
    """A form of "olla" follows within the negator's scope, and no opinion word after it:
    "ei ollut hyvää" negates "hyvää", not the word before the negator."""
    found = False
    for j in range(start, min(end, start + NEGATION_SCOPE + 1)):
        info = infos[j]
        if info is None:
            continue
        if info.valence:
            return False
        found = found or info.lemma == EXISTENTIAL
    return found


def label_of(score: float, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> str:
    if score >= thresholds.polar:
        return POSITIVE
    if score <= -thresholds.polar:
        return NEGATIVE
    return NEUTRAL


def comment_label(
    score: float, clause_scores: Sequence[float], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> str:
    """Mixed when one clause is clearly positive and another clearly negative."""
    if any(s >= thresholds.mixed for s in clause_scores) and any(
        s <= -thresholds.mixed for s in clause_scores
    ):
        return MIXED
    return label_of(score, thresholds)


def combine_labels(labels: Sequence[str]) -> str:
    """One sentiment for several clauses about the same theme."""
    polar = {label for label in labels if label != NEUTRAL}
    if not polar:
        return NEUTRAL
    if len(polar) == 1:
        return polar.pop()
    return MIXED


def three_class(label: str, score: float) -> str:
    """Fold "mixed" into the sign of the score, for data labelled without it."""
    if label != MIXED:
        return label
    return POSITIVE if score >= 0 else NEGATIVE
