"""Driver analysis finds the driver that was planted in synthetic data, says how sure it is,
and refuses to judge on too little data."""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from palaute.insights import drivers
from palaute.text.models import ThemeMention
from palaute.text.tests.helpers import add_response, make_text_org, make_text_survey, text_answer


def synthetic(n: int = 3000, seed: int = 3) -> drivers.DriverInput:
    """NPS answers where a negative schedule mention costs 3 points on the 0–10 scale, a
    positive product mention adds one, and staff mentions do nothing."""
    rng = np.random.default_rng(seed)
    schedule = rng.random(n) < 0.15
    product = rng.random(n) < 0.25
    staff = rng.random(n) < 0.10
    score = np.clip(np.round(rng.normal(8.6, 1.1, n) - 3 * schedule + 1 * product), 0, 10)
    zeros = np.zeros(n)
    speed = np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 6, n).astype(float))
    return drivers.DriverInput(
        outcome_key="nps",
        outcome_kind="nps",
        y=drivers.outcome_values("nps", score, (0, 10)),
        flags={
            "schedule": (schedule.astype(float), zeros),
            "product_quality": (zeros, product.astype(float)),
            "staff": (staff.astype(float), zeros),
        },
        attributes={"speed": drivers.goodness_values("rating", speed, (1, 5))},
        attribute_steps={"speed": 25.0},
    )


def test_the_planted_driver_ranks_first_with_an_interval_that_excludes_zero():
    result = drivers.analyse(synthetic())
    first = result.drivers[0]
    assert first.key == "theme:schedule"
    (effect,) = first.effects
    assert effect.role == "negative" and effect.clear
    assert effect.effect.high < 0 and effect.adjusted.high < 0
    assert first.importance.low > 50  # most of what is explained
    assert first.quadrant == "fix_first"
    assert result.fix_first == [first]
    assert result.r2.low > 0


def test_a_theme_without_effect_and_a_random_rating_are_not_called_clear():
    result = drivers.analyse(synthetic())
    by_key = {d.key: d for d in result.drivers}
    assert not by_key["theme:staff"].clear
    assert not by_key["attribute:speed"].clear
    product = by_key["theme:product_quality"]
    assert product.clear and product.effects[0].effect.low > 0
    assert product.performance == 100.0  # only positive mentions


def test_relative_weights_add_up_to_the_regression_r2():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    X[:, 1] += 0.6 * X[:, 0]  # correlated predictors
    y = 2 * X[:, 0] + X[:, 1] + rng.normal(size=500)
    fit = drivers.relative_weights(X, y, np.ones(500))
    design = np.column_stack([np.ones(500), X])
    residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    r2 = 1 - residual.var() / y.var()
    assert fit.r2 == pytest.approx(r2, abs=1e-9)
    assert fit.weights.sum() == pytest.approx(r2, abs=1e-9)
    assert fit.adjusted[:2] == pytest.approx([2, 1], abs=0.15)


def test_rare_themes_are_listed_as_too_few_and_small_samples_are_not_analysed():
    data = synthetic(n=3000)
    rare = np.zeros(3000)
    rare[:5] = 1
    data.flags["ambience"] = (rare, np.zeros(3000))
    result = drivers.analyse(data)
    assert [d.key for d in result.too_few] == ["theme:ambience"]
    assert result.too_few[0].n == 5

    small = drivers.analyse(synthetic(n=80))
    assert not small.enough and small.r2 is None and small.drivers == []


def test_themes_and_questions_can_be_ranked_separately():
    data = synthetic()
    themes = drivers.analyse(data, kinds=("theme",))
    questions = drivers.analyse(data, kinds=("attribute",))
    assert {d.kind for d in themes.drivers} == {"theme"}
    assert [d.key for d in questions.drivers] == ["attribute:speed"]


def test_outcome_values_are_in_headline_units():
    scores = np.array([0, 6, 7, 8, 9, 10])
    assert list(drivers.outcome_values("nps", scores, (0, 10))) == [-100, -100, 0, 0, 100, 100]
    assert list(drivers.outcome_values("csat", np.array([3, 4]), (1, 5))) == [0, 100]
    assert list(drivers.outcome_values("ces", np.array([3, 4]), (1, 7))) == [100, 0]
    assert list(drivers.goodness_values("ces", np.array([1, 7]), (1, 7))) == [100, 0]


def _mention(response, key: str, sentiment: str) -> None:
    answer = text_answer(response)
    ThemeMention.objects.create(
        organisation_id=response.organisation_id,
        answer=answer,
        response=response,
        survey_id=response.survey_id,
        touchpoint_id=response.touchpoint_id,
        day=response.submitted_at.date(),
        theme_key=key,
        sentiment=sentiment,
        source="rule",
    )


@pytest.mark.django_db
def test_loaded_from_the_database_schedule_complaints_lowering_nps_by_three_rank_first():
    org = make_text_org("drivers")
    survey = make_text_survey(org)
    other = make_text_survey(org, key="other")
    rng = np.random.default_rng(7)
    now = timezone.now()
    for i in range(400):
        late = i % 5 == 0
        score = int(np.clip(round(rng.normal(8.7, 1.0)) - (3 if late else 0), 0, 10))
        response = add_response(
            survey,
            nps=score,
            speed=int(rng.integers(1, 6)),
            text="Jono oli pitkä" if late else "Kävin kahvilla",
            when=now - dt.timedelta(hours=i),
        )
        if late:
            _mention(response, "schedule", "negative")
        elif i % 3 == 0:
            _mention(response, "staff", "positive")
    # Mentions in another survey of the organisation do not leak in.
    for i in range(50):
        response = add_response(other, nps=0, text="Jono", when=now - dt.timedelta(hours=i))
        _mention(response, "price_value", "negative")

    data = drivers.load(survey, "nps")
    assert data is not None and len(data.y) == 400
    assert data.flags["schedule"][0].sum() == 80
    assert "price_value" not in data.flags
    result = drivers.analyse(data)
    assert result.drivers[0].key == "theme:schedule"
    assert result.drivers[0].effects[0].clear
    assert result.drivers[0].effects[0].effect.high < 0

    capped = drivers.load(survey, "nps", cap=100)
    assert capped.capped and len(capped.y) == 100
    assert drivers.load(survey, "why") is None  # a text question is no outcome
