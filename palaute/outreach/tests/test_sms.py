"""SMS: segment counting, templates, the Twilio provider against a loopback server, the
signed delivery receipts and the opt-out keywords."""

import pytest
from django.utils import timezone

from palaute.outreach import tokens
from palaute.outreach.delivery import PermanentFailure
from palaute.outreach.invitations import invite
from palaute.outreach.models import (
    Contact,
    Invitation,
    JobFailure,
    OutboundMessage,
    OutreachSettings,
)
from palaute.outreach.sms_channel import compose, sms_answer_url
from palaute.outreach.sms_providers import (
    ConsoleProvider,
    RecipientOptedOut,
    SmsMessage,
    SmsProviderError,
    TwilioProvider,
)
from palaute.outreach.sms_templates import check_template, render_sms
from palaute.outreach.sms_text import analyse
from palaute.outreach.sms_webhooks import keyword, signature, signature_valid
from palaute.outreach.tests.helpers import invitation_for, make_contact
from palaute.outreach.tests.jobs_helpers import make_due, run_due_jobs
from palaute.surveys.tests.helpers import make_org, make_survey

# ------------------------------------------------------------------ segment counting


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("Hyvää päivää, Åsa! Öljyä ja émigré", "GSM-7", 34, 1),  # Nordic letters are GSM-7
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters count two
        ("€" * 81, "GSM-7", 162, 2),
        ("[x]{y}~^|\\", "GSM-7", 18, 1),  # eight extension characters
        ("Kiitos – nähdään!", "UCS-2", 17, 1),  # an en dash forces UCS-2
        ("b" * 70 + "’", "UCS-2", 71, 2),
        ("ö" * 70, "GSM-7", 70, 1),
        ("ы" * 70, "UCS-2", 70, 1),
        ("ы" * 134, "UCS-2", 134, 2),
        ("ы" * 135, "UCS-2", 135, 3),
        ("😀" * 35, "UCS-2", 70, 1),  # outside the BMP: two UTF-16 units each
    ],
)
def test_segment_counting(text, encoding, units, segments):
    count = analyse(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


def test_a_two_unit_character_is_not_split_between_segments():
    # 152 plain characters then a euro sign: 154 septets; the € cannot take the 153rd septet
    # of the first segment and its last one on the next, so it moves whole.
    count = analyse("a" * 152 + "€" + "a" * 10)
    assert count.units == 164 and count.segments == 2
    assert count.remaining == 153 - 12  # € and ten a's in the second segment
    emoji = analyse("a" * 66 + "😀" + "aaa")  # UCS-2 because of the emoji; 71 units
    assert emoji.segments == 2 and emoji.remaining == 67 - 5  # the emoji moved whole


def test_ucs2_characters_are_reported_once_in_order():
    count = analyse("“Hei” – ’moi’")
    assert count.ucs2_characters == ("“", "”", "–", "’")


# ----------------------------------------------------------------------- templates


def test_sms_template_rules():
    assert check_template("Hei {{ first_name }}: {{ link }}") is None
    assert "link" in check_template("Hei {{ first_name }}")
    assert "{{ coupon }}" in check_template("{{ coupon }} {{ link }}")
    assert check_template("x" * 700 + "{{ link }}") is not None


def test_opt_out_line_depends_on_whether_the_sender_can_receive_replies():
    values = {"first_name": "Maija", "link": "https://p.example/i/T/"}
    by_number = render_sms(
        "Hei {{ first_name }}! {{ link }}",
        language="fi",
        values=values,
        sender="+358451234567",
        unsubscribe_url="https://p.example/u/U/",
    )
    assert by_number == "Hei Maija! https://p.example/i/T/\nLopeta: vastaa LOPETA"
    by_name = render_sms(
        "Hi! {{ link }}",
        language="en",
        values=values,
        sender="Kahvila",
        unsubscribe_url="https://p.example/u/U/",
    )
    assert by_name.endswith("\nOpt out: https://p.example/u/U/")


@pytest.mark.django_db
def test_default_invitation_sms_fits_one_segment_and_uses_the_short_link(settings):
    settings.SITE_URL = "https://palaute.example.com"
    settings.SMS_FROM = "+358451234567"
    survey = make_survey()
    contact = make_contact(survey.organisation, "", phone="+358401234567", name="Maija M")
    invitation = invitation_for(survey, contact, channel="sms")
    text = compose(invitation, 0)
    link = sms_answer_url(invitation)
    assert link in text and len(link) == len("https://palaute.example.com/i/") + 33 + 1
    assert text.startswith("Hei Maija! Miten onnistuimme?")
    assert analyse(text).segments == 1 and analyse(text).encoding == "GSM-7"


def test_short_tokens_are_authentic_and_purpose_bound():
    key = "k" * 22
    short = tokens.make_short_token(key, tokens.ANSWER)
    assert len(short) == 33
    assert tokens.split_token(short, tokens.ANSWER) == key
    assert tokens.split_token(short, tokens.UNSUBSCRIBE) is None
    assert (
        tokens.split_token(short[:-1] + ("A" if short[-1] != "A" else "B"), tokens.ANSWER) is None
    )


# -------------------------------------------------------------------- the provider


def test_twilio_provider_sends_the_documented_request(twilio):
    accepted = TwilioProvider().send(
        SmsMessage(
            to="+358401234567",
            sender="Kahvila",
            body="Hyvää päivää! https://x/i/T/",
            status_callback="https://p.example/hooks/sms/status",
        )
    )
    assert twilio.problems == []
    [sent] = twilio.messages
    assert accepted.message_id == sent["sid"] and accepted.status == "queued"
    assert sent["Body"] == "Hyvää päivää! https://x/i/T/" and sent["From"] == "Kahvila"
    assert sent["StatusCallback"] == "https://p.example/hooks/sms/status"


def test_twilio_errors_are_classified(twilio, settings):
    provider = TwilioProvider()
    twilio.refuse = {"+358401111111": 21610, "+358402222222": 21614}
    with pytest.raises(RecipientOptedOut):
        provider.send(SmsMessage("+358401111111", "Kahvila", "x"))
    with pytest.raises(PermanentFailure) as bad_number:
        provider.send(SmsMessage("+358402222222", "Kahvila", "x"))
    assert bad_number.value.bounced and "21614" in bad_number.value.reason
    twilio.fail_next = 1
    with pytest.raises(SmsProviderError, match="503"):
        provider.send(SmsMessage("+358403333333", "Kahvila", "x"))
    with pytest.raises(SmsProviderError, match="20003"):  # credentials being fixed: retry
        TwilioProvider(auth_token="wrong").send(SmsMessage("+358403333333", "Kahvila", "x"))
    twilio.problems.clear()
    settings.SMS_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens: a transport error
    with pytest.raises(SmsProviderError):
        TwilioProvider(timeout=1).send(SmsMessage("+358403333333", "Kahvila", "x"))


def test_console_backend_prints(capsys):
    accepted = ConsoleProvider().send(SmsMessage("+358401234567", "Kahvila", "Hei!"))
    out = capsys.readouterr().out
    assert accepted.message_id in out and "To: +358401234567" in out and "Hei!" in out


@pytest.mark.django_db
def test_provider_opt_out_list_stops_the_contact(twilio):
    survey = make_survey()
    contact = make_contact(survey.organisation, "", phone="+358401111111")
    twilio.refuse = {"+358401111111": 21610}
    invite(survey, [contact], channel="sms", batch_key="b")
    run_due_jobs()
    contact.refresh_from_db()
    assert contact.sms_opt_out_at is not None
    invitation = Invitation.objects.get()
    assert invitation.status == "failed" and "21610" in invitation.last_error


@pytest.mark.django_db
def test_a_provider_outage_is_retried_with_backoff(twilio):
    survey = make_survey()
    contact = make_contact(survey.organisation, "", phone="+358405555555")
    twilio.fail_next = 1
    invite(survey, [contact], channel="sms", batch_key="b")
    run_due_jobs()
    invitation = Invitation.objects.get()
    assert invitation.status == "scheduled" and "503" in invitation.last_error
    assert JobFailure.objects.get().retry_at is not None
    make_due()
    run_due_jobs()
    invitation.refresh_from_db()
    assert invitation.status == "sent" and len(twilio.messages) == 1


# ------------------------------------------------------------ webhooks from the provider


def test_signature_matches_twilios_documented_examples():
    # https://www.twilio.com/docs/usage/webhooks/webhooks-security (TwilioDevEd/api-snippets)
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675310",
        "Digits": "1234",
        "From": "+14158675310",
        "To": "+18005551212",
    }
    assert signature("12345", url, list(params.items())) == "GvWf1cFY/Q7PnoempGyD5oXAezc="
    params["Caller"] = params["From"] = "+14158675309"
    assert signature("12345", url, list(params.items())) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert signature_valid("12345", [url], list(params.items()), "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not signature_valid("12345", [url + "&x=1"], list(params.items()), "x")
    assert not signature_valid("", [url], list(params.items()), "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


def _signed_post(client, path, params, auth_token, url=None):
    url = url or f"http://testserver{path}"
    signed = signature(auth_token, url, sorted(params.items()))
    return client.post(path, params, headers={"X-Twilio-Signature": signed})


@pytest.mark.django_db
def test_status_callback_needs_a_valid_signature_and_marks_failures(client, twilio):
    survey = make_survey()
    contact = make_contact(survey.organisation, "", phone="+358401234567")
    invite(survey, [contact], channel="sms", batch_key="b")
    run_due_jobs()
    sid = twilio.messages[0]["sid"]
    receipt = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}

    forged = _signed_post(client, "/hooks/sms/status", receipt, "not-the-token")
    assert forged.status_code == 403
    moved = _signed_post(client, "/hooks/sms/status", {**receipt, "ErrorCode": "1"}, "x")
    assert moved.status_code == 403
    assert Invitation.objects.get().status == "sent"

    ok = _signed_post(client, "/hooks/sms/status", receipt, twilio.auth_token)
    assert ok.status_code == 200
    invitation = Invitation.objects.get()
    assert invitation.status == "failed" and "30003" in invitation.last_error
    assert invitation.next_reminder_at is None
    assert OutboundMessage.objects.get().status == "failed"
    unknown = {"MessageSid": "SMnope", "MessageStatus": "delivered"}
    assert _signed_post(client, "/hooks/sms/status", unknown, twilio.auth_token).status_code == 200


@pytest.mark.django_db
def test_sms_webhooks_are_off_without_an_auth_token(client, settings):
    settings.SMS_AUTH_TOKEN = ""
    assert client.post("/hooks/sms/status", {"MessageSid": "x"}).status_code == 404
    assert client.post("/hooks/sms/inbound", {"Body": "STOP"}).status_code == 404


@pytest.mark.parametrize(
    ("body", "word"),
    [("stop", "STOP"), ("  Lopeta! ", "LOPETA"), ("seis.", "SEIS"), ("Stopp", "STOPP")],
)
def test_keyword_normalisation(body, word):
    assert keyword(body) == word


@pytest.mark.django_db
def test_stop_keywords_opt_out_in_every_organisation_and_start_opts_back_in(client, twilio):
    kahvila, studio = make_org("kahvila"), make_org("studio")
    mine = make_contact(kahvila, "", phone="+358401234567", language="fi")
    theirs = make_contact(studio, "", phone="+358401234567", language="en")
    other = make_contact(kahvila, "", phone="+358409999999")

    reply = _signed_post(
        client, "/hooks/sms/inbound", {"From": "+358401234567", "Body": "Lopeta"}, twilio.auth_token
    )
    assert reply.status_code == 200 and reply["Content-Type"].startswith("text/xml")
    assert "<Message>Et saa enää tekstiviestejä" in reply.content.decode()
    for contact in (mine, theirs, other):
        contact.refresh_from_db()
    assert mine.sms_opt_out_at is not None and theirs.sms_opt_out_at is not None
    assert other.sms_opt_out_at is None

    chatter = _signed_post(
        client,
        "/hooks/sms/inbound",
        {"From": "+358401234567", "Body": "Kiitos!"},
        twilio.auth_token,
    )
    assert "<Message>" not in chatter.content.decode()

    _signed_post(
        client, "/hooks/sms/inbound", {"From": "040 123 4567", "Body": "ALOITA"}, twilio.auth_token
    )
    assert Contact.objects.filter(phone="+358401234567", sms_opt_out_at__isnull=True).count() == 2


@pytest.mark.django_db
def test_an_opted_out_contact_is_skipped_and_the_fallback_channel_is_used(twilio, smtp_inbox):
    survey = make_survey()
    org = survey.organisation
    both = make_contact(org, "both@example.com", phone="+358401234567")
    invite(survey, [both], preference="sms_first", batch_key="b")
    invitation = Invitation.objects.get()
    assert (invitation.channel, invitation.fallback_channel) == ("sms", "email")
    # The person texts STOP before the invitation goes out: it goes by email instead.
    Contact.objects.filter(pk=both.pk).update(sms_opt_out_at=timezone.now())
    run_due_jobs()
    invitation.refresh_from_db()
    assert invitation.channel == "email" and invitation.status == "sent"
    assert twilio.messages == [] and len(smtp_inbox.received) == 1


@pytest.mark.django_db
def test_alphanumeric_sender_of_the_organisation_is_used(twilio):
    survey = make_survey()
    OutreachSettings.objects.create(organisation=survey.organisation, sms_sender="Kahvila")
    contact = make_contact(survey.organisation, "", phone="+358401234567")
    invite(survey, [contact], channel="sms", batch_key="b")
    run_due_jobs()
    [sms] = twilio.messages
    assert sms["From"] == "Kahvila" and "\nLopeta: http://testserver/u/" in sms["Body"]
    assert twilio.problems == []


@pytest.mark.django_db
def test_a_landline_gets_no_sms_and_the_preference_falls_back_to_email(memory_sms):
    survey = make_survey()
    org = survey.organisation
    landline = make_contact(org, "", phone="+35891234567")  # a Helsinki landline
    both = make_contact(org, "office@example.com", phone="09 765 4321")
    invite(survey, [landline], channel="sms", batch_key="a")
    invite(survey, [both], preference="sms_first", batch_key="b")
    reasons = dict(Invitation.objects.values_list("contact__phone", "skip_reason"))
    assert reasons["+35891234567"] == "not_mobile"
    assert Invitation.objects.get(contact=both).channel == "email"
    run_due_jobs()
    assert memory_sms == []
