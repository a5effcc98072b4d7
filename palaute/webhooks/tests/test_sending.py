"""Sending through the real worker loop to a loopback receiver: retries with backoff, 410,
timeouts, redirects, the address guard, giving up and turning failing endpoints off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from palaute.accounts.models import AuditEntry
from palaute.accounts.tests.helpers import make_org
from palaute.outreach.tests.jobs_helpers import make_due, run_due_jobs
from palaute.webhooks import conf, sending
from palaute.webhooks.events import emit
from palaute.webhooks.models import Attempt, Delivery, Endpoint
from palaute.webhooks.tests.helpers import make_endpoint

pytestmark = pytest.mark.django_db


def come_due() -> None:
    """Move time: every scheduled retry is due now."""
    Delivery.objects.filter(next_attempt_at__isnull=False).update(next_attempt_at=timezone.now())
    make_due()


def test_a_failure_is_retried_after_the_backoff_then_delivered(receiver):
    org = make_org("kahvila")
    make_endpoint(org, receiver.url)
    receiver.answer(500, b"database is down")
    emit(org, "case.opened", {"id": 1})

    before = timezone.now()
    run_due_jobs()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 1
    assert delivery.response_status == 500
    assert delivery.response_excerpt == "database is down"
    # First retry after 1 minute ± 20 % jitter, with its job waiting until then.
    assert before + timedelta(seconds=47) < delivery.next_attempt_at
    assert delivery.next_attempt_at < timezone.now() + timedelta(seconds=73)
    job = DBTaskResult.objects.get(status="READY")
    assert abs((job.run_after - delivery.next_attempt_at).total_seconds()) < 1
    assert run_due_jobs() == 0  # not due yet: nothing is sent early

    come_due()
    run_due_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.attempts == 2
    first, second = receiver.requests
    # The same event id on every attempt, so a receiver can drop duplicates; signed afresh.
    assert first.body == second.body
    assert first.headers["Palaute-Delivery"] == second.headers["Palaute-Delivery"]
    assert [a.response_status for a in Attempt.objects.filter(delivery=delivery)] == [500, 200]
    assert Endpoint.objects.get().last_success_at is not None


def test_backoff_grows_and_honours_a_longer_retry_after():
    delays = [sending.retry_delay(n) for n in range(1, conf.MAX_ATTEMPTS)]
    for delay, base in zip(delays, conf.RETRY_DELAYS, strict=True):
        assert base * 0.8 <= delay <= base * 1.2
    assert 20 * 3600 < sum(conf.RETRY_DELAYS) < 26 * 3600
    assert sending.retry_delay(1, retry_after=600) == 600
    assert sending.retry_delay(1, retry_after=10**9) == conf.MAX_RETRY_AFTER


def test_gone_disables_the_endpoint(receiver):
    org = make_org("kahvila")
    endpoint = make_endpoint(org, receiver.url)
    receiver.answer(410, b"no such hook")
    emit(org, "case.opened", {"id": 1})
    run_due_jobs()

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.GIVEN_UP
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_reason == Endpoint.DisabledReason.GONE
    assert AuditEntry.objects.get(organisation=org).action == "webhook.auto_disable"
    # A disabled endpoint hears of nothing more.
    emit(org, "case.opened", {"id": 2})
    assert Delivery.objects.count() == 1


def test_a_timeout_counts_as_a_failure(receiver, settings):
    settings.WEBHOOKS_TIMEOUT = 0.3
    org = make_org("kahvila")
    make_endpoint(org, receiver.url)
    receiver.answer(200, b"too late", delay=1.0)
    emit(org, "case.opened", {"id": 1})
    run_due_jobs()

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.response_status is None
    assert "timed out" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()


def test_a_redirect_is_not_followed_and_fails(receiver):
    org = make_org("kahvila")
    make_endpoint(org, receiver.url)
    receiver.extra_headers["Location"] = "http://127.0.0.1:9/elsewhere"
    receiver.answer(302)
    emit(org, "case.opened", {"id": 1})
    run_due_jobs()
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().status == Delivery.Status.FAILED


def test_a_private_address_is_refused_at_send_time(receiver, settings):
    org = make_org("kahvila")
    make_endpoint(org, receiver.url)
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False  # as in production
    emit(org, "case.opened", {"id": 1})
    run_due_jobs()
    delivery = Delivery.objects.get()
    assert receiver.requests == []
    assert delivery.status == Delivery.Status.FAILED
    assert "private or local address (127.0.0.1)" in delivery.last_error


def test_after_the_last_attempt_the_delivery_is_given_up(receiver):
    org = make_org("kahvila")
    endpoint = make_endpoint(org, receiver.url)
    receiver.default = (503, b"maintenance", 0.0)
    emit(org, "case.opened", {"id": 1})
    for _ in range(conf.MAX_ATTEMPTS):
        come_due()
        run_due_jobs()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.GIVEN_UP
    assert delivery.attempts == conf.MAX_ATTEMPTS == len(receiver.requests)
    assert delivery.next_attempt_at is None
    come_due()
    assert run_due_jobs() == 0
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.given_up_in_row == 1


def test_an_endpoint_that_keeps_failing_is_turned_off(receiver, settings):
    settings.WEBHOOKS_DISABLE_AFTER = 2
    org = make_org("kahvila")
    endpoint = make_endpoint(org, receiver.url)
    receiver.default = (500, b"", 0.0)
    emit(org, "case.opened", {"id": 1})
    emit(org, "case.opened", {"id": 2})
    Delivery.objects.update(attempts=conf.MAX_ATTEMPTS - 1)  # both on their last attempt
    run_due_jobs()

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_reason == Endpoint.DisabledReason.FAILING
    assert set(Delivery.objects.values_list("status", flat=True)) == {"given_up"}


def test_a_success_resets_the_count_of_given_up_deliveries(receiver):
    org = make_org("kahvila")
    endpoint = make_endpoint(org, receiver.url)
    Endpoint.objects.filter(pk=endpoint.pk).update(given_up_in_row=3)
    emit(org, "case.opened", {"id": 1})
    run_due_jobs()
    endpoint.refresh_from_db()
    assert endpoint.given_up_in_row == 0


def test_pending_deliveries_of_a_turned_off_endpoint_are_not_sent(receiver):
    org = make_org("kahvila")
    endpoint = make_endpoint(org, receiver.url)
    emit(org, "case.opened", {"id": 1})
    endpoint.disable(Endpoint.DisabledReason.BY_USER)
    endpoint.save()
    run_due_jobs()
    assert receiver.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.GIVEN_UP
    assert delivery.last_error == "the endpoint is turned off"


def test_a_claimed_delivery_is_not_sent_twice(receiver):
    org = make_org("kahvila")
    make_endpoint(org, receiver.url)
    emit(org, "case.opened", {"id": 1})
    delivery = Delivery.objects.get()
    # Another worker holds it right now.
    Delivery.objects.update(locked_until=timezone.now() + timedelta(minutes=1))
    from palaute.outreach.jobs import RetryLater

    with pytest.raises(RetryLater):
        sending.attempt_delivery(delivery.pk)
    assert receiver.requests == []
    # Its claim runs out (the worker died): the next run sends it.
    Delivery.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert sending.attempt_delivery(delivery.pk) == "delivered"
    assert sending.attempt_delivery(delivery.pk) == "not due"
    assert len(receiver.requests) == 1


def test_redeliver_sends_a_given_up_delivery_once_more(receiver):
    org = make_org("kahvila")
    make_endpoint(org, receiver.url)
    emit(org, "case.opened", {"id": 1})
    delivery = Delivery.objects.get()
    Delivery.objects.update(status="given_up", attempts=conf.MAX_ATTEMPTS, next_attempt_at=None)
    DBTaskResult.objects.all().delete()

    assert sending.redeliver(delivery)
    run_due_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.attempts == conf.MAX_ATTEMPTS + 1
    assert len(receiver.requests) == 1


def test_the_answer_excerpt_is_at_most_one_kilobyte(receiver):
    org = make_org("kahvila")
    make_endpoint(org, receiver.url)
    receiver.answer(500, ("ä" * 3000).encode() + b"\x00")
    emit(org, "case.opened", {"id": 1})
    run_due_jobs()
    text = Delivery.objects.get().response_excerpt
    assert 0 < len(text.encode()) <= 1024
    assert text.startswith("ää")


def test_rotated_secret_signs_beside_the_new_one_during_the_grace_period(receiver):
    from palaute.webhooks import signing

    org = make_org("kahvila")
    endpoint = make_endpoint(org, receiver.url)
    old = endpoint.secret
    endpoint.rotate_secret(grace=timedelta(hours=24))
    endpoint.save()
    emit(org, "case.opened", {"id": 1})
    run_due_jobs()
    [request] = receiver.requests
    header = request.headers["Palaute-Signature"]
    assert header.count("v1=") == 2
    assert signing.verify(old, header, request.body)
    assert signing.verify(endpoint.secret, header, request.body)
