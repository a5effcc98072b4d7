"""Driver analysis: which themes and rated attributes move a survey's headline score, and which
of them to fix first (importance × performance).

Method (docs/text-analytics.md, "Driver analysis"):

* **Outcome**, one value per response whose mean is the survey's headline figure, so effects
  read in the units people know: NPS → +100 promoter / 0 passive / −100 detractor (NPS points);
  CSAT → 100 if 4–5 (percentage points satisfied); smiley → the 0–100 smiley index; CES → 100 if
  1–3 (percentage points who found it easy); ratings → the score scaled to 0–100.
* **Predictors**: per theme, "mentioned negatively" and "mentioned positively" in the response's
  comments (0/1; a mixed mention sets both), and every other scored question of the survey on
  a 0–100 "goodness" scale (CES reversed; an unanswered one gets the mean of the answered ones).
  A predictor needs ``MIN_FLAGGED`` responses with the flag (or answers) to enter the model;
  themes with fewer mentions are listed as too few to judge.
* **Importance**: Johnson's (2000) relative weights, which split the regression's R² among
  correlated predictors; shown as the % of the explained variance. A theme's importance is the
  sum over its two flags. **Effects** are the multiple-regression coefficients: how many outcome
  points a negative (or positive) mention goes with, others held equal, or the change per
  scale step of an attribute. **95 % intervals** for both come from ``BOOTSTRAP_ROUNDS``
  bootstrap resamples of the responses (percentile intervals, fixed seed, so a page is stable).
  A driver is **clear** when an effect's interval excludes 0; unclear drivers are never advice.
* **Performance**: a theme's share of positive among its signed mentions; an attribute's mean
  goodness 0–100. Quadrants are split at the mean importance and mean performance of the
  drivers shown (classic importance–performance analysis).
* **Sample**: the newest ``SAMPLE_CAP`` responses in the period; ``n`` is always reported.

This is association, not proof of cause: a theme that comes up when people are unhappy for
another reason will look important too. The page says so.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Case, IntegerField, Max, Value, When

from palaute.surveys.models import Response, Survey
from palaute.surveys.publishing import current_definition

MIN_FLAGGED = 30
MIN_RESPONSES = 100
SAMPLE_CAP = 50_000
BOOTSTRAP_ROUNDS = 200
SEED = 6

SCORED_KINDS = ("nps", "csat", "smiley", "ces", "rating", "expectation_experience")
OUTCOME_PREFERENCE = ("nps", "csat", "smiley", "ces", "rating", "expectation_experience")
# A mixed mention ("quick service but a long queue") carries a complaint: it counts as negative.
NEGATIVE = ("negative", "mixed")
POSITIVE = ("positive",)


# --- scales (pure) ----------------------------------------------------------------------------


def outcome_values(kind: str, scores: np.ndarray, bounds: tuple[int, int]) -> np.ndarray:
    """Per-response outcome whose mean is the headline figure of ``kind``."""
    s = scores.astype(float)
    if kind == "nps":
        return np.where(s >= 9, 100.0, np.where(s >= 7, 0.0, -100.0))
    if kind == "csat":
        return np.where(s >= 4, 100.0, 0.0)
    if kind == "ces":
        return np.where(s <= 3, 100.0, 0.0)
    return goodness_values(kind, s, bounds)


def goodness_values(kind: str, scores: np.ndarray, bounds: tuple[int, int]) -> np.ndarray:
    """Scores on 0–100 where higher is better (CES, an effort scale, is reversed)."""
    low, high = bounds
    span = (high - low) or 1
    fraction = (scores.astype(float) - low) / span
    return 100 * (1 - fraction if kind == "ces" else fraction)


# --- relative weights (pure) ------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    weights: np.ndarray  # relative weights, summing to r2
    r2: float
    adjusted: np.ndarray  # multiple-regression coefficients (others held equal)
    simple: np.ndarray  # one-predictor slopes: for a 0/1 flag, mean(y | 1) − mean(y | 0)


def relative_weights(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> Fit:
    """Johnson's relative weights of the columns of ``X`` for ``y``, rows weighted by ``w``
    (frequency weights), with the regression coefficients in the units of X and y. Constant
    columns get weight and coefficients 0."""
    total = w.sum()
    mx = (w @ X) / total
    my = (w @ y) / total
    xc = X - mx
    yc = y - my
    weighted = xc * w[:, None]
    sxx = weighted.T @ xc / total
    sxy = weighted.T @ yc / total
    syy = float(w @ (yc * yc)) / total
    p = X.shape[1]
    variances = np.clip(np.diag(sxx), 0, None)
    sd = np.sqrt(variances)
    live = sd > 1e-9
    weights = np.zeros(p)
    adjusted = np.zeros(p)
    simple = np.zeros(p)
    if syy <= 0 or not live.any():
        return Fit(weights, 0.0, adjusted, simple)
    idx = np.flatnonzero(live)
    simple[idx] = sxy[idx] / variances[idx]
    corr = sxx[np.ix_(idx, idx)] / np.outer(sd[idx], sd[idx])
    r = sxy[idx] / (sd[idx] * np.sqrt(syy))
    eigen, vectors = np.linalg.eigh(corr)
    eigen = np.clip(eigen, 1e-10, None)
    root = vectors @ np.diag(np.sqrt(eigen)) @ vectors.T
    beta = vectors @ np.diag(1 / np.sqrt(eigen)) @ vectors.T @ r
    weights[idx] = (root**2) @ (beta**2)
    adjusted[idx] = np.linalg.lstsq(sxx[np.ix_(idx, idx)], sxy[idx], rcond=None)[0]
    return Fit(weights, float(weights.sum()), adjusted, simple)


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class Column:
    """One predictor column: a theme's negative or positive flag, or an attribute."""

    driver: str  # "theme:schedule" or "attribute:coffee"
    role: str  # "negative", "positive" or "attribute"
    n: int  # responses with the flag, or with an answer


