"""Trainable models that learn from an organisation's own tagging (scikit-learn).

Features are TF-IDF over lemmas (unigrams and bigrams, from the rule pipeline), TF-IDF over
character n-grams (robust to Finnish inflection and typos) and the rule pipeline's own scores,
so a model starts from what the lexicons know and learns what they miss. Two models:

* ``SentimentModel``: logistic regression over the labels it was given.
* ``ThemeModel``: one logistic regression per theme key (one-vs-rest, multi-label).

``TextModel`` bundles both, refines rule analyses (``pipeline.Refiner``), ranks comments by
``uncertainty`` for active learning, and is stored per organisation with ``to_bytes``.
"""

import pickle
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

from palaute.text.lexicon import THEME_KEYS
from palaute.text.pipeline import Analysis, analyse_many
from palaute.text.sentiment import LABELS, NEGATIVE, POSITIVE
from palaute.text.themes import ThemeHit
from palaute.text.tokens import is_word, tokenise

FORMAT = b"palaute-text-model/1\n"
RULE_WEIGHT = 2.0  # keeps the few rule features visible beside thousands of n-grams
ADD_THEME_AT = 0.5  # model probability that adds a theme the rules missed
DROP_THEME_BELOW = 0.15  # model probability under which a rule hit on a learnt theme is dropped


def lemma_grams(analysis: Analysis) -> list[str]:
    grams = list(analysis.lemmas)
    grams += [f"{a} {b}" for a, b in zip(analysis.lemmas, analysis.lemmas[1:], strict=False)]
    return grams


_NOISE = re.compile(r"@\w+|https?://\S+|www\.\S+")


def lowered_text(analysis: Analysis) -> str:
    # @handles and links say who was addressed, not what was felt.
    return _NOISE.sub(" ", analysis.text.lower())


def rule_vector(analysis: Analysis) -> list[float]:
    found = analysis.theme_keys()
    return [
        analysis.score,
        analysis.positive / 10,
        analysis.negative / 10,
        *(1.0 if analysis.sentiment == label else 0.0 for label in LABELS),
        *(1.0 if key in found else 0.0 for key in THEME_KEYS),
    ]


class Featuriser:
    def __init__(self, use_embeddings: bool = False) -> None:
        self.use_embeddings = use_embeddings
        self.words = TfidfVectorizer(analyzer=lemma_grams, sublinear_tf=True, min_df=2)
        self.chars = TfidfVectorizer(
            analyzer="char_wb",
            preprocessor=lowered_text,
            ngram_range=(2, 5),
            sublinear_tf=True,
            min_df=2,
            max_features=300_000,
        )

    def fit_transform(self, analyses: Sequence[Analysis]) -> sparse.csr_matrix:
        return self._stack(
            self.words.fit_transform(analyses), self.chars.fit_transform(analyses), analyses
        )

    def transform(self, analyses: Sequence[Analysis]) -> sparse.csr_matrix:
        return self._stack(self.words.transform(analyses), self.chars.transform(analyses), analyses)

    def _stack(self, words, chars, analyses: Sequence[Analysis]) -> sparse.csr_matrix:
        rules = sparse.csr_matrix(np.array([rule_vector(a) for a in analyses]) * RULE_WEIGHT)
        blocks = [words, chars, rules]
        if self.use_embeddings:
            from palaute.text import embeddings

            blocks.append(sparse.csr_matrix(embeddings.embed([lowered_text(a) for a in analyses])))
        return sparse.hstack(blocks, format="csr")

    def lemma_index(self) -> dict[str, int]:
        return dict(self.words.vocabulary_)


class SentimentModel:
    def __init__(self, c: float = 4.0, balanced: bool = True, use_embeddings: bool = False) -> None:
        self.features = Featuriser(use_embeddings)
        self.estimator = LogisticRegression(
            C=c, max_iter=3000, class_weight="balanced" if balanced else None
        )

    def fit(self, analyses: Sequence[Analysis], labels: Sequence[str]) -> "SentimentModel":
        self.estimator.fit(self.features.fit_transform(analyses), list(labels))
        return self

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.estimator.classes_]

    def probabilities(self, analyses: Sequence[Analysis]) -> np.ndarray:
        return self.estimator.predict_proba(self.features.transform(analyses))

    def predict(self, analyses: Sequence[Analysis]) -> list[str]:
        return [str(c) for c in self.estimator.predict(self.features.transform(analyses))]


