import math
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import translation

from palaute.accounts.tests.helpers import make_location, make_stage, make_touchpoint
from palaute.lib import stats
from palaute.reviews import trends
from palaute.reviews.incoming import IncomingReview
from palaute.reviews.models import Review, ReviewSource, SourceKind
from palaute.reviews.store import mark_replied, record_review

pytestmark = pytest.mark.django_db
T975_DF5 = 2.5705818366147395  # Student t, 97.5th percentile, 5 degrees of freedom


def _add(source, key, rating, at, replied_after=None):
    review = record_review(
        source, IncomingReview(external_id=key, reviewed_at=at, rating=rating)
    ).review
    if replied_after is not None:
        mark_replied(review, at + replied_after)
        review.save()
    return review


@pytest.fixture
def source(org, touchpoint):
    return ReviewSource.objects.create(
        organisation=org, kind=SourceKind.IMPORT, name="Tripadvisor", touchpoint=touchpoint
    )


def test_monthly_means_intervals_and_reply_figures_match_a_hand_computation(org, source):
    may = datetime(2024, 5, 10, 9, 0, tzinfo=UTC)
    june = datetime(2024, 6, 10, 9, 0, tzinfo=UTC)
    for i, (rating, replied) in enumerate([(5, 1), (4, None), (1, 3)]):
        _add(source, f"may{i}", rating, may, timedelta(hours=replied) if replied else None)
    # 31 May 22:30 UTC is already June in Helsinki (UTC+3): it belongs to June.
    _add(source, "edge", 3, datetime(2024, 5, 31, 22, 30, tzinfo=UTC), timedelta(hours=2))
    for i, rating in enumerate([4, 4, 4, 4, 5]):
        _add(source, f"jun{i}", rating, june)
    Review.objects.filter(external_id="may2").update(recovered_at=june)

    [row] = trends.location_trends(org, date(2024, 5, 1), date(2024, 6, 30))
    assert row.label == "Kota" and row.reviews == 9
    may_point, june_point = row.months
    assert (may_point.start, june_point.start) == (date(2024, 5, 1), date(2024, 6, 1))

    # May: 5, 4, 1 → n 3, mean 10/3; with one spread this large the interval is the scale.
    assert may_point.summary.n == 3
    assert may_point.summary.headline.value == pytest.approx(10 / 3)
    # June: 3, 4, 4, 4, 4, 5 → mean 4, s² = 2/5, se = √(0.4/6), ±t(5)·se.
    june_mean = june_point.summary.headline
    se = math.sqrt(0.4 / 6)
    assert june_point.summary.n == 6 and june_mean.value == pytest.approx(4.0)
    assert june_mean.low == pytest.approx(4 - T975_DF5 * se)
    assert june_mean.high == pytest.approx(4 + T975_DF5 * se)
    # The same as lib.stats.mean_t on the histogram.
    reference = stats.mean_t({3: 1, 4: 4, 5: 1}, 1, 5)
    assert (june_mean.low, june_mean.high) == pytest.approx((reference.low, reference.high))

    # Replied 3 of 9: 1 h, 3 h, 2 h → median 2 h; Wilson interval for 3/9.
    assert row.replied == 3 and row.median_response_s == 7200
    assert row.reply_rate.value == pytest.approx(100 / 3)
    assert row.reply_rate.low == pytest.approx(stats.wilson(3, 9).low)
    assert row.recoveries == 1
    totals = trends.totals(org, date(2024, 5, 1), date(2024, 6, 30))
    assert (totals.reviews, totals.replied, totals.recoveries) == (9, 3, 1)
    assert totals.stars.value == pytest.approx(34 / 9)


def test_locations_are_kept_apart_and_other_organisations_do_not_count(org, source):
    from palaute.accounts.tests.helpers import make_org

    stage = make_stage(org, "purchase", 1)
    harbour = make_touchpoint(stage, "harbour", location=make_location(org, "Satama"))
    at = datetime(2024, 5, 10, tzinfo=UTC)
    _add(source, "a", 5, at)
    other_source = ReviewSource.objects.create(
        organisation=org, kind=SourceKind.IMPORT, name="Booking", touchpoint=harbour
    )
    _add(other_source, "b", 1, at)
    _add(
        ReviewSource.objects.create(organisation=org, kind=SourceKind.IMPORT, name="X"), "c", 2, at
    )
    stranger = make_org("muu")
    _add(
        ReviewSource.objects.create(organisation=stranger, kind=SourceKind.IMPORT, name="X"),
        "d",
        1,
        at,
    )

    with translation.override("en"):
        rows = trends.location_trends(org, date(2024, 5, 1), date(2024, 5, 31))
    assert [(r.label, r.reviews, r.overall.value) for r in rows] == [
        ("Kota", 1, 5.0),
        ("Satama", 1, 1.0),
        ("No location", 1, 2.0),
    ]


def test_mean_from_moments_handles_small_samples():
    assert trends.mean_from_moments(0, 0, 0).value is None
    one = trends.mean_from_moments(1, 4, 16)
    assert (one.value, one.low, one.high) == (4, 1.0, 5.0)
    same = trends.mean_from_moments(3, 15, 75)
    assert (same.low, same.high) == (5.0, 5.0)
