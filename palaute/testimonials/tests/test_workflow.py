"""The back office: list and filters, the approval flow with its audit trail, edits that
wait for the respondent's confirmation through an emailed link (a real SMTP server on
loopback), staff withdrawal on request, and who may do what."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from palaute.accounts.models import AuditEntry, Role
from palaute.accounts.tests.helpers import make_member
from palaute.outreach.tests.helpers import invitation_for, make_contact
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.testimonials.models import QuoteProposal, Testimonial
from palaute.testimonials.publication import publication_for
from palaute.testimonials.tests.helpers import (
    WORDING_EN,
    consent_survey,
    make_org,
    manager,
    published,
    respond,
)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def survey():
    return consent_survey(make_org("rakennus"))


@pytest.fixture
def staff(client, survey):
    user = manager(survey.organisation)
    client.force_login(user)
    return user


def candidate(survey, **kwargs) -> Testimonial:
    kwargs.setdefault(
        "consent", {"agreed": True, "naming": "full_name", "name": "Maija Meikäläinen"}
    )
    return Testimonial.objects.get(consent__response=respond(survey, **kwargs))


def post_status(client, testimonial, status, **extra):
    url = reverse("testimonial_status", args=[testimonial.pk])
    return client.post(url, {"status": status, **extra}, **EN)


def feed_quotes(survey, client):
    key = publication_for(survey.organisation).key
    return [
        item["quote"] for item in client.get(f"/t/{key}/testimonials.json").json()["testimonials"]
    ]


def test_list_filters_by_status(client, survey, staff):
    waiting = candidate(survey, comment="Odottaa")
    shown = published(survey, comment="Julkaistu")
    page = client.get(reverse("testimonial_list"), **EN).content.decode()
    assert "Odottaa" in page and "Julkaistu" in page
    assert "Maija Meikäläinen" in page and "Maija M." in page
    pending = client.get(reverse("testimonial_list") + "?status=pending", **EN).content.decode()
    assert "Odottaa" in pending and "Julkaistu" not in pending
    assert f'href="{reverse("testimonial_detail", args=[waiting.pk])}"' in pending
    live = client.get(reverse("testimonial_list") + "?status=published", **EN).content.decode()
    assert "Julkaistu" in live and "Odottaa" not in live
    assert f'href="{reverse("testimonial_detail", args=[shown.pk])}"' in live
    # An unknown status filter shows everything rather than failing.
    assert client.get(reverse("testimonial_list") + "?status=nonsense").status_code == 200


def test_approval_flow_is_audited_and_drives_the_feed(client, survey, staff):
    testimonial = candidate(survey, comment="Hieno työ")
    assert post_status(client, testimonial, "published").status_code == 422  # not approved yet
    assert feed_quotes(survey, client) == []
    assert post_status(client, testimonial, "approved").status_code == 302
    assert feed_quotes(survey, client) == []
    assert post_status(client, testimonial, "published").status_code == 302
    assert feed_quotes(survey, client) == ["Hieno työ"]
    testimonial.refresh_from_db()
    assert testimonial.status == "published" and testimonial.published_at is not None
    assert testimonial.decided_by == staff
    assert post_status(client, testimonial, "published").status_code == 302  # a double click
    assert post_status(client, testimonial, "approved").status_code == 302  # unpublish
    assert feed_quotes(survey, client) == []
    assert post_status(client, testimonial, "rejected", reason="Ei aiheeseen").status_code == 302
    testimonial.refresh_from_db()
    assert (testimonial.status, testimonial.rejection_reason) == ("rejected", "Ei aiheeseen")
    assert post_status(client, testimonial, "pending").status_code == 302  # reconsider
    actions = list(
        AuditEntry.objects.filter(target=f"testimonial {testimonial.pk}")
        .order_by("created_at", "pk")
        .values_list("action", "actor")
    )
    assert actions == [
        ("testimonial.approved", staff.pk),
        ("testimonial.published", staff.pk),
        ("testimonial.approved", staff.pk),
        ("testimonial.rejected", staff.pk),
        ("testimonial.reopened", staff.pk),
    ]
    page = client.get(reverse("testimonial_detail", args=[testimonial.pk]), **EN).content.decode()
    assert "testimonial.rejected" in page  # the history on the page


def test_detail_shows_the_consent_record(client, survey, staff):
    testimonial = candidate(
        survey,
        language="en",
        consent={"agreed": True, "naming": "company", "company": "Rakennus Oy"},
    )
    page = client.get(reverse("testimonial_detail", args=[testimonial.pk]), **EN).content.decode()
    assert WORDING_EN in page
    assert "Company only" in page and "Rakennus Oy" in page
    assert "version 1" in page and "<code>publish</code>" in page
    assert testimonial.consent.given_at.strftime("%Y") in page


def test_a_testimonial_without_a_quote_cannot_be_published(client, survey, staff):
    testimonial = candidate(survey, comment=None)
    post_status(client, testimonial, "approved")
    response = post_status(client, testimonial, "published")
    assert response.status_code == 422
    assert "There is no quote to publish." in response.content.decode()


def test_viewers_look_but_do_not_act_and_other_organisations_see_nothing(client, survey):
    testimonial = candidate(survey)
    viewer = make_member(survey.organisation, "vera", role=Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("testimonial_detail", args=[testimonial.pk])).status_code == 200
    assert post_status(client, testimonial, "approved").status_code == 403
    url = reverse("testimonial_withdraw_staff", args=[testimonial.pk])
    assert client.post(url, {"note": "puhelu"}).status_code == 403
    assert client.post(reverse("testimonial_settings"), {"subject_name": "X"}).status_code == 403

    other = make_org("toinen")
    client.force_login(make_member(other, "olli", role=Role.OWNER))
    assert client.get(reverse("testimonial_detail", args=[testimonial.pk])).status_code == 404
    assert post_status(client, testimonial, "approved").status_code == 404
    assert client.post(url, {"note": "puhelu"}).status_code == 404
    propose = reverse("testimonial_propose", args=[testimonial.pk])
    assert client.post(propose, {"text": "Muutettu"}).status_code == 404
    reference = reverse("testimonial_reference", args=[testimonial.pk])
    assert client.post(reference, {"sector": "X"}).status_code == 404
    assert "Maija" not in client.get(reverse("testimonial_list")).content.decode()
    testimonial.refresh_from_db()
    assert testimonial.status == "pending" and not testimonial.consent.is_withdrawn
    # Another organisation's account cannot be linked either.
    client.force_login(manager(survey.organisation, "mari"))
    from palaute.outreach.tests.helpers import make_account

    foreign = make_account(other, "Vieras Oy")
    response = client.post(reference, {"account": foreign.pk, "sector": ""})
    assert response.status_code == 422
    testimonial.refresh_from_db()
    assert testimonial.account is None


def invited(survey, email="maija@rakennus.example", **kwargs) -> Testimonial:
    """A consenting response from an invited contact (so we have their address)."""
    testimonial = candidate(survey, **kwargs)
    contact = make_contact(survey.organisation, email, language="en")
    invitation_for(
        survey,
        contact,
        response=testimonial.consent.response,
        status="completed",
        completed_at=timezone.now(),
    )
    return testimonial


def links(message):
    text = message.get_body(("plain",)).get_content()
    confirm = re.findall(r"http://testserver/consent/confirm-edit/[\w-]{44}/", text)
    withdraw = re.findall(r"http://testserver/consent/withdraw/[\w-]{44}/", text)
    return text, confirm, withdraw


def test_an_edit_waits_for_the_respondents_confirmation(client, survey, staff, smtp_inbox):
    testimonial = invited(survey, comment="Hyvä palvelu ja tosi nopea toimitus!!!", language="en")
    from palaute.testimonials import workflow

    workflow.set_status(testimonial, "approved", actor=staff)
    workflow.set_status(testimonial, "published", actor=staff)
    response = client.post(
        reverse("testimonial_propose", args=[testimonial.pk]),
        {"text": "Hyvä palvelu ja nopea toimitus!", "note": "Lyhensimme hieman."},
    )
    assert response.status_code == 302
    proposal = QuoteProposal.objects.get()
    assert (proposal.status, proposal.sent_to) == ("pending", "maija@rakennus.example")
    # Until the person accepts, the original stands everywhere.
    testimonial.refresh_from_db()
    assert testimonial.quote == "Hyvä palvelu ja tosi nopea toimitus!!!"
    assert feed_quotes(survey, client) == ["Hyvä palvelu ja tosi nopea toimitus!!!"]

    assert run_due_jobs() == 1
    ((mail_from, rcpt_tos, message),) = smtp_inbox.received
    assert rcpt_tos == ["maija@rakennus.example"]
    assert str(message["Subject"]) == "Rakennus: may we edit your feedback?"
    assert message["From"].addresses[0].display_name == "Rakennus"
    text, (confirm,), (withdraw,) = links(message)
    assert "Hyvä palvelu ja tosi nopea toimitus!!!" in text
    assert "Hyvä palvelu ja nopea toimitus!" in text and "Lyhensimme hieman." in text
    html = message.get_body(("html",)).get_content()
    assert f'href="{confirm}"' in html and f'href="{withdraw}"' in html

    anonymous = client.__class__()  # the respondent is not signed in
    page = anonymous.get(confirm.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert "Hyvä palvelu ja nopea toimitus!" in page.content.decode()
    testimonial.refresh_from_db()
    assert testimonial.quote == "Hyvä palvelu ja tosi nopea toimitus!!!"  # a GET changes nothing
    accepted = anonymous.post(confirm.removeprefix("http://testserver"), {"answer": "accept"})
    assert accepted.status_code == 200
    assert "The edited version will be used." in accepted.content.decode()
    testimonial.refresh_from_db()
    assert testimonial.quote == "Hyvä palvelu ja nopea toimitus!"
    assert testimonial.original_quote == "Hyvä palvelu ja tosi nopea toimitus!!!"
    assert feed_quotes(survey, client) == ["Hyvä palvelu ja nopea toimitus!"]
    # Pressing again, or "keep my words" afterwards, changes nothing.
    anonymous.post(confirm.removeprefix("http://testserver"), {"answer": "decline"})
    testimonial.refresh_from_db()
    assert testimonial.quote == "Hyvä palvelu ja nopea toimitus!"
    assert (
        AuditEntry.objects.filter(
            action="testimonial.edit_accepted", actor=None, target=f"testimonial {testimonial.pk}"
        ).count()
        == 1
    )
    # A forged or mangled token finds nothing.
    assert (
        anonymous.get(confirm.removeprefix("http://testserver")[:-5] + "AAAA/").status_code == 404
    )


def test_declined_and_replaced_proposals_leave_the_quote(client, survey, staff, smtp_inbox):
    testimonial = invited(survey, comment="Alkuperäinen", language="en")
    propose = reverse("testimonial_propose", args=[testimonial.pk])
    client.post(propose, {"text": "Ensimmäinen ehdotus"})
    client.post(propose, {"text": "Toinen ehdotus"})
    assert list(QuoteProposal.objects.order_by("pk").values_list("status", flat=True)) == [
        "cancelled",
        "pending",
    ]
    client.post(propose, {"text": "Toinen ehdotus"})  # sent twice: still one proposal
    assert QuoteProposal.objects.count() == 2
    run_due_jobs()
    assert len(smtp_inbox.received) == 1  # the cancelled one is not sent
    _text, (confirm,), _ = links(smtp_inbox.received[0][2])
    path = confirm.removeprefix("http://testserver")
    declined = client.__class__().post(path, {"answer": "decline"})
    assert "Your own words stand." in declined.content.decode()
    testimonial.refresh_from_db()
    assert testimonial.quote == "Alkuperäinen"
    first = QuoteProposal.objects.order_by("pk").first()
    from palaute.testimonials.tokens import confirm_url

    stale = client.__class__().get(confirm_url(first).removeprefix("http://testserver"))
    assert "no longer open" in stale.content.decode()


def test_no_edit_without_an_address_to_confirm_it(client, survey, staff):
    testimonial = candidate(survey)  # an anonymous web response: no email known
    response = client.post(
        reverse("testimonial_propose", args=[testimonial.pk]), {"text": "Muutettu"}, **EN
    )
    assert response.status_code == 422
    assert not QuoteProposal.objects.exists()
    page = client.get(reverse("testimonial_detail", args=[testimonial.pk]), **EN).content.decode()
    assert "cannot confirm an edit" in page


def test_staff_withdrawal_on_request(client, survey, staff):
    testimonial = published(survey, comment="Pois tämä")
    url = reverse("testimonial_withdraw_staff", args=[testimonial.pk])
    response = client.post(url, {"note": ""}, **EN)
    assert response.status_code == 422  # how the person asked must be recorded
    assert client.post(url, {"note": "Puhelu 3.3."}).status_code == 302
    testimonial.refresh_from_db()
    consent = testimonial.consent
    assert testimonial.status == "withdrawn"
    assert (consent.withdrawn_via, consent.withdrawn_by, consent.withdrawal_note) == (
        "staff",
        staff,
        "Puhelu 3.3.",
    )
    assert feed_quotes(survey, client) == []
    entry = AuditEntry.objects.get(action="testimonial.consent_withdrawn")
    assert (entry.actor, entry.detail["note"]) == (staff, "Puhelu 3.3.")
    # Nothing can bring it back.
    assert post_status(client, testimonial, "approved").status_code == 422


def test_consent_copy_with_withdrawal_link(
    client, survey, smtp_inbox, django_capture_on_commit_callbacks
):
    contact = make_contact(survey.organisation, "maija@rakennus.example", language="en")
    invitation = invitation_for(survey, contact, status="sent", sent_at=timezone.now())
    from palaute.outreach.tokens import ANSWER, make_token

    url = reverse("survey_page", args=[survey.public_key])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"{url}?inv={make_token(invitation.key, ANSWER)}&lang=en",
            {
                "presented": "nps,comment,publish",
                "nps": "10",
                "comment": "Kiitos!",
                "publish": "1",
                "publish.naming": "full_name",
                "publish.name": "Maija Meikäläinen",
            },
        )
    run_due_jobs()  # with the response's other work (text analysis)
    ((_from, rcpt_tos, message),) = smtp_inbox.received
    assert rcpt_tos == ["maija@rakennus.example"]
    text, _confirm, (withdraw,) = links(message)
    assert WORDING_EN in text and "Maija Meikäläinen" in text and "Kiitos!" in text
    testimonial = Testimonial.objects.get()
    assert message["Message-ID"] == (
        f"<testimonial-consent-{testimonial.consent.pk}.rakennus@rakennus.example>"
    )
    path = withdraw.removeprefix("http://testserver")
    page = client.get(path)
    assert WORDING_EN in page.content.decode()
    testimonial.refresh_from_db()
    assert not testimonial.consent.is_withdrawn  # a GET (a link scanner) changes nothing
    done = client.post(path)
    assert "Your permission is withdrawn" in done.content.decode()
    testimonial.refresh_from_db()
    assert testimonial.status == "withdrawn"
    assert testimonial.consent.withdrawn_via == "link"
    client.post(path)  # twice: still withdrawn once
    assert AuditEntry.objects.filter(action="testimonial.consent_withdrawn").count() == 1
