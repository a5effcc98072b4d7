"""Email wording: the shipped fi/en defaults, an organisation's own templates, placeholders,
and turning the plain-text body into the HTML part.

Templates are plain text with ``{{ placeholder }}`` slots, filled by simple substitution (not
the Django template language, so an organisation's text can never reach into objects). The HTML
part is generated from the same text: paragraphs, line breaks, the survey link as a button, the
named sender's signature with photo, and the unsubscribe footer, which is always added and
cannot be edited away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from palaute.outreach.models import EmailTemplate

PLACEHOLDER_RE = re.compile(r"{{\s*([a-z_]+)\s*}}")
# Placeholder → what it becomes (shown in the editor).
PLACEHOLDERS = {
    "first_name": "first name of the contact",
    "name": "full name of the contact",
    "survey": "title of the survey",
    "link": "the personal survey link",
    "organisation": "your organisation's name",
    "sender_name": "the named sender",
    "sender_title": "the sender's job title",
    "sender_phone": "the sender's direct phone",
    "sender_email": "the sender's email address",
}

DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    ("invitation", "fi"): (
        "{{ organisation }}: miten onnistuimme?",
        "Hei {{ first_name }},\n\n"
        "kiitos, että asioit kanssamme. Haluaisimme kuulla, miten onnistuimme. "
        "Vastaaminen vie alle minuutin:\n\n"
        "{{ link }}\n\n"
        "Luemme jokaisen vastauksen, ja palautteesi perusteella kehitämme toimintaamme.\n\n"
        "Ystävällisin terveisin",
    ),
    ("invitation", "en"): (
        "{{ organisation }}: how did we do?",
        "Hi {{ first_name }},\n\n"
        "thank you for choosing us. We would like to hear how we did. "
        "Answering takes less than a minute:\n\n"
        "{{ link }}\n\n"
        "We read every answer, and your feedback shapes what we improve.\n\n"
        "Kind regards",
    ),
    ("reminder", "fi"): (
        "Muistutus: {{ survey }}",
        "Hei {{ first_name }},\n\n"
        "lähetimme sinulle muutama päivä sitten lyhyen kyselyn. "
        "Jos ehdit vastata, se auttaisi meitä paljon:\n\n"
        "{{ link }}\n\n"
        "Kiitos!",
    ),
    ("reminder", "en"): (
        "Reminder: {{ survey }}",
        "Hi {{ first_name }},\n\n"
        "a few days ago we sent you a short survey. "
        "If you have a moment to answer, it would help us a lot:\n\n"
        "{{ link }}\n\n"
        "Thank you!",
    ),
}

# Respondent-facing fixed words, in the contact's language.
WORDS = {
    "fi": {
        "answer": "Vastaa kyselyyn",
        "unsubscribe_text": "Etkö halua enää kyselyitä sähköpostilla?",
        "unsubscribe": "Peru tilaus",
    },
    "en": {
        "answer": "Answer the survey",
        "unsubscribe_text": "Don't want survey emails any more?",
        "unsubscribe": "Unsubscribe",
    },
}


@dataclass(frozen=True)
class Sender:
    """The named person an email comes from."""

    name: str
    title: str = ""
    phone: str = ""
    email: str = ""
    photo_url: str = ""
    organisation: str = ""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def template_for(organisation, kind: str, language: str) -> tuple[str, str]:
    """(subject, body) of the organisation's template, or the shipped default."""
    row = (
        EmailTemplate.objects.filter(organisation=organisation, kind=kind, language=language)
        .only("subject", "body")
        .first()
    )
    if row is not None:
        return row.subject, row.body
    return DEFAULTS[(kind, language)]


def check_template(subject: str, body: str) -> dict[str, str]:
    """Errors by field ("subject", "body"); empty when the template is usable."""
    errors: dict[str, str] = {}
    for field, text in (("subject", subject), ("body", body)):
        unknown = sorted({m for m in PLACEHOLDER_RE.findall(text) if m not in PLACEHOLDERS})
        if unknown:
            errors[field] = _("Unknown placeholder: %(names)s.") % {
                "names": ", ".join("{{ " + name + " }}" for name in unknown)
            }
    if "link" in PLACEHOLDER_RE.findall(subject):
        errors["subject"] = _("Put {{ link }} in the message, not in the subject.")
    if "body" not in errors and "link" not in PLACEHOLDER_RE.findall(body):
        errors["body"] = _("The message must contain {{ link }}.")
    return errors


