"""SMS wording: the shipped fi/en defaults, an organisation's own templates, and the opt-out
line that every SMS ends with.

Placeholders are those of the email templates (``emails.PLACEHOLDERS``), filled the same way.
The opt-out line is added after the template and cannot be edited away: "reply STOP" when the
SMS comes from a phone number that can receive replies, else a short opt-out link (an
alphanumeric sender such as "Kahvila" cannot be replied to).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from palaute.outreach.emails import PLACEHOLDER_RE, PLACEHOLDERS, fill
from palaute.outreach.models import SmsTemplate
from palaute.outreach.sms_text import SmsCount, analyse
from palaute.outreach.tokens import KEY_LENGTH, SHORT_MAC_LENGTH

MAX_TEMPLATE_CHARS = 640
# A sender that can receive replies: a number (E.164) rather than an alphanumeric ID.
NUMBER_SENDER_RE = re.compile(r"^\+?[0-9]{3,15}$")

DEFAULTS: dict[tuple[str, str], str] = {
    ("invitation", "fi"): (
        "Hei {{ first_name }}! Miten onnistuimme? Vastaa minuutissa: {{ link }}\n{{ organisation }}"
    ),
    ("invitation", "en"): (
        "Hi {{ first_name }}! How did we do? Answer in a minute: {{ link }}\n{{ organisation }}"
    ),
    ("reminder", "fi"): (
        "Hei {{ first_name }}! Ehtisitkö vielä vastata? {{ link }}\n{{ organisation }}"
    ),
    ("reminder", "en"): (
        "Hi {{ first_name }}! Would you still have a minute to answer? {{ link }}\n"
        "{{ organisation }}"
    ),
}

OPT_OUT_REPLY = {"fi": "Lopeta: vastaa LOPETA", "en": "Reply STOP to opt out"}
OPT_OUT_LINK = {"fi": "Lopeta: {url}", "en": "Opt out: {url}"}


def template_for(organisation, kind: str, language: str) -> str:
    row = (
        SmsTemplate.objects.filter(organisation=organisation, kind=kind, language=language)
        .only("body")
        .first()
    )
    return row.body if row is not None else DEFAULTS[(kind, language)]


def check_template(body: str) -> str | None:
    """What is wrong with ``body`` as an SMS template, or None."""
    names = PLACEHOLDER_RE.findall(body)
    unknown = sorted({name for name in names if name not in PLACEHOLDERS})
    if unknown:
        return _("Unknown placeholder: %(names)s.") % {
            "names": ", ".join("{{ " + name + " }}" for name in unknown)
        }
    if "link" not in names:
        return _("The message must contain {{ link }}.")
    if len(body) > MAX_TEMPLATE_CHARS:
        return _("At most %(n)d characters.") % {"n": MAX_TEMPLATE_CHARS}
    return None


def replies_possible(sender: str) -> bool:
    return bool(NUMBER_SENDER_RE.match(sender.replace(" ", "")))


def opt_out_line(language: str, sender: str, unsubscribe_url: str) -> str:
    words = "fi" if language == "fi" else "en"
    if replies_possible(sender):
        return OPT_OUT_REPLY[words]
    return OPT_OUT_LINK[words].format(url=unsubscribe_url)


def render_sms(
    body: str, *, language: str, values: dict[str, str], sender: str, unsubscribe_url: str
) -> str:
    """The text that is sent: the filled template and the opt-out line."""
    text = fill(body, values).strip()
    return f"{text}\n{opt_out_line(language, sender, unsubscribe_url)}"


def example_values(organisation, language: str, link: str) -> dict[str, str]:
    """Plausible values for previews and segment counts before sending."""
    return {
        "first_name": "Maija",
        "name": "Maija Meikäläinen",
        "survey": "Miten onnistuimme?" if language == "fi" else "How did we do?",
        "link": link,
        "organisation": organisation.name,
        "sender_name": "Aino Virtanen",
        "sender_title": "",
        "sender_phone": "+358401234567",
        "sender_email": "",
    }


def preview(
    organisation, body: str, language: str, *, sender: str, site_url: str
) -> tuple[str, SmsCount]:
    """The example SMS and its segment count. The example link and opt-out link have the
    exact length of real ones."""
    token = "x" * (KEY_LENGTH + SHORT_MAC_LENGTH)
    values = example_values(organisation, language, f"{site_url}/i/{token}/")
    text = render_sms(
        body,
        language=language,
        values=values,
        sender=sender,
        unsubscribe_url=f"{site_url}/u/{token}/",
    )
    return text, analyse(text)
