import json
import time

import pytest
from django.core.management import call_command

from palaute.outreach.bounces import signature, verify_signature
from palaute.outreach.dsn import delivery_events, read_messages, unsubscribe_token
from palaute.outreach.email_channel import unsubscribe_url
from palaute.outreach.invitations import invite
from palaute.outreach.models import Invitation, OutboundMessage
from palaute.outreach.tests.helpers import make_contact, make_survey
from palaute.outreach.tests.jobs_helpers import run_due_jobs

pytestmark = pytest.mark.django_db

DSN = """From: MAILER-DAEMON@mx.example.net
To: bounces@kahvila.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

The mail system could not deliver your message.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address
    rejected: User unknown

--B
Content-Type: text/rfc822-headers

From: Aino <kysely@kahvila.example>
To: {recipient}
Subject: Cafe: miten onnistuimme?
Message-ID: {message_id}

--B--
"""


def dsn(recipient, message_id, action="failed", status="5.1.1") -> bytes:
    text = DSN.format(recipient=recipient, message_id=message_id, action=action, status=status)
    return text.replace("\n", "\r\n").encode()


@pytest.fixture
def sent():
    survey = make_survey()
    contact = make_contact(survey.organisation, "nobody@example.com")
    invite(survey, [contact], batch_key="b")
    run_due_jobs()
    invitation = Invitation.objects.get()
    assert invitation.status == "sent"
    return invitation


@pytest.mark.parametrize("last", ["A", "_", "-"])
def test_mailed_unsubscribe_token_may_end_with_any_token_character(last):
    token = "k" * 43 + last  # URL-safe base64: "-" and "_" are token characters too
    message = next(read_messages(f"Subject: unsubscribe {token}\n\nx\n".encode()))
    assert unsubscribe_token(message) == token
    longer = next(read_messages(f"Subject: unsubscribe {token}x\n\nx\n".encode()))
    assert unsubscribe_token(longer) is None


def test_dsn_parser_reads_recipient_status_and_original_message_id():
    events = list(delivery_events(next(read_messages(dsn("a@example.com", "<m1@x>")))))
    assert len(events) == 1
    event = events[0]
    assert (event.kind, event.recipient, event.message_id, event.permanent) == (
        "bounce",
        "a@example.com",
        "<m1@x>",
        True,
    )
    assert event.reason.startswith("5.1.1 smtp; 550")
    delayed = delivery_events(next(read_messages(dsn("a@example.com", "<m>", "delayed", "4.4.1"))))
    assert delayed[0].permanent is False
    plain = b"From: a@example.com\r\nSubject: hello\r\n\r\nhi\r\n"
    assert delivery_events(next(read_messages(plain))) == []


def test_inbound_email_applies_a_hard_bounce(sent, tmp_path, capsys):
    message = sent.messages.get()
    path = tmp_path / "bounce.eml"
    path.write_bytes(dsn("nobody@example.com", message.provider_message_id))
    call_command("inbound_email", str(path))
    assert "events: 1" in capsys.readouterr().out
    sent.refresh_from_db()
    sent.contact.refresh_from_db()
    assert sent.status == "bounced" and sent.next_reminder_at is None
    assert sent.contact.email_bounced_at is not None
    assert "User unknown" in sent.contact.email_bounce_reason
    assert OutboundMessage.objects.get().status == "bounced"
    # The stopped address is skipped next time, with the reason shown.
    invite(sent.survey, [sent.contact], batch_key="again")
    assert Invitation.objects.get(dedup_key__startswith="again").skip_reason == "bounced"


