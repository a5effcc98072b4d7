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
        """The comment's lemmas that pushed ``key`` up most: the evidence to highlight."""
        column = self.keys.index(key)
        weights = self.estimator.estimators_[column].coef_[0]
        index = self.features.lemma_index()
        scored = {lemma: weights[index[lemma]] for lemma in analysis.lemmas if lemma in index}
        ranked = sorted((w, lemma) for lemma, w in scored.items() if w > 0)
        return tuple(lemma for _, lemma in reversed(ranked[-limit:]))


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
        worst = np.zeros(len(analyses))
        if self.themes is not None and self.themes.keys and analyses:
            p = self.themes.probabilities(analyses)
            worst = np.maximum(worst, (1 - np.abs(2 * p - 1)).max(axis=1))
        if self.sentiment is not None and analyses:
            p = np.sort(self.sentiment.probabilities(analyses), axis=1)
            margin = p[:, -1] - (p[:, -2] if p.shape[1] > 1 else 0)
            worst = np.maximum(worst, 1 - margin)
        return [float(x) for x in worst]

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
