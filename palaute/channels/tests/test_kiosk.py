"""The kiosk's domain: which surveys a kiosk can show, batch sync of taps (created,
duplicate, invalid, time bounds) and button-mashing flags that stay out of the metrics."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from palaute.channels import kiosk, mashing
from palaute.channels.mashing import TapTime
from palaute.insights import metrics
from palaute.insights.models import ScoreCount
from palaute.insights.rollup import rebuild
from palaute.surveys.definition import SurveyDefinition
from palaute.surveys.models import Answer, Response
from palaute.surveys.publishing import publish_version
from palaute.surveys.tests.helpers import (
    NPS_WHY,
    definition,
    make_org,
    make_survey,
    make_touchpoint,
    question,
)

pytestmark = pytest.mark.django_db

KIOSK = definition(
    question("smiley", "smiley", required=True),
    question("why", "text", show_if={"question": "smiley", "op": "lte", "value": 2}),
)
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
DEVICE = "tablet-counter-1"


def tap(face=4, at=NOW, **extra):
    data = {
        "id": str(uuid.uuid4()),
        "tapped_at": at.isoformat().replace("+00:00", "Z"),
        "answers": {"smiley": face},
        "language": "fi",
    }
    data.update(extra)
    return data


def sync(survey, taps, device=DEVICE, now=NOW, sent_at=None):
    return kiosk.sync_taps(survey, kiosk.Batch(device, taps, sent_at), now=now)


def statuses(results):
    return [result.status for result in results]


def smiley_summary(survey):
    scope = metrics.Scope(
        organisation_id=survey.organisation_id, survey_id=survey.pk, question_key="smiley"
    )
    return metrics.summary(scope, "smiley")


def counts(survey):
    return sorted(
        ScoreCount.objects.filter(survey_id=survey.pk, n__gt=0).values_list(
            "question_key", "channel", "day", "score", "n"
        )
    )


@pytest.fixture
def survey():
    return make_survey(KIOSK)


# ------------------------------------------------------------------- what a kiosk shows


def test_follow_up_follows_the_survey_branching():
    data = definition(
        question("smiley", "smiley"),
        question("why", "text", show_if={"question": "smiley", "op": "lte", "value": 2}),
        question("best", "text", show_if={"question": "smiley", "op": "gte", "value": 4}),
        question("ok", "consent"),
    )
    asked = kiosk.kiosk_questions(SurveyDefinition.model_validate(data))
    assert {face: q.key if q else None for face, q in asked.follow_up.items()} == {
        1: "why",
        2: "why",
        3: None,
        4: "best",
    }
    assert kiosk.skipped_questions(SurveyDefinition.model_validate(data), asked) == ["ok"]


@pytest.mark.parametrize(
    "data, words",
    [
        (NPS_WHY, "first question must be a smiley"),
        (
            definition(question("smiley", "smiley"), question("why", "text", required=True)),
            "“why” is required",
        ),
    ],
)
def test_surveys_a_kiosk_cannot_run_say_why(data, words):
    with translation.override("en"), pytest.raises(kiosk.KioskUnsupported, match=words):
        kiosk.kiosk_questions(SurveyDefinition.model_validate(data))


# -------------------------------------------------------------------------- batch sync


def test_a_batch_is_stored_and_a_repeat_is_duplicate(survey):
    taps = [tap(4, NOW - timedelta(minutes=3)), tap(1, NOW, answers={"smiley": 1, "why": " Jono "})]
    assert statuses(sync(survey, taps)) == ["created", "created"]
    assert statuses(sync(survey, taps)) == ["duplicate", "duplicate"]

    responses = Response.objects.filter(survey=survey).order_by("submitted_at")
    assert responses.count() == 2
    first, second = responses
    assert first.channel == "kiosk" and first.device_id == DEVICE
    assert first.submitted_at == NOW - timedelta(minutes=3)  # the tap time, not arrival
    assert first.touchpoint == survey.touchpoint and first.flagged == ""
    assert first.idempotency_key == taps[0]["id"]
    assert Answer.objects.get(response=second, question_key="why").text == "Jono"
    assert smiley_summary(survey).n == 2


def test_the_same_tap_twice_in_one_batch_is_stored_once(survey):
    one = tap()
    assert statuses(sync(survey, [one, dict(one)])) == ["created", "duplicate"]
    assert Response.objects.count() == 1


def test_invalid_taps_are_reported_and_the_rest_stored(survey):
    taps = [
        tap(4),
        tap(4, id="not-a-uuid"),
        tap(4, tapped_at="2025-06-02T09:00:00"),
        tap(5),
        tap(4, answers={"smiley": 3, "nps": 9}),
        tap(4, answers={"why": "no face"}),
        tap(4, language="de"),
        tap(4, colour="red"),
        "not an object",
    ]
    results = sync(survey, taps)
    assert statuses(results) == ["created"] + ["invalid"] * 8
    errors = [result.errors for result in results]
    assert errors[1] == {"id": "must be a UUID"}
    assert errors[2] == {"tapped_at": "must include a time zone (e.g. Z or +02:00)"}
    assert list(errors[3]) == ["answers.smiley"]
    assert errors[4] == {"answers.nps": "a kiosk does not ask this question"}
    assert errors[5] == {"answers.smiley": "the face is missing"}
    assert list(errors[6]) == ["language"]
    assert errors[7] == {"colour": "unknown field"}
    assert errors[8] == {"tap": "must be a JSON object"}
    assert results[1].id == "not-a-uuid" and results[8].id is None
    assert Response.objects.count() == 1


def test_a_comment_for_a_face_that_is_not_asked_why_is_dropped(survey):
    results = sync(survey, [tap(4, answers={"smiley": 4, "why": "great"})])
    assert statuses(results) == ["created"]
    assert list(Answer.objects.values_list("question_key", flat=True)) == ["smiley"]


@pytest.mark.parametrize(
    "offset, status",
    [
        (timedelta(minutes=4, seconds=59), "created"),
        (timedelta(minutes=5, seconds=1), "invalid"),
        (-timedelta(days=29, hours=23), "created"),
        (-timedelta(days=30, minutes=1), "invalid"),
    ],
)
def test_tap_time_bounds(survey, offset, status):
    results = sync(survey, [tap(3, NOW + offset)])
    assert statuses(results) == [status]
    if status == "invalid":
        assert list(results[0].errors) == ["tapped_at"]


def test_a_tablet_clock_that_is_off_is_corrected_from_the_send_time(survey):
    # The tablet's clock runs two days behind. Corrected, a tap that looks 31 days old is
    # 29 days old and kept; one that looks 33 days old is really 31 and refused.
    skew = timedelta(days=2)
    device_time = NOW - skew
    taps = [
        tap(4, device_time - timedelta(minutes=10)),
        tap(3, device_time - timedelta(days=29)),
        tap(2, device_time - timedelta(days=31)),
    ]
    assert statuses(sync(survey, taps, sent_at=device_time)) == ["created", "created", "invalid"]
    stored = sorted(Response.objects.values_list("submitted_at", flat=True))
    assert stored == [NOW - timedelta(days=29), NOW - timedelta(minutes=10)]
    # Less than a minute is network delay, not a clock error: times are kept as sent.
    sync(survey, [tap(2, NOW - timedelta(minutes=1))], sent_at=NOW - timedelta(seconds=50))
    assert Response.objects.filter(submitted_at=NOW - timedelta(minutes=1)).count() == 1


def test_a_touchpoint_of_the_same_organisation_is_used_and_others_are_not(survey):
    own = make_touchpoint(survey.organisation, "terrace")
    other_org = make_org("other")
    make_touchpoint(other_org, "stranger")
    sync(
        survey,
        [tap(4, touchpoint="terrace"), tap(3, NOW + timedelta(seconds=1), touchpoint="stranger")],
    )
    by_score = {
        r.answers.get().score: r.touchpoint for r in Response.objects.prefetch_related("answers")
    }
    assert by_score == {4: own, 3: survey.touchpoint}


def test_batch_shape_errors_name_the_field():
    with pytest.raises(kiosk.BatchInvalid) as caught:
        kiosk.parse_batch({"device_id": "x", "taps": [], "extra": 1})
    assert caught.value.errors == {
        "extra": "unknown field",
        "device_id": "must be 8–64 characters of A–Z, a–z, 0–9, _ and -",
        "taps": "must be a list of 1–100 taps",
    }
    with pytest.raises(kiosk.BatchInvalid):
        kiosk.parse_batch({"device_id": DEVICE, "taps": [{}] * 101})
    with pytest.raises(kiosk.BatchInvalid, match="sent_at"):
        kiosk.parse_batch({"device_id": DEVICE, "taps": [{}], "sent_at": "yesterday"})
    batch = kiosk.parse_batch({"device_id": DEVICE, "taps": [{}], "sent_at": "2025-06-02T09:00Z"})
    assert batch == kiosk.Batch(DEVICE, [{}], NOW)


def test_closed_and_unsuitable_surveys_store_nothing(survey):
    survey.is_active = False
    survey.save()
    with pytest.raises(kiosk.KioskClosed):
        sync(survey, [tap()])
    survey.is_active = True
    survey.save()
    publish_version(survey, NPS_WHY)
    with pytest.raises(kiosk.KioskUnsupported):
        sync(survey, [tap()])
    assert Response.objects.count() == 0


# ------------------------------------------------------------------------------ mashing


def seconds(*offsets):
    return [NOW + timedelta(seconds=s) for s in offsets]


def flagged_times(survey):
    return sorted(
        r.submitted_at for r in Response.objects.filter(survey=survey).exclude(flagged="")
    )


def test_the_sixth_tap_within_ten_seconds_and_later_ones_are_flagged(survey):
    times = seconds(0, 1, 2, 3, 4, 5, 6, 7)
    sync(survey, [tap(4, at) for at in times])
    assert flagged_times(survey) == times[5:]
    assert set(Response.objects.exclude(flagged="").values_list("flagged", flat=True)) == {
        "mashing"
    }
    assert smiley_summary(survey).n == 5  # flagged taps are stored but not counted
    assert Response.objects.count() == 8


def test_taps_ten_seconds_apart_are_not_a_burst():
    assert (
        mashing.over_limit([TapTime(at, str(i)) for i, at in enumerate(seconds(0, 2, 4, 6, 8, 10))])
        == set()
    )
    burst = [TapTime(at, str(i)) for i, at in enumerate(seconds(0, 2, 4, 6, 8, 9.9))]
    assert mashing.over_limit(burst) == {"5"}


def test_out_of_order_batches_end_with_the_same_flags(survey):
    times = seconds(*range(10))
    later, earlier = [tap(4, at) for at in times[5:]], [tap(2, at) for at in times[:5]]
    assert statuses(sync(survey, later)) == ["created"] * 5
    assert flagged_times(survey) == []  # five taps alone are fine
    assert statuses(sync(survey, earlier)) == ["created"] * 5
    assert flagged_times(survey) == times[5:]  # the stored later taps are now over the limit
    # The counts are those of the five first taps (face 2), as if they had come in order.
    assert counts(survey) == [("smiley", "kiosk", NOW.date(), 2, 5)]


def test_devices_do_not_share_bursts(survey):
    sync(survey, [tap(4, at) for at in seconds(0, 1, 2, 3, 4)], device="tablet-one-aaaa")
    sync(survey, [tap(4, at) for at in seconds(0, 1, 2, 3, 4)], device="tablet-two-bbbb")
    assert flagged_times(survey) == []


def test_flag_and_unflag_keep_the_counts_consistent(survey):
    faces = [1, 2, 3, 4, 4, 1, 1]
    sync(survey, [tap(face, at) for face, at in zip(faces, seconds(*range(7)), strict=True)])
    summary = smiley_summary(survey)
    assert summary.n == 5
    flagged = list(Response.objects.exclude(flagged="").values_list("pk", flat=True))
    assert len(flagged) == 2

    assert mashing.unflag(survey, flagged) == 2
    assert mashing.unflag(survey, flagged) == 0  # already counted: nothing counted twice
    after = smiley_summary(survey)
    assert after.n == 7
    assert {b.score: b.n for b in after.distribution}[1] == 3
    assert_counts_match_a_rebuild(survey)

    assert mashing.flag(survey, flagged) == 2
    assert smiley_summary(survey).n == 5
    assert_counts_match_a_rebuild(survey)


def test_flags_ignore_other_surveys(survey):
    other = make_survey(KIOSK, organisation=make_org("other"), key="other")
    sync(other, [tap(4, at) for at in seconds(*range(6))])
    ids = list(Response.objects.exclude(flagged="").values_list("pk", flat=True))
    assert mashing.unflag(survey, ids) == 0
    assert Response.objects.exclude(flagged="").count() == 1


def assert_counts_match_a_rebuild(survey):
    incremental = counts(survey)
    rebuild(
        organisation_id=survey.organisation_id,
        survey_id=survey.pk,
        time_zone=survey.organisation.time_zone,
    )
    assert counts(survey) == incremental
