"""Replies from a case: validation, the thread, the clock and status, and delivery through the
real worker loop to a loopback SMTP server and a Twilio-like SMS server."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import make_member
from palaute.loop import replies
from palaute.loop.models import Case, CaseEvent, CaseMessage
from palaute.loop.replies import ReplyInvalid, resend, send_reply
from palaute.loop.tests.acting_helpers import loopback_twilio, make_case
from palaute.outreach.jobs import backoff_seconds
from palaute.outreach.models import Contact
from palaute.outreach.tests.conftest import Inbox, free_port, loopback_smtp
from palaute.outreach.tests.helpers import make_contact, make_sender
from palaute.outreach.tests.jobs_helpers import make_due, run_due_jobs
from palaute.surveys.tests.helpers import make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(settings):
    with loopback_smtp(settings) as inbox:
        yield inbox


@pytest.fixture
def sms_server(settings):
    with loopback_twilio(settings) as fake:
        yield fake


@pytest.fixture
def org():
    return make_org("kahvila")


@pytest.fixture
def aino(org):
    """The case owner: a named sender with a title and a direct phone."""
    return make_sender(org, "aino", role=Role.AGENT)


@pytest.fixture
def case(org, aino):
    return make_case(org, owner=aino, language="en")


def reply(case, author, body="Hi Maija, we are sorry. We fixed the queue.", **extra):
    fields = {"channel": "email", "idempotency_key": "k1", **extra}
    with translation.override("en"):
        return send_reply(case, author=author, body=body, **fields)


def errors_of(case, author, **kwargs):
    with pytest.raises(ReplyInvalid) as caught:
        reply(case, author, **kwargs)
    return caught.value.errors


def _part(message, kind: str) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == kind)
    return part.get_content().replace("\r\n", "\n")


def test_a_reply_is_queued_stops_the_clock_and_moves_the_case_to_contacted(case, aino):
    message = reply(case, aino)
    case.refresh_from_db()
    assert message.status == CaseMessage.Status.QUEUED
    assert message.to == "maija@example.com" and message.direction == "out"
    assert message.subject == "About your feedback – Kahvila"
    assert case.first_response_at == message.created_at
    assert case.status == Case.Status.CONTACTED
    kinds = list(case.events.values_list("kind", "actor_id"))
    assert kinds == [(CaseEvent.Kind.REPLY, aino.pk), (CaseEvent.Kind.STATUS, aino.pk)]
    reply_event = case.events.get(kind=CaseEvent.Kind.REPLY)
    assert reply_event.data == {"message_id": message.pk, "channel": "email"}
    assert DBTaskResult.objects.filter(status="READY").count() == 1


def test_a_double_click_is_one_message(case, aino):
    first = reply(case, aino)
    second = reply(case, aino, body="something else")
    assert first.pk == second.pk
    assert CaseMessage.objects.count() == 1
    assert case.events.filter(kind=CaseEvent.Kind.REPLY).count() == 1
    assert DBTaskResult.objects.count() == 1


def test_a_later_reply_keeps_the_first_response_time(case, aino):
    first = reply(case, aino)
    reply(case, aino, idempotency_key="k2")
    case.refresh_from_db()
    assert case.first_response_at == first.created_at
    assert list(case.messages.values_list("idempotency_key", flat=True)) == ["k1", "k2"]


def test_a_reply_on_a_case_marked_contacted_earlier_keeps_that_time(case, aino):
    earlier = timezone.now() - timedelta(hours=2)
    Case.objects.filter(pk=case.pk).update(status="contacted", first_response_at=earlier)
    case.refresh_from_db()
    reply(case, aino)
    case.refresh_from_db()
    assert case.first_response_at == earlier
    assert not case.events.filter(kind=CaseEvent.Kind.STATUS).exists()


def test_validation_names_the_field(org, case, aino):
    assert errors_of(case, aino, body="   ") == {"body": "Write the reply."}
    assert "body" in errors_of(case, aino, body="x" * 5001)
    assert "subject" in errors_of(case, aino, subject="s" * 201)
    assert errors_of(case, aino, channel="fax") == {"channel": "Choose email or SMS."}
    assert "idempotency_key" in errors_of(case, aino, idempotency_key="")

    no_email = make_case(org, customer_email="", owner=aino)
    assert "no email address" in errors_of(no_email, aino)["channel"]
    assert "no phone number" in errors_of(no_email, aino, channel="sms")["channel"]

    landline = make_case(org, customer_phone="09 123 4567")
    assert "cannot receive SMS" in errors_of(landline, aino, channel="sms")["channel"]
    bad_number = make_case(org, customer_phone="12")
    assert "not valid" in errors_of(bad_number, aino, channel="sms")["channel"]
    assert CaseMessage.objects.count() == 0


def test_an_sms_longer_than_ten_segments_is_refused(org, aino):
    case = make_case(org, customer_phone="040 123 4567", reply_channel="sms")
    errors = errors_of(case, aino, channel="sms", body="a" * 1600)
    assert list(errors) == ["body"] and "11 messages" in errors["body"]
    # Ten full segments with the signature fit.
    signature = len(replies.sms_text(case, aino, "")) - 1
    assert reply(case, aino, channel="sms", body="a" * (1530 - signature - 1)).channel == "sms"


def test_bounced_email_and_sms_stop_block_a_reply_but_a_survey_unsubscribe_does_not(org, aino):
    now = timezone.now()
    make_contact(org, "bounced@example.com", email_bounced_at=now)
    bounced = make_case(org, customer_email="bounced@example.com")
    assert "has bounced" in errors_of(bounced, aino)["channel"]

    Contact.objects.create(organisation=org, phone="+358401234567", sms_opt_out_at=now)
    stopped = make_case(org, customer_phone="0401234567", customer_email="")
    assert "not to receive SMS" in errors_of(stopped, aino, channel="sms")["channel"]

    make_contact(org, "unsubscribed@example.com", email_opt_out_at=now)
    unsubscribed = make_case(org, customer_email="unsubscribed@example.com")
    with translation.override("en"):
        assert [n.channel for n in replies.notices(unsubscribed)] == ["email"]
    assert reply(unsubscribed, aino).status == CaseMessage.Status.QUEUED


def test_the_default_subject_is_in_the_customers_language(org):
    assert replies.default_subject(make_case(org, language="fi")) == (
        "Vastaus palautteeseesi – Kahvila"
    )
    assert replies.default_subject(make_case(org, language="sv")) == (
        "Vastaus palautteeseesi – Kahvila"  # the organisation's language when not fi/en
    )


def test_the_address_is_the_customers_own_else_their_contacts(org, aino):
    contact = make_contact(org, "contact@example.com", phone="+358401234567")
    case = make_case(org, customer_email="", contact=contact, reply_channel="sms")
    assert replies.default_channel(case) == "sms"
    assert replies.address(case, "email") == "contact@example.com"
    assert replies.address(case, "sms") == "+358401234567"
    given = make_case(org, customer_email="Given@Example.com", contact=contact)
    assert replies.address(given, "email") == "given@example.com"
    assert replies.default_channel(make_case(org, reply_channel="sms")) == "email"


def test_the_email_the_customer_receives(case, aino, mailbox):
    first = reply(case, aino, body="Hi Maija,\n\nwe fixed the queue.\n\nSorry & thanks!")
    assert run_due_jobs() == 1
    first.refresh_from_db()
    assert first.status == CaseMessage.Status.SENT and first.sent_at is not None
    assert first.provider_id.startswith(f"<case-{case.pk}-reply-{first.pk}.kahvila@")
    [(mail_from, rcpt_tos, message)] = mailbox.received
    assert mail_from == "bounces@kahvila.example" and rcpt_tos == ["maija@example.com"]
    assert message["From"].addresses[0].display_name == "Aino Virtanen | Kahvila"
    assert message["From"].addresses[0].addr_spec == "kysely@kahvila.example"
    assert str(message["Reply-To"]) == "aino@kahvila.example"
    assert str(message["To"]) == "Maija Meikäläinen <maija@example.com>"
    assert str(message["Subject"]) == "About your feedback – Kahvila"
    text, html = _part(message, "text/plain"), _part(message, "text/html")
    assert text.startswith("Hi Maija,\n\nwe fixed the queue.")
    assert "Aino Virtanen, Customer manager" in text and "+358401112223" in text
    assert "Sorry &amp; thanks!" in html and "<script" not in html
    assert "List-Unsubscribe" not in message  # a personal reply, not a mailing

    second = reply(case, aino, idempotency_key="k2", subject="Your voucher")
    run_due_jobs()
    later = mailbox.received[1][2]
    assert str(later["Subject"]) == "Your voucher"
    assert str(later["In-Reply-To"]) == first.provider_id
    second.refresh_from_db()
    assert second.status == CaseMessage.Status.SENT


def test_the_customers_comment_is_not_quoted(org, aino, mailbox):
    case = make_case(org, owner=aino, title="Terrible coffee, my address is Kotikatu 5")
    reply(case, aino, body="Thank you for telling us.")
    run_due_jobs()
    text = _part(mailbox.received[0][2], "text/plain")
    assert "Kotikatu" not in text and "Terrible" not in text


def test_smtp_down_is_retried_then_sent(case, aino, mailbox, settings):
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens here
    message = reply(case, aino)
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == CaseMessage.Status.QUEUED
    assert "ConnectionRefusedError" in message.error
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > timezone.now() + timedelta(seconds=40)  # backoff, not at once

    settings.EMAIL_PORT = port
    make_due()
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == CaseMessage.Status.SENT and message.error == ""
    assert len(mailbox.received) == 1


def test_giving_up_after_the_retry_window_restarts_the_clock(case, aino, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    message = reply(case, aino)
    CaseMessage.objects.filter(pk=message.pk).update(
        created_at=message.created_at - replies.GIVE_UP_AFTER
    )
    Case.objects.filter(pk=case.pk).update(
        first_response_at=message.created_at - replies.GIVE_UP_AFTER
    )
    with translation.override("en"):
        assert replies.deliver(message.pk) == "failed: gave up"
    message.refresh_from_db()
    case.refresh_from_db()
    assert message.status == CaseMessage.Status.FAILED and "ConnectionRefused" in message.error
    assert case.first_response_at is None and case.status == Case.Status.NEW
    back = case.events.filter(kind=CaseEvent.Kind.STATUS).last()
    assert back.data == {"from": "contacted", "to": "new"} and back.actor is None
    assert back.text.startswith("The reply could not be delivered: ConnectionRefusedError")


def test_retry_window_arithmetic():
    """Giving up always happens on a try: the last try comes after GIVE_UP_AFTER, the one
    before it (when the worker keeps up) before."""
    delays = [replies.BASE_DELAY * 2**n for n in range(replies.MAX_ATTEMPTS - 1)]
    delays = [min(delay, replies.MAX_DELAY) for delay in delays]
    earliest_last = 0.8 * sum(delays)
    latest_before_last = 1.2 * sum(delays[:-1])
    window = replies.GIVE_UP_AFTER.total_seconds()
    assert latest_before_last < window < earliest_last
    assert 0.8 * 60 <= backoff_seconds(1, replies.BASE_DELAY, replies.MAX_DELAY) <= 1.2 * 60


class RefusingInbox(Inbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("gone@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_smtp(settings):
    with loopback_smtp(settings, RefusingInbox()) as inbox:
        yield inbox


def test_a_refused_address_fails_at_once_and_stops_the_address(org, aino, refusing_smtp):
    contact = make_contact(org, "gone@example.com")
    case = make_case(org, owner=aino, customer_email="gone@example.com")
    message = reply(case, aino)
    run_due_jobs()
    message.refresh_from_db()
    case.refresh_from_db()
    contact.refresh_from_db()
    assert message.status == CaseMessage.Status.FAILED and "550" in message.error
    assert contact.email_bounced_at is not None
    assert case.first_response_at is None and case.status == Case.Status.NEW
    assert DBTaskResult.objects.filter(status="READY").count() == 0  # no retry

    # The owner sends it again once the address is fixed: a new message, the old one stays.
    Case.objects.filter(pk=case.pk).update(customer_email="maija@example.com")
    case.refresh_from_db()
    again = resend(message, author=aino)
    assert resend(message, author=aino).pk == again.pk  # double click
    assert again.pk != message.pk and again.to == "maija@example.com"
    run_due_jobs()
    again.refresh_from_db()
    case.refresh_from_db()
    assert again.status == CaseMessage.Status.SENT
    assert case.status == Case.Status.CONTACTED and case.first_response_at == again.created_at
    assert [m.status for m in case.messages.all()] == ["failed", "sent"]
    with pytest.raises(ReplyInvalid):
        resend(again, author=aino)


def test_a_failed_later_reply_leaves_the_clock_alone(case, aino, refusing_smtp):
    first = reply(case, aino)
    run_due_jobs()
    Case.objects.filter(pk=case.pk).update(customer_email="gone@example.com")
    case.refresh_from_db()
    reply(case, aino, idempotency_key="k2")
    run_due_jobs()
    case.refresh_from_db()
    assert case.first_response_at == first.created_at
    assert case.status == Case.Status.CONTACTED


def test_an_sms_reply_through_the_provider(org, aino, sms_server):
    case = make_case(
        org, owner=aino, customer_email="", customer_phone="040 123 4567", reply_channel="sms"
    )
    assert replies.default_channel(case) == "sms"
    message = reply(case, aino, channel="sms", body="Hei Maija, korjasimme jonon.")
    assert message.to == "+358401234567" and message.subject == ""
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == CaseMessage.Status.SENT
    assert not sms_server.problems
    [sent] = sms_server.messages
    assert sent["To"] == "+358401234567" and sent["From"] == "+358451234567"
    # SMS_FROM is a number the customer can answer: no phone in the signature.
    assert sent["Body"] == "Hei Maija, korjasimme jonon.\n- Aino Virtanen, Kahvila"
    assert message.provider_id == sent["sid"]


def test_an_sms_from_a_named_sender_carries_the_owners_phone(org, aino, sms_server, settings):
    settings.SMS_FROM = "Kahvila"
    case = make_case(org, customer_phone="+358401234567", reply_channel="sms")
    reply(case, aino, channel="sms", body="Kiitos palautteesta!")
    run_due_jobs()
    assert sms_server.messages[0]["Body"].endswith("- Aino Virtanen, Kahvila +358401112223")


def test_a_number_on_the_providers_stop_list_fails_and_is_opted_out(org, aino, sms_server):
    contact = Contact.objects.create(organisation=org, phone="+358401234567")
    sms_server.refuse = {"+358401234567": 21610}
    case = make_case(org, contact=contact, customer_email="", reply_channel="sms")
    message = reply(case, aino, channel="sms")
    run_due_jobs()
    message.refresh_from_db()
    contact.refresh_from_db()
    assert message.status == CaseMessage.Status.FAILED and "21610" in message.error
    assert contact.sms_opt_out_at is not None


def test_a_provider_outage_is_retried(org, aino, sms_server):
    sms_server.fail_next = 1
    case = make_case(org, customer_phone="+358401234567", reply_channel="sms")
    message = reply(case, aino, channel="sms")
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == CaseMessage.Status.QUEUED and "503" in message.error
    make_due()
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == CaseMessage.Status.SENT
    assert len(sms_server.messages) == 1


def test_the_author_need_not_be_the_owner(org, case, mailbox):
    colleague = make_member(
        org, "pekka", role=Role.MANAGER, first_name="Pekka", email="pekka@kahvila.example"
    )
    reply(case, colleague)
    run_due_jobs()
    assert str(mailbox.received[0][2]["Reply-To"]) == "pekka@kahvila.example"