def fill(text: str, values: dict[str, str]) -> str:
    """Substitute placeholders. An empty value also drops the space before it, so
    "Hi {{ first_name }}," reads "Hi," when the name is unknown."""
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), ""), _drop_empty(text, values))


def _drop_empty(text: str, values: dict[str, str]) -> str:
    empty = [key for key in PLACEHOLDERS if not values.get(key)]
    if not empty:
        return text
    return re.sub(r" ?{{\s*(?:" + "|".join(empty) + r")\s*}}", "", text)


def render_email(
    *,
    subject: str,
    body: str,
    language: str,
    values: dict[str, str],
    sender: Sender,
    unsubscribe_url: str,
) -> RenderedEmail:
    """Both parts of one email. ``values`` must include ``link``."""
    words = WORDS.get(language, WORDS["en"])
    filled_subject = " ".join(fill(subject, values).split())  # one line, no header injection
    text = "\n\n".join(
        [
            fill(body, values).strip(),
            "-- \n" + "\n".join(_signature_lines(sender)),
            f"{words['unsubscribe_text']} {words['unsubscribe']}: {unsubscribe_url}",
        ]
    )
    html = _html(body, values, words, sender, unsubscribe_url)
    return RenderedEmail(subject=filled_subject, text=text + "\n", html=html)


def _signature_lines(sender: Sender) -> list[str]:
    first = ", ".join(part for part in (sender.name, sender.title) if part)
    lines = [first, sender.organisation, sender.phone, sender.email]
    return [line for line in lines if line]


def _html(body: str, values: dict[str, str], words, sender: Sender, unsubscribe_url) -> str:
    link = values["link"]
    paragraphs = []
    for block in re.split(r"\n\s*\n", body.strip()):
        alone = PLACEHOLDER_RE.fullmatch(block.strip())
        if alone is not None and alone.group(1) == "link":
            paragraphs.append(
                format_html(
                    '<p style="margin:24px 0"><a href="{}" style="background:#1d4ed8;'
                    "color:#ffffff;padding:12px 20px;border-radius:6px;"
                    'text-decoration:none;font-weight:bold">{}</a></p>',
                    link,
                    words["answer"],
                )
            )
            continue
        paragraphs.append(mark_safe(f"<p>{_html_text(block, values)}</p>"))
    signature = _html_signature(sender)
    footer = format_html(
        '<p style="color:#6b7280;font-size:12px;margin-top:32px">{} <a href="{}">{}</a></p>',
        words["unsubscribe_text"],
        unsubscribe_url,
        words["unsubscribe"],
    )
    content = "\n".join([*paragraphs, signature, footer])
    return (
        '<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;'
        f'font-size:15px;line-height:1.5;color:#111827;max-width:560px">{content}</body></html>'
    )


def _html_text(block: str, values: dict[str, str]) -> SafeString:
    """One paragraph: escaped text, placeholders filled (the link as an anchor), <br> lines."""
    out: list[str] = []
    position = 0
    filled_empty = _drop_empty(block, values)
    for match in PLACEHOLDER_RE.finditer(filled_empty):
        out.append(escape(filled_empty[position : match.start()]))
        key = match.group(1)
        value = values.get(key, "")
        if key == "link":
            out.append(format_html('<a href="{}">{}</a>', value, value))
        else:
            out.append(escape(value))
        position = match.end()
    out.append(escape(filled_empty[position:]))
    return mark_safe("".join(out).replace("\n", "<br>\n"))


def _html_signature(sender: Sender) -> SafeString:
    photo = (
        format_html(
            '<img src="{}" alt="{}" width="64" height="64" '
            'style="border-radius:32px;vertical-align:middle;margin-right:12px">',
            sender.photo_url,
            sender.name,
        )
        if sender.photo_url
        else ""
    )
    lines = [format_html("<strong>{}</strong>", sender.name)] if sender.name else []
    lines += [escape(part) for part in (sender.title, sender.organisation) if part]
    if sender.phone:
        lines.append(format_html('<a href="tel:{}">{}</a>', sender.phone, sender.phone))
    if sender.email:
        lines.append(format_html('<a href="mailto:{}">{}</a>', sender.email, sender.email))
    return format_html(
        '<table role="presentation" style="margin-top:16px"><tr><td>{}</td>'
        '<td style="vertical-align:middle">{}</td></tr></table>',
        photo,
        mark_safe("<br>".join(lines)),
    )


def signature_text(sender: Sender) -> str:
    return "-- \n" + "\n".join(_signature_lines(sender))


def signature_html(sender: Sender) -> SafeString:
    return _html_signature(sender)
