"""Email invitations through Django's mail backends (SMTP in production).

One message per step: multipart/alternative with plain text and HTML, From = the named sender's
name with the configured address, Reply-To = the sender's own address, the envelope sender is
the bounce address, and ``List-Unsubscribe`` (https and mailto) with one-click POST (RFC 8058).
The Message-ID is stable per invitation step, so if a crash makes us hand the same step to the
server twice, receiving systems that deduplicate by Message-ID show it once.
"""

from __future__ import annotations

from email.headerregistry import Address

from django.core.mail import EmailMultiAlternatives, get_connection

from palaute.outreach import conf, unsubscribe
from palaute.outreach.delivery import Sent, register, send_email
from palaute.outreach.emails import render_email, template_for
from palaute.outreach.models import Invitation
from palaute.outreach.senders import sender_for
from palaute.outreach.tokens import ANSWER, UNSUBSCRIBE, make_token
from palaute.surveys.publishing import current_definition

EMAIL_LANGUAGES = ("fi", "en")


def answer_url(invitation: Invitation) -> str:
    return f"{conf.site_url()}/i/{make_token(invitation.key, ANSWER)}/"


def unsubscribe_url(invitation: Invitation) -> str:
    return unsubscribe.url(invitation.key, UNSUBSCRIBE)


def unsubscribe_mailto(invitation: Invitation) -> str:
    """The mailto half of List-Unsubscribe; ``palaute inbound_email`` reads these."""
    return unsubscribe.mailto(invitation.key, UNSUBSCRIBE)


def message_id(invitation: Invitation, sequence: int) -> str:
    domain = conf.from_address().rpartition("@")[2] or "localhost"
    return f"<invitation-{invitation.pk}-{sequence}.{invitation.organisation.slug}@{domain}>"


def email_language(invitation: Invitation) -> str:
    for language in (invitation.contact.language, invitation.organisation.default_language):
        if language in EMAIL_LANGUAGES:
            return language
    return "fi"


def survey_title(survey, language: str) -> str:
    current = current_definition(survey)
    if current is None:
        return survey.name
    definition = current[1]
    return definition.text(definition.title, definition.language_for(language)) or survey.name


def compose(invitation: Invitation, sequence: int) -> EmailMultiAlternatives:
    """The email for step ``sequence`` (0 = invitation, n = reminder n)."""
    organisation, contact = invitation.organisation, invitation.contact
    language = email_language(invitation)
    kind = "invitation" if sequence == 0 else "reminder"
    subject, body = template_for(organisation, kind, language)
    sender = sender_for(organisation, invitation.sender)
    unsubscribe_link = unsubscribe_url(invitation)
    values = {
        "first_name": contact.name.split()[0] if contact.name.strip() else "",
        "name": contact.name,
        "survey": survey_title(invitation.survey, language),
        "link": answer_url(invitation),
        "organisation": organisation.name,
        "sender_name": sender.name,
        "sender_title": sender.title,
        "sender_phone": sender.phone,
        "sender_email": sender.email,
    }
    rendered = render_email(
        subject=subject,
        body=body,
        language=language,
        values=values,
        sender=sender,
        unsubscribe_url=unsubscribe_link,
    )
    display = (
        sender.name if sender.name == organisation.name else f"{sender.name} | {organisation.name}"
    )
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=conf.bounce_address(),  # the envelope sender: bounces come back here
        to=[_mailbox(contact.name, contact.email)],
        reply_to=[sender.email] if sender.email else None,
        headers={
            "From": _mailbox(display, conf.from_address()),
            "Message-ID": message_id(invitation, sequence),
            **unsubscribe.headers(invitation.key, UNSUBSCRIBE),
        },
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


class EmailChannel:
    name = "email"

    def send(self, invitation: Invitation, sequence: int) -> Sent:
        message = compose(invitation, sequence)
        send_email(message)
        return Sent(
            to=invitation.contact.email,
            provider=_provider_name(),
            message_id=message.extra_headers["Message-ID"],
        )


def _mailbox(name: str, address: str) -> str:
    """``Name <address>``, quoted where needed; Django encodes non-ASCII names itself."""
    return str(Address(display_name=name, addr_spec=address))


def _provider_name() -> str:
    backend = type(get_connection()).__module__.rsplit(".", 1)[-1]
    return f"email:{backend}"


register(EmailChannel())