@dataclass(frozen=True)
class Effect:
    role: str
    n: int
    effect: Interval  # difference in outcome points with the mention (per step of a question)
    adjusted: Interval  # the same with the other drivers held equal (multiple regression)
    share: Interval  # % of the explained variance

    @property
    def clear(self) -> bool:
        """Both the plain and the adjusted effect exclude zero, in the same direction: a
        driver whose adjusted effect only appears because it travels with another (collinear
        themes) or that vanishes once others are held equal is not called clear."""
        return (
            self.effect.excludes_zero
            and self.adjusted.excludes_zero
            and (self.effect.value > 0) == (self.adjusted.value > 0)
        )


@dataclass
class Driver:
    key: str  # "theme:schedule" / "attribute:coffee"
    kind: str  # "theme" | "attribute"
    name: str  # theme key or question key
    n: int
    performance: float | None  # 0–100
    importance: Interval | None = None  # % of the explained variance
    effects: list[Effect] = field(default_factory=list)
    quadrant: str = ""  # fix_first | keep_up | low_priority | strength

    @property
    def clear(self) -> bool:
        return any(e.clear for e in self.effects)


@dataclass
class DriverResult:
    outcome_key: str
    outcome_kind: str
    n: int  # responses with the outcome in the sample
    capped: bool  # the period had more responses than SAMPLE_CAP
    r2: Interval | None
    drivers: list[Driver]  # in the model, most important first
    too_few: list[Driver]  # mentioned, but too rarely to judge
    importance_mid: float = 0.0
    performance_mid: float = 50.0

    @property
    def enough(self) -> bool:
        return self.r2 is not None

    @property
    def fix_first(self) -> list[Driver]:
        return [d for d in self.drivers if d.quadrant == "fix_first" and d.clear]

    @property
    def keep_up(self) -> list[Driver]:
        return [d for d in self.drivers if d.quadrant == "keep_up" and d.clear]


# --- the analysis (pure) ----------------------------------------------------------------------


@dataclass
class DriverInput:
    """Per-response rows: the outcome, theme flags and attribute goodness (NaN = unanswered)."""

    outcome_key: str
    outcome_kind: str
    y: np.ndarray  # outcome values
    flags: dict[str, tuple[np.ndarray, np.ndarray]]  # theme -> (negative 0/1, positive 0/1)
    attributes: dict[str, np.ndarray]  # question key -> goodness 0–100 or NaN
    attribute_steps: dict[str, float] = field(default_factory=dict)  # goodness per scale step
    capped: bool = False


def _interval(samples: np.ndarray, value: float) -> Interval:
    low, high = np.percentile(samples, [2.5, 97.5])
    return Interval(float(value), float(low), float(high))


KINDS = ("theme", "attribute")


