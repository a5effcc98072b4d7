"""The default text pipeline: language → tokens → clauses → sentiment → themes.

``analyse`` works on one comment and ``analyse_many`` on a batch (the same thing, plus one call
into a trained model for the whole batch). Everything here is pure and runs offline.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from palaute.text import clauses as clause_rules
from palaute.text import language, lexicon
from palaute.text.lexicon import WordInfo
from palaute.text.sentiment import (
    DEFAULT_THRESHOLDS,
    NEGATION_SCOPE,
    Thresholds,
    comment_label,
    label_of,
    score_clause,
    squash,
)
from palaute.text.themes import ThemeHit, UserThemes, detect
from palaute.text.tokens import EMOTICONS as _EMOTICONS
from palaute.text.tokens import is_word, tokenise

PIPELINE_VERSION = "2"


@dataclass(frozen=True, slots=True)
class ClauseResult:
    text: str
    sentiment: str
    score: float
    weight: float
    evidence: tuple[str, ...]  # the words that moved the clause's score


@dataclass(frozen=True, slots=True)
class Analysis:
    language: str
    sentiment: str  # positive | negative | neutral | mixed
    score: float  # −1…1
    clauses: tuple[ClauseResult, ...]
    themes: tuple[ThemeHit, ...]
    lemmas: tuple[str, ...] = ()
    positive: float = 0.0  # summed positive valence (a feature for trained models)
    negative: float = 0.0  # summed negative valence (≤ 0)
    source: str = "rule"  # rule, or model when a trained model set the sentiment
    text: str = ""

    def theme_keys(self) -> set[str]:
        return {hit.key for hit in self.themes}

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "sentiment": self.sentiment,
            "score": round(self.score, 4),
            "clauses": [
                {
                    "text": c.text,
                    "sentiment": c.sentiment,
                    "score": round(c.score, 4),
                    "evidence": list(c.evidence),
                }
                for c in self.clauses
            ],
            "themes": [
                {
                    "key": t.key,
                    "sentiment": t.sentiment,
                    "evidence": list(t.evidence),
                    "opinion_words": list(t.opinion_words),
                    "source": t.source,
                    "confidence": round(t.confidence, 4),
                }
                for t in self.themes
            ],
        }


class Refiner(Protocol):
    """A trained model that may overrule sentiment and add or drop themes (classifier.py)."""

    def refine_many(self, analyses: Sequence[Analysis]) -> list[Analysis]: ...


def analyse(
    text: str,
    fallback_language: str = "fi",
    *,
    model: Refiner | None = None,
    user_themes: UserThemes | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Analysis:
    result = analyse_rules(text, fallback_language, user_themes, thresholds)
    return model.refine_many([result])[0] if model is not None else result


def analyse_many(
    texts: Iterable[str],
    fallback_language: str = "fi",
    *,
    model: Refiner | None = None,
    user_themes: UserThemes | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> list[Analysis]:
    results = [analyse_rules(t, fallback_language, user_themes, thresholds) for t in texts]
    return model.refine_many(results) if model is not None and results else results


def analyse_rules(
    text: str,
    fallback_language: str = "fi",
    user_themes: UserThemes | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Analysis:
    """Shipped lexicons and rules only (the "out of the box" analysis)."""
    tokens = tokenise(text)
    words = [t for t in tokens if is_word(t)]
    lang = language.detect(text, words, fallback_language)
    lex = lexicon.load(lang)
    describe = lex.word
    infos = [describe(t) if is_word(t) else None for t in tokens]

    def polar(start: int, end: int) -> bool:
        return any(info is not None and info.valence for info in infos[start:end])

    spans = clause_rules.split_clauses(tokens, lex.contrast, polar)
    clause_results: list[ClauseResult] = []
    for_themes: list[tuple[int, int, str, tuple[int, ...]]] = []
    total = positive = negative = 0.0
    clause_scores: list[float] = []
    for span in spans:
        scored = score_clause(infos, span.start, span.end)
        score = squash(scored.raw)
        label = label_of(score, thresholds)
        total += scored.raw * span.weight
        positive += scored.positive
        negative += scored.negative
        clause_scores.append(score)
        for_themes.append((span.start, span.end, label, scored.evidence))
        clause_results.append(
            ClauseResult(
                text=" ".join(t for t in tokens[span.start : span.end] if is_word(t)),
                sentiment=label,
                score=score,
                weight=span.weight,
                evidence=tuple(tokens[i] for i in scored.evidence),
            )
        )
    for token in tokens:  # emoticons are tokens of their own, outside any word
        if token in _EMOTICONS:
            total += _EMOTICONS[token]
    score = squash(total)
    themes = detect(tokens, infos, for_themes, lex, user_themes)
    return Analysis(
        language=lang,
        sentiment=comment_label(score, clause_scores, thresholds),
        score=score,
        clauses=tuple(clause_results),
        themes=tuple(themes),
        lemmas=_marked_lemmas(infos),
        positive=positive,
        negative=negative,
        text=text,
    )


def _marked_lemmas(infos: Sequence[WordInfo | None]) -> tuple[str, ...]:
    """Lemmas, with the words a negator reaches marked ("not_good"), so a trained model can
    tell "hyvä" from "ei hyvä" without learning negation itself."""
    marked: list[str] = []
    left = 0
    for info in infos:
        if info is None:
            left = 0
        elif info.negator:
            left = NEGATION_SCOPE
            marked.append(info.lemma)
        elif left:
            marked.append("not_" + info.lemma)
            left -= 1
        else:
            marked.append(info.lemma)
    return tuple(marked)
