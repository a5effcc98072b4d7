"""The webhook settings pages: roles, validation naming the field, audit, secret rotation, test
event, the delivery log with redeliver, and tenancy."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from palaute.accounts.models import AuditEntry, Role
from palaute.accounts.tests.helpers import make_member, make_org
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.webhooks import signing
from palaute.webhooks.events import emit
from palaute.webhooks.models import Delivery, Endpoint
from palaute.webhooks.tests.helpers import make_endpoint

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def org():
    return make_org("kahvila")


@pytest.fixture
def manager(client, org):
    user = make_member(org, "aino", Role.MANAGER)
    client.force_login(user)
    return user


def form(url, **extra):
    return {
        "name": "Helpdesk",
        "url": url,
        "kind": "generic",
        "events": ["response.created", "case.opened"],
        **extra,
    }


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AGENT])
def test_only_managers_and_owners_may_see_webhooks(client, org, role):
    client.force_login(make_member(org, "pekka", role))
    endpoint = make_endpoint(org, "https://hooks.example.fi/x")
    assert client.get(reverse("webhook_list")).status_code == 403
    assert client.get(reverse("webhook_detail", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhook_create"), form("https://a.example")).status_code == 403


def test_signed_out_users_are_sent_to_sign_in(client):
    response = client.get(reverse("webhook_list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_create_shows_the_secret_and_is_audited(client, org, manager, receiver):
    response = client.post(reverse("webhook_create"), form(receiver.url), **EN)
    endpoint = Endpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("webhook_detail", args=[endpoint.pk])
    assert endpoint.organisation == org and endpoint.created_by == manager
    assert endpoint.events == ["response.created", "case.opened"]
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    entry = AuditEntry.objects.get(organisation=org)
    assert (entry.action, entry.actor, entry.target) == ("webhook.create", manager, "Helpdesk")

    page = client.get(response["Location"], **EN)
    assert endpoint.secret in page.content.decode()
    assert "no-cache" in page["Cache-Control"] or "no-store" in page["Cache-Control"]
    assert endpoint.short_url in client.get(reverse("webhook_list"), **EN).content.decode()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"events": []}, "Events: Choose at least one event."),
        ({"events": ["review.created"]}, "Events: Select a valid choice."),
        ({"url": "not a url"}, "URL: Enter a valid URL."),
        ({"url": "ftp://example.com/x"}, "URL: Enter a valid URL."),
        ({"url": "http://hooks.example.com/x"}, "URL: Use https://"),
        ({"url": "https://user:pw@hooks.example.com/x"}, "URL: Remove the user name"),
        ({"url": "https://10.1.2.3/hook"}, "URL: The URL points to a private"),
        ({"url": "https://169.254.169.254/latest"}, "URL: The URL points to a private"),
        ({"url": "https://[::1]:8443/hook"}, "URL: The URL points to a private"),
        ({"name": "  "}, "Name: "),
        ({"kind": "teams"}, "Format: Select a valid choice."),
    ],
)
def test_validation_errors_name_the_field(client, manager, settings, values, message):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False  # production
    data = {**form("https://93.184.215.14/"), **values}
    response = client.post(reverse("webhook_create"), data, **EN)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Endpoint.objects.exists()


def test_a_public_https_address_is_accepted_in_production(client, manager, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    response = client.post(reverse("webhook_create"), form("https://93.184.215.14/hook"), **EN)
    assert response.status_code == 302


def test_names_are_unique_within_the_organisation(client, org, manager, receiver):
    make_endpoint(org, receiver.url, name="Helpdesk")
    response = client.post(reverse("webhook_create"), form(receiver.url), **EN)
    assert "Name: Another webhook already has this name." in response.content.decode()


def test_edit_is_audited_without_the_url(client, org, manager, receiver):
    endpoint = make_endpoint(org, "http://127.0.0.1:9/old-secret-path", events=["case.opened"])
    response = client.post(
        reverse("webhook_edit", args=[endpoint.pk]),
        form(receiver.url, name="CRM", kind="slack", events=["case.resolved"]),
        **EN,
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.url, endpoint.kind) == ("CRM", receiver.url, "slack")
    assert endpoint.events == ["case.resolved"]
    entry = AuditEntry.objects.get(action="webhook.update")
    assert entry.detail["url"] == "changed"
    assert entry.detail["name"] == ["Helpdesk", "CRM"]
    assert "old-secret-path" not in json.dumps(entry.detail)


def test_delete_asks_then_deletes_with_the_log(client, org, manager, receiver):
    endpoint = make_endpoint(org, receiver.url)
    emit(org, "case.opened", {"id": 1})
    page = client.get(reverse("webhook_delete", args=[endpoint.pk]), **EN)
    assert "its log of 1 delivery is deleted" in page.content.decode()
    response = client.post(reverse("webhook_delete", args=[endpoint.pk]))
    assert response.status_code == 302
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()
    assert AuditEntry.objects.filter(action="webhook.delete", target="Helpdesk").exists()
    # This process forgets the endpoint at once: the next event creates nothing.
    emit(org, "case.opened", {"id": 2})
    assert not Delivery.objects.exists()


def test_rotating_keeps_the_old_secret_for_a_while_unless_leaked(client, org, manager):
    endpoint = make_endpoint(org, "https://hooks.example.fi/x")
    first = endpoint.secret
    client.post(reverse("webhook_rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    second = endpoint.secret
    assert second != first
    assert endpoint.signing_secrets() == [second, first]
    page = client.get(reverse("webhook_detail", args=[endpoint.pk]), **EN).content.decode()
    assert "The previous secret also signs every delivery until" in page

    client.post(reverse("webhook_rotate", args=[endpoint.pk]), {"immediately": "on"})
    endpoint.refresh_from_db()
    assert endpoint.signing_secrets() == [endpoint.secret]
    assert second not in (endpoint.secret, endpoint.previous_secret)
    assert AuditEntry.objects.filter(action="webhook.rotate_secret").count() == 2
    assert first not in json.dumps(list(AuditEntry.objects.values_list("detail", flat=True)))


def test_send_test_event_then_see_it_in_the_log(client, org, manager, receiver):
    endpoint = make_endpoint(org, receiver.url, events=["case.opened"])
    response = client.post(reverse("webhook_test", args=[endpoint.pk]), **EN)
    assert response.status_code == 302
    page = client.get(reverse("webhook_detail", args=[endpoint.pk]), **EN).content.decode()
    assert page.count('hx-trigger="every 3s"') == 1  # the waiting row refreshes itself

    run_due_jobs()
    [request] = receiver.requests
    assert request.headers["Palaute-Event"] == "ping"
    assert signing.verify(endpoint.secret, request.headers["Palaute-Signature"], request.body)
    assert json.loads(request.body)["data"]["endpoint"] == "Helpdesk"
    delivery = Delivery.objects.get()
    row = client.get(
        reverse("webhook_delivery", args=[endpoint.pk, delivery.pk]) + "?part=row",
        HTTP_HX_REQUEST="true",
        **EN,
    ).content.decode()
    assert row.lstrip().startswith(f'<tr id="delivery-{delivery.pk}">')  # done: no more polling
    assert "Delivered" in row and "<code>ping</code>" in row and "<code>200</code>" in row


def test_a_failed_ping_is_not_retried_and_does_not_count_against_the_endpoint(
    client, org, manager, receiver
):
    endpoint = make_endpoint(org, receiver.url)
    receiver.answer(500, b"nope")
    client.post(reverse("webhook_test", args=[endpoint.pk]))
    run_due_jobs()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.GIVEN_UP and delivery.attempts == 1
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.given_up_in_row == 0


def test_redeliver_with_htmx_returns_the_row(client, org, manager, receiver):
    endpoint = make_endpoint(org, receiver.url)
    receiver.answer(500, b"down")
    emit(org, "case.opened", {"id": 1})
    run_due_jobs()
    delivery = Delivery.objects.get()
    url = reverse("webhook_redeliver", args=[endpoint.pk, delivery.pk])
    assert client.get(url).status_code == 405

    row = client.post(url, HTTP_HX_REQUEST="true", **EN).content.decode()
    assert row.lstrip().startswith(f'<tr id="delivery-{delivery.pk}" hx-get=')
    assert "Pending" in row and "Queued." in row
    run_due_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED and delivery.attempts == 2


def test_redeliver_refused_while_the_endpoint_is_off(client, org, manager, receiver):
    endpoint = make_endpoint(org, receiver.url)
    emit(org, "case.opened", {"id": 1})
    client.post(reverse("webhook_toggle", args=[endpoint.pk]), {"active": "0"})
    run_due_jobs()
    delivery = Delivery.objects.get()
    response = client.post(
        reverse("webhook_redeliver", args=[endpoint.pk, delivery.pk]), follow=True, **EN
    )
    assert "Turn the webhook on before redelivering." in response.content.decode()
    assert receiver.requests == []


def test_turning_off_and_on_is_audited(client, org, manager):
    endpoint = make_endpoint(org, "https://hooks.example.fi/x")
    client.post(reverse("webhook_toggle", args=[endpoint.pk]), {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason == "user"
    page = client.get(reverse("webhook_detail", args=[endpoint.pk]), **EN).content.decode()
    assert "This webhook is off" in page
    client.post(reverse("webhook_toggle", args=[endpoint.pk]), {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.disabled_reason == ""
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["webhook.disable", "webhook.enable"]


def test_an_automatically_disabled_endpoint_says_why(client, org, manager, receiver):
    endpoint = make_endpoint(org, receiver.url)
    receiver.answer(410)
    emit(org, "case.opened", {"id": 1})
    run_due_jobs()
    page = client.get(reverse("webhook_detail", args=[endpoint.pk]), **EN).content.decode()
    assert "because the receiver answered 410 Gone" in page
    listing = client.get(reverse("webhook_list"), **EN).content.decode()
    assert "The receiver answered 410 Gone" in listing


def test_delivery_page_shows_the_body_and_every_attempt(client, org, manager, receiver):
    endpoint = make_endpoint(org, receiver.url)
    receiver.answer(503, b"maintenance")
    emit(org, "case.opened", {"id": 1, "title": "Kylmä <kahvi>"})
    run_due_jobs()
    delivery = Delivery.objects.get()
    page = client.get(reverse("webhook_delivery", args=[endpoint.pk, delivery.pk]), **EN)
    body = page.content.decode()
    assert str(delivery.event_id) in body
    assert "Kylmä &lt;kahvi&gt;" in body
    assert "maintenance" in body and "503" in body


def test_the_log_filters_by_status(client, org, manager, receiver):
    endpoint = make_endpoint(org, receiver.url)
    receiver.answer(500)
    emit(org, "case.opened", {"id": 1})
    emit(org, "case.resolved", {"id": 2})
    run_due_jobs()
    url = reverse("webhook_detail", args=[endpoint.pk])
    failed = client.get(url + "?status=failed", **EN).content.decode()
    delivered = client.get(url + "?status=succeeded", **EN).content.decode()
    assert failed.count('<tr id="delivery-') == 1 and delivered.count('<tr id="delivery-') == 1


def test_another_organisation_cannot_see_or_change_endpoints(client, org, receiver):
    endpoint = make_endpoint(org, receiver.url)
    emit(org, "case.opened", {"id": 1})
    delivery = Delivery.objects.get()
    other = make_org("toinen")
    client.force_login(make_member(other, "ville", Role.OWNER))

    listing = client.get(reverse("webhook_list"), **EN).content.decode()
    assert "Helpdesk" not in listing and endpoint.short_url not in listing
    for name in ("webhook_detail", "webhook_edit", "webhook_delete"):
        assert client.get(reverse(name, args=[endpoint.pk])).status_code == 404
    changes = ("webhook_edit", "webhook_delete", "webhook_rotate", "webhook_toggle", "webhook_test")
    for name in changes:
        response = client.post(reverse(name, args=[endpoint.pk]), form(receiver.url))
        assert response.status_code == 404
    for name in ("webhook_delivery", "webhook_redeliver"):
        args = [endpoint.pk, delivery.pk]
        assert client.get(reverse(name, args=args)).status_code in (404, 405)
        assert client.post(reverse(name, args=args)).status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.name == "Helpdesk" and endpoint.is_active
    assert Delivery.objects.count() == 1 and not AuditEntry.objects.exists()
