"""SMS invitations: the contact's language, the organisation's template, the personal link in
its short form, the opt-out line, and the configured provider (sms_providers.py).

The provider reports delivery to ``/hooks/sms/status`` (sms_webhooks.py), which moves the
invitation to delivered, or to failed when the number could not be reached.
"""

from __future__ import annotations

from palaute.outreach import conf, unsubscribe
from palaute.outreach.contacts import opt_out
from palaute.outreach.delivery import Sent, register
from palaute.outreach.email_channel import email_language, survey_title
from palaute.outreach.models import Invitation
from palaute.outreach.senders import outreach_settings, sender_for
from palaute.outreach.sms_providers import RecipientOptedOut, SmsMessage, provider
from palaute.outreach.sms_templates import render_sms, template_for
from palaute.outreach.tokens import ANSWER, UNSUBSCRIBE, make_short_token


def sms_answer_url(invitation: Invitation) -> str:
    return f"{conf.site_url()}/i/{make_short_token(invitation.key, ANSWER)}/"


def sms_unsubscribe_url(invitation: Invitation) -> str:
    return unsubscribe.short_url(invitation.key, UNSUBSCRIBE)


def status_callback_url() -> str:
    return f"{conf.site_url()}/hooks/sms/status"


def sms_sender(organisation) -> str:
    """The organisation's own sender ID, else the server's SMS_FROM."""
    return outreach_settings(organisation).sms_sender or conf.sms_from()


def compose(invitation: Invitation, sequence: int) -> str:
    organisation, contact = invitation.organisation, invitation.contact
    language = email_language(invitation)
    kind = "invitation" if sequence == 0 else "reminder"
    sender = sender_for(organisation, invitation.sender)
    values = {
        "first_name": contact.name.split()[0] if contact.name.strip() else "",
        "name": contact.name,
        "survey": survey_title(invitation.survey, language),
        "link": sms_answer_url(invitation),
        "organisation": organisation.name,
        "sender_name": sender.name,
        "sender_title": sender.title,
        "sender_phone": sender.phone,
        "sender_email": sender.email,
    }
    return render_sms(
        template_for(organisation, kind, language),
        language=language,
        values=values,
        sender=sms_sender(organisation),
        unsubscribe_url=sms_unsubscribe_url(invitation),
    )


def send_text(contact, text: str, organisation) -> Sent:
    """Hand one text to the provider (invitations and journey messages)."""
    backend = provider()
    message = SmsMessage(
        to=contact.phone,
        sender=sms_sender(organisation),
        body=text,
        status_callback=status_callback_url(),
    )
    try:
        accepted = backend.send(message)
    except RecipientOptedOut:
        # The person texted STOP to our number; the provider will refuse every SMS to them.
        opt_out(contact, "sms", via="provider opt-out list")
        raise
    return Sent(to=contact.phone, provider=f"sms:{backend.name}", message_id=accepted.message_id)


class SmsChannel:
    name = "sms"

    def send(self, invitation: Invitation, sequence: int) -> Sent:
        return send_text(invitation.contact, compose(invitation, sequence), invitation.organisation)


register(SmsChannel())