class ThemeModel:
    def __init__(self, c: float = 4.0) -> None:
        self.features = Featuriser()
        self.binariser = MultiLabelBinarizer()
        self.estimator = OneVsRestClassifier(
            LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        )

    def fit(self, analyses: Sequence[Analysis], keys: Sequence[Sequence[str]]) -> "ThemeModel":
        targets = self.binariser.fit_transform([set(k) for k in keys])
        # A theme tagged on every comment or on none cannot be learnt; keep the others.
        learnable = [i for i in range(targets.shape[1]) if 0 < targets[:, i].sum() < len(keys)]
        self.binariser = MultiLabelBinarizer(
            classes=[self.binariser.classes_[i] for i in learnable]
        )
        self.binariser.fit([])
        if learnable:
            self.estimator.fit(self.features.fit_transform(analyses), targets[:, learnable])
        return self

    @property
    def keys(self) -> list[str]:
        return [str(k) for k in self.binariser.classes_]

    def probabilities(self, analyses: Sequence[Analysis]) -> np.ndarray:
        """Rows are comments, columns are ``keys``."""
        p = self.estimator.predict_proba(self.features.transform(analyses))
        # With one key scikit-learn answers as a binary problem: [P(absent), P(present)].
        return p[:, -len(self.keys) :]

    def drivers(self, analysis: Analysis, key: str, limit: int = 3) -> tuple[str, ...]:
        """The comment's words whose lemmas pushed ``key`` up most: the evidence to highlight,
        as they are written in the comment (the lemmas line up with its word tokens)."""
        column = self.keys.index(key)
        weights = self.estimator.estimators_[column].coef_[0]
        index = self.features.lemma_index()
        words = [t for t in tokenise(analysis.text) if is_word(t)]
        if len(words) != len(analysis.lemmas):
            words = list(analysis.lemmas)
        scored: dict[str, float] = {}
        for word, lemma in zip(words, analysis.lemmas, strict=True):
            if lemma in index and weights[index[lemma]] > 0:
                scored[word] = weights[index[lemma]]
        ranked = sorted(scored.items(), key=lambda item: -item[1])
        return tuple(word for word, _ in ranked[:limit])


@dataclass(frozen=True)
class Doubt:
    value: float  # 0 sure … 1 coin toss
    theme: str | None = None  # None: the doubt is about the sentiment
    probability: float | None = None  # the model's P(theme present)