def analyse(
    data: DriverInput,
    kinds: Sequence[str] = KINDS,
    min_flagged: int = MIN_FLAGGED,
    min_responses: int = MIN_RESPONSES,
    rounds: int = BOOTSTRAP_ROUNDS,
    seed: int = SEED,
) -> DriverResult:
    """Rank the drivers of ``kinds`` (themes, attributes or both) by relative importance."""
    n = len(data.y)
    columns: list[Column] = []
    values: list[np.ndarray] = []
    drivers: dict[str, Driver] = {}
    too_few: list[Driver] = []
    if "theme" in kinds:
        for theme, (negative, positive) in data.flags.items():
            _add_theme(theme, negative, positive, n, min_flagged, columns, values, drivers, too_few)
    if "attribute" in kinds:
        for key, goodness in data.attributes.items():
            _add_attribute(key, goodness, min_flagged, columns, values, drivers, too_few)
    too_few.sort(key=lambda d: -d.n)
    result = DriverResult(data.outcome_key, data.outcome_kind, n, data.capped, None, [], too_few)
    if n < min_responses or not columns or np.ptp(data.y) == 0:
        result.too_few = sorted([*drivers.values(), *too_few], key=lambda d: -d.n)
        return result

    # Identical rows collapse into one with a count: a bootstrap resample is then a multinomial
    # draw over the distinct rows, which is the same thing and much faster.
    rows, counts = np.unique(np.column_stack([data.y, *values]), axis=0, return_counts=True)
    y_u, X_u = rows[:, 0], rows[:, 1:]
    counts = counts.astype(float)
    fit = relative_weights(X_u, y_u, counts)
    rng = np.random.default_rng(seed)
    boot = [
        relative_weights(X_u, y_u, rng.multinomial(n, counts / n).astype(float))
        for _ in range(rounds)
    ]
    boot_r2 = np.array([b.r2 for b in boot])
    boot_shares = np.array([100 * b.weights / b.r2 if b.r2 > 0 else b.weights for b in boot])
    boot_simple = np.array([b.simple for b in boot])
    boot_adjusted = np.array([b.adjusted for b in boot])
    shares = 100 * fit.weights / fit.r2 if fit.r2 > 0 else np.zeros_like(fit.weights)
    result.r2 = _interval(boot_r2, fit.r2)
    for j, column in enumerate(columns):
        driver = drivers[column.driver]
        step = data.attribute_steps.get(driver.name, 1.0) if column.role == "attribute" else 1.0
        driver.effects.append(
            Effect(
                column.role,
                column.n,
                _interval(boot_simple[:, j] * step, fit.simple[j] * step),
                _interval(boot_adjusted[:, j] * step, fit.adjusted[j] * step),
                _interval(boot_shares[:, j], shares[j]),
            )
        )
    for key, driver in drivers.items():
        idx = [j for j, c in enumerate(columns) if c.driver == key]
        driver.importance = _interval(boot_shares[:, idx].sum(axis=1), shares[idx].sum())
    result.drivers = sorted(drivers.values(), key=lambda d: -_importance(d))
    _place(result)
    return result


def _importance(driver: Driver) -> float:
    return driver.importance.value if driver.importance is not None else 0.0


def _add_theme(theme, negative, positive, n, min_flagged, columns, values, drivers, too_few):
    n_neg, n_pos = int(negative.sum()), int(positive.sum())
    signed = n_neg + n_pos
    performance = 100 * n_pos / signed if signed else None
    mentioned = int(((negative + positive) > 0).sum())
    driver = Driver(f"theme:{theme}", "theme", theme, mentioned, performance)
    entered = False
    for role, flag, count in (("negative", negative, n_neg), ("positive", positive, n_pos)):
        if min_flagged <= count <= n - min_flagged:
            columns.append(Column(driver.key, role, count))
            values.append(flag.astype(float))
            entered = True
    if entered:
        drivers[driver.key] = driver
    elif driver.n:
        too_few.append(driver)


def _add_attribute(key, goodness, min_flagged, columns, values, drivers, too_few):
    answered = ~np.isnan(goodness)
    count = int(answered.sum())
    driver = Driver(f"attribute:{key}", "attribute", key, count, None)
    if count < min_flagged:
        if count:
            too_few.append(driver)
        return
    mean = float(goodness[answered].mean())
    driver.performance = mean
    columns.append(Column(driver.key, "attribute", count))
    values.append(np.where(answered, goodness, mean))
    drivers[driver.key] = driver


MIN_FOR_MEAN_SPLIT = 3


def _place(result: DriverResult) -> None:
    """Quadrants: importance split at the mean share (100 % / number of drivers), performance
    at the drivers' mean performance (at 50 with fewer than three drivers, where a mean of one
    or two says nothing)."""
    shown = [d for d in result.drivers if d.importance is not None and d.performance is not None]
    if not shown:
        return
    result.importance_mid = float(np.mean([_importance(d) for d in shown]))
    performances = [d.performance for d in shown if d.performance is not None]
    result.performance_mid = (
        float(np.mean(performances)) if len(performances) >= MIN_FOR_MEAN_SPLIT else 50.0
    )
    for d in shown:
        important = _importance(d) >= result.importance_mid
        good = (d.performance or 0.0) >= result.performance_mid
        if important:
            d.quadrant = "keep_up" if good else "fix_first"
        else:
            d.quadrant = "strength" if good else "low_priority"