def test_inbound_email_reads_mbox_soft_bounces_and_mailto_unsubscribes(sent, tmp_path, capsys):
    message = sent.messages.get()
    token = unsubscribe_url(sent).rstrip("/").rpartition("/")[2]
    unsubscribe = f"From: maija@example.com\r\nSubject: unsubscribe {token}\r\n\r\n\r\n".encode()
    mbox = (
        b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n"
        + dsn("nobody@example.com", message.provider_message_id, "delayed", "4.4.1")
        + b"\nFrom maija@example.com Mon Jan  1 00:00:01 2024\n"
        + unsubscribe
        + b"\nFrom x@example.com Mon Jan  1 00:00:02 2024\n"
        + dsn("stranger@example.org", "<unknown@x>")
    )
    path = tmp_path / "inbox.mbox"
    path.write_bytes(mbox)
    call_command("inbound_email", str(path))
    out = capsys.readouterr().out
    assert "messages: 3" in out and "unsubscribed: 1" in out and "unmatched: 1" in out
    sent.refresh_from_db()
    sent.contact.refresh_from_db()
    assert sent.status == "sent"  # a soft bounce stops nothing
    assert sent.contact.email_bounced_at is None
    assert sent.contact.email_opt_out_at is not None
    assert sent.messages.get().detail.startswith("temporary: 4.4.1")


def _signed(client, settings, payload, *, secret="s3cret", timestamp=None, mangle=False):
    settings.EMAIL_WEBHOOK_SECRET = "s3cret"
    body = json.dumps(payload).encode()
    stamp = str(int(timestamp if timestamp is not None else time.time()))
    mac = signature(secret, stamp, body + (b" " if mangle else b""))
    return client.post(
        "/hooks/email-events",
        body,
        content_type="application/json",
        HTTP_X_PALAUTE_SIGNATURE=f"t={stamp},v1={mac}",
    )


def test_webhook_applies_signed_events(client, settings, sent):
    message = sent.messages.get()
    payload = {
        "events": [
            {"type": "delivered", "message_id": message.provider_message_id},
            {
                "type": "bounce",
                "recipient": "NOBODY@example.com",
                "bounce_type": "hard",
                "reason": "550 mailbox unavailable",
            },
        ]
    }
    response = _signed(client, settings, payload)
    assert response.status_code == 200, response.content
    assert response.json() == {"applied": 2, "unmatched": 0}
    sent.refresh_from_db()
    sent.contact.refresh_from_db()
    assert sent.delivered_at is not None
    assert sent.status == "bounced"
    assert sent.contact.email_bounce_reason == "550 mailbox unavailable"


def test_webhook_complaint_opts_out(client, settings, sent):
    message = sent.messages.get()
    response = _signed(
        client, settings, {"type": "complaint", "message_id": message.provider_message_id}
    )
    assert response.json() == {"applied": 1, "unmatched": 0}
    sent.contact.refresh_from_db()
    assert sent.contact.email_opt_out_at is not None


def test_webhook_refuses_bad_signatures_and_bad_bodies(client, settings, sent):
    payload = {"type": "bounce", "recipient": "nobody@example.com"}
    assert _signed(client, settings, payload, secret="wrong").status_code == 401
    assert _signed(client, settings, payload, mangle=True).status_code == 401
    stale = _signed(client, settings, payload, timestamp=time.time() - 3600)
    assert stale.status_code == 401
    assert "5 minutes" in stale.json()["errors"]["X-Palaute-Signature"]
    bad = _signed(client, settings, {"events": [{"type": "exploded", "recipient": "x"}]})
    assert bad.status_code == 400
    assert "events[0].type" in bad.json()["errors"]
    missing = _signed(client, settings, {"type": "bounce"})
    assert missing.json()["errors"] == {"events[0]": "give message_id or recipient"}
    sent.contact.refresh_from_db()
    assert sent.contact.email_bounced_at is None  # nothing was applied


def test_webhook_is_off_without_a_secret(client, settings):
    settings.EMAIL_WEBHOOK_SECRET = ""
    assert (
        client.post("/hooks/email-events", b"{}", content_type="application/json").status_code
        == 404
    )


def test_verify_signature_header_format():
    assert "expected" in verify_signature("s", "garbage", b"{}")
    stamp = "1700000000"
    good = f"t={stamp},v1={signature('s', stamp, b'{}')}"
    assert verify_signature("s", good, b"{}", now=1700000100) is None
    assert verify_signature("s", good, b"{}", now=1700001000) is not None