@dataclass
class TextModel:
    sentiment: SentimentModel | None = None
    themes: ThemeModel | None = None

    def refine_many(self, analyses: Sequence[Analysis]) -> list[Analysis]:
        refined = list(analyses)
        if self.sentiment is not None:
            refined = self._refine_sentiment(refined)
        if self.themes is not None and self.themes.keys:
            refined = self._refine_themes(refined)
        return refined

    def _refine_sentiment(self, analyses: list[Analysis]) -> list[Analysis]:
        assert self.sentiment is not None
        classes = self.sentiment.classes
        probabilities = self.sentiment.probabilities(analyses)
        out = []
        for analysis, row in zip(analyses, probabilities, strict=True):
            p = dict(zip(classes, row, strict=True))
            label = classes[int(np.argmax(row))]
            score = float(p.get(POSITIVE, 0.0) - p.get(NEGATIVE, 0.0))
            out.append(replace(analysis, sentiment=label, score=score, source="model"))
        return out

    def _refine_themes(self, analyses: list[Analysis]) -> list[Analysis]:
        assert self.themes is not None
        keys = self.themes.keys
        probabilities = self.themes.probabilities(analyses)
        out = []
        for analysis, row in zip(analyses, probabilities, strict=True):
            p = dict(zip(keys, row, strict=True))
            kept = [hit for hit in analysis.themes if p.get(hit.key, 1.0) >= DROP_THEME_BELOW]
            have = {hit.key for hit in kept}
            for key in keys:
                if key not in have and p[key] >= ADD_THEME_AT:
                    kept.append(
                        ThemeHit(
                            key=key,
                            sentiment=analysis.sentiment,
                            evidence=self.themes.drivers(analysis, key),
                            source="model",
                            confidence=float(p[key]),
                        )
                    )
            out.append(replace(analysis, themes=tuple(kept)))
        return out

    def uncertainty(self, analyses: Sequence[Analysis]) -> list[float]:
        """0 (sure) … 1 (a coin toss): the least certain decision the models make per comment."""
        return [doubt.value for doubt in self.doubts(analyses)]

    def doubts(self, analyses: Sequence[Analysis]) -> list["Doubt"]:
        """Per comment, the decision the models are least sure about: a theme (with the
        model's probability that it is present) or, with ``theme=None``, the sentiment."""
        found = [Doubt(0.0) for _ in analyses]
        if not analyses:
            return found
        if self.themes is not None and self.themes.keys:
            p = self.themes.probabilities(analyses)
            closeness = 1 - np.abs(2 * p - 1)
            best = closeness.argmax(axis=1)
            for i, column in enumerate(best):
                found[i] = Doubt(
                    float(closeness[i, column]), self.themes.keys[column], float(p[i, column])
                )
        if self.sentiment is not None:
            p = np.sort(self.sentiment.probabilities(analyses), axis=1)
            margin = p[:, -1] - (p[:, -2] if p.shape[1] > 1 else 0)
            for i, m in enumerate(margin):
                if 1 - m > found[i].value:
                    found[i] = Doubt(float(1 - m))
        return found

    def to_bytes(self) -> bytes:
        return FORMAT + pickle.dumps(
            {"sklearn": sklearn.__version__, "model": self}, protocol=pickle.HIGHEST_PROTOCOL
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> "TextModel":
        """Load a model this code stored; pickle, so only ever pass bytes from our own database."""
        if not data.startswith(FORMAT):
            raise ValueError("not a Palaute text model")
        payload = pickle.loads(data[len(FORMAT) :])  # noqa: S301 - our own stored model
        model = payload["model"]
        if not isinstance(model, cls):
            raise ValueError("not a Palaute text model")
        return model


def train(
    texts: Sequence[str],
    sentiments: Sequence[str | None] | None = None,
    themes: Sequence[Sequence[str] | None] | None = None,
    fallback_language: str = "fi",
    c: float = 4.0,
    balanced: bool = True,
    use_embeddings: bool = False,
) -> TextModel:
    """Fit from labelled pairs; None marks "not labelled" for that model, so one comment can
    teach sentiment without claiming anything about themes and the other way round."""
    analyses = analyse_many(texts, fallback_language)
    return train_analyses(analyses, sentiments, themes, c, balanced, use_embeddings)


def train_analyses(
    analyses: Sequence[Analysis],
    sentiments: Sequence[str | None] | None = None,
    themes: Sequence[Sequence[str] | None] | None = None,
    c: float = 4.0,
    balanced: bool = True,
    use_embeddings: bool = False,
) -> TextModel:
    """``train`` on comments the rule pipeline has already analysed."""
    model = TextModel()
    if sentiments is not None:
        rows = [(a, s) for a, s in zip(analyses, sentiments, strict=True) if s]
        if len({s for _, s in rows}) >= 2:
            model.sentiment = SentimentModel(c, balanced, use_embeddings).fit(
                [a for a, _ in rows], [s for _, s in rows if s]
            )
    if themes is not None:
        tagged = [(a, t) for a, t in zip(analyses, themes, strict=True) if t is not None]
        if tagged:
            theme_model = ThemeModel(c).fit([a for a, _ in tagged], [t for _, t in tagged])
            model.themes = theme_model if theme_model.keys else None
    return model


MIN_TO_EVALUATE = 20


def cross_validate(
    texts: Sequence[str],
    sentiments: Sequence[str | None],
    themes: Sequence[Sequence[str] | None],
    fallback_language: str = "fi",
    folds: int = 5,
    seed: int = 0,
) -> dict[str, float | int]:
    """How well training on these labels predicts held-out ones (k-fold), judged as the whole
    system works: rule analysis refined by the model trained on the other folds.

    Returns ``sentiment_accuracy`` over the comments with a sentiment label and ``theme_f1``
    (micro-averaged over theme keys) over the comments with theme labels, with their counts;
    empty when there are fewer than ``MIN_TO_EVALUATE`` examples."""
    n = len(texts)
    if n < MIN_TO_EVALUATE:
        return {}
    analyses = analyse_many(texts, fallback_language)
    order = np.random.default_rng(seed).permutation(n)
    correct = judged = tp = fp = fn = 0
    for fold in range(folds):
        held = set(order[fold::folds].tolist())
        train_idx = [i for i in range(n) if i not in held]
        test_idx = sorted(held)
        model = train_analyses(
            [analyses[i] for i in train_idx],
            [sentiments[i] for i in train_idx],
            [themes[i] for i in train_idx],
        )
        refined = model.refine_many([analyses[i] for i in test_idx])
        for i, result in zip(test_idx, refined, strict=True):
            if sentiments[i]:
                judged += 1
                correct += result.sentiment == sentiments[i]
            gold = themes[i]
            if gold is not None:
                predicted = result.theme_keys()
                tp += len(predicted & set(gold))
                fp += len(predicted - set(gold))
                fn += len(set(gold) - predicted)
    scores: dict[str, float | int] = {"folds": folds}
    if judged:
        scores["sentiment_accuracy"] = correct / judged
        scores["sentiment_examples"] = judged
    if tp + fp + fn:
        scores["theme_f1"] = 2 * tp / (2 * tp + fp + fn)
        scores["theme_examples"] = sum(1 for t in themes if t is not None)
    return scores