# --- fetching the data (one aggregate query) --------------------------------------------------


def scored_questions(survey: Survey) -> list[tuple[str, str, tuple[int, int]]]:
    """(key, kind, bounds) of the survey's scored questions, in the current definition."""
    current = current_definition(survey)
    if current is None:
        return []
    _version, definition = current
    return [
        (q.key, q.type, q.bounds)
        for q in definition.questions
        if q.type in SCORED_KINDS and q.bounds is not None
    ]


def default_outcome(questions: Sequence[tuple[str, str, tuple[int, int]]]) -> str | None:
    for kind in OUTCOME_PREFERENCE:
        for key, k, _bounds in questions:
            if k == kind:
                return key
    return None


def _moment(day: dt.date, time_zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zoneinfo.ZoneInfo(time_zone))


def load(
    survey: Survey,
    outcome_key: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    cap: int = SAMPLE_CAP,
) -> DriverInput | None:
    """Per-response outcome, theme flags and attributes for the newest ``cap`` responses of the
    survey in the period, from one GROUP BY query (conditional aggregation over the response's
    answers and theme mentions). None when ``outcome_key`` is not a scored question."""
    questions = scored_questions(survey)
    by_key = {key: (kind, bounds) for key, kind, bounds in questions}
    if outcome_key not in by_key:
        return None
    outcome_kind, outcome_bounds = by_key[outcome_key]
    attributes = [(k, kind, b) for k, kind, b in questions if k != outcome_key]
    time_zone = survey.organisation.time_zone
    responses = Response.objects.filter(survey=survey, flagged="")
    if start is not None:
        responses = responses.filter(submitted_at__gte=_moment(start, time_zone))
    if end is not None:
        responses = responses.filter(
            submitted_at__lt=_moment(end + dt.timedelta(days=1), time_zone)
        )
    cutoff = list(
        responses.order_by("-submitted_at").values_list("submitted_at", flat=True)[cap - 1 : cap]
    )
    capped = bool(cutoff)
    if capped:
        responses = responses.filter(submitted_at__gte=cutoff[0])
    from palaute.text.models import ThemeMention  # the text app builds on surveys, not insights

    themes = sorted(
        ThemeMention.objects.filter(survey=survey)
        .order_by()
        .values_list("theme_key", flat=True)
        .distinct()
    )
    annotations = {"y": _score_of(outcome_key)}
    for i, (key, _kind, _bounds) in enumerate(attributes):
        annotations[f"a{i}"] = _score_of(key)
    for i, theme in enumerate(themes):
        annotations[f"n{i}"] = _flag(theme, NEGATIVE)
        annotations[f"p{i}"] = _flag(theme, POSITIVE)
    rows = list(
        responses.order_by()
        .values("pk")
        .annotate(**annotations)
        .filter(y__isnull=False)  # type: ignore[misc]  # an annotation, not a field
        .values_list(*annotations)
    )
    matrix = np.array(rows, dtype=float).reshape(len(rows), len(annotations))
    y = outcome_values(outcome_kind, matrix[:, 0], outcome_bounds)
    column = 1
    attribute_values: dict[str, np.ndarray] = {}
    steps: dict[str, float] = {}
    for key, kind, bounds in attributes:
        raw = matrix[:, column]
        attribute_values[key] = np.where(
            np.isnan(raw), np.nan, goodness_values(kind, np.nan_to_num(raw), bounds)
        )
        steps[key] = 100 / ((bounds[1] - bounds[0]) or 1)
        column += 1
    flags = {}
    for i, theme in enumerate(themes):
        flags[theme] = (matrix[:, column + 2 * i], matrix[:, column + 2 * i + 1])
    return DriverInput(outcome_key, outcome_kind, y, flags, attribute_values, steps, capped=capped)


def _score_of(question_key: str) -> Max:
    return Max(Case(When(answers__question_key=question_key, then="answers__score")))


def _flag(theme: str, sentiments: tuple[str, ...]) -> Max:
    return Max(
        Case(
            When(
                theme_mentions__theme_key=theme,
                theme_mentions__sentiment__in=sentiments,
                then=Value(1),
            ),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
