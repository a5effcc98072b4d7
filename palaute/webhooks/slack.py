"""Slack-compatible messages: ``{"text": …}`` in Slack's mrkdwn, which Mattermost, Rocket.Chat,
Discord's ``/slack`` endpoints and Teams' Slack-compatible connectors accept too.

Messages are written in the organisation's default language when the worker sends them (the
stored payload stays language-neutral), with a link back to Palaute. Contact details are left
out: a chat channel is usually seen by more people than the feedback itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import formats, translation
from django.utils.translation import gettext as _

from palaute.webhooks import event_types

MAX_TEXT_ANSWER = 500


def message(delivery) -> dict[str, str]:
    organisation = delivery.organisation
    with translation.override(organisation.default_language):
        build = _BUILDERS.get(delivery.event, _generic)
        return {"text": build(delivery.payload, delivery)}


def escape(text: Any) -> str:
    """Slack's three control characters (https://api.slack.com/reference/surfaces/formatting)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str:
    return f"<{url}|{escape(label)}>" if url else ""


# ----------------------------------------------------------------------------- events


def _response_created(data: dict[str, Any], delivery) -> str:
    where = " · ".join(
        escape(part) for part in (data.get("survey_name"), data.get("touchpoint_name")) if part
    )
    lines = [_("*New feedback* — %(where)s") % {"where": where}]
    labels = _QuestionTexts(data.get("id"), delivery.organisation)
    for key, value in (data.get("answers") or {}).items():
        lines.append(labels.line(key, value))
    if data.get("contact"):
        lines.append(_("The customer asked to be contacted."))
    lines.append(link(data.get("survey_url"), _("Open in Palaute")))
    return "\n".join(line for line in lines if line)


def _case_opened(data: dict[str, Any], delivery) -> str:
    from palaute.loop.models import Severity

    severity = str(data.get("severity") or "")
    facts = [
        _("Severity: %(severity)s") % {"severity": dict(Severity.choices).get(severity, severity)}
    ]
    owner = data.get("owner") or {}
    facts.append(_("Owner: %(name)s") % {"name": owner.get("name") or _("nobody yet")})
    if data.get("due_at"):
        facts.append(_("Due: %(time)s") % {"time": _local_time(data["due_at"], delivery)})
    return "\n".join(
        [
            _("*Case #%(number)s opened:* %(title)s")
            % {"number": data.get("number"), "title": escape(data.get("title", ""))},
            escape(" · ".join(str(fact) for fact in facts)),
            link(data.get("url"), _("Open the case")),
        ]
    ).strip()


def _case_resolved(data: dict[str, Any], delivery) -> str:
    from palaute.loop.models import Case

    reason_key = str(data.get("close_reason") or "")
    reason = dict(Case.Reason.choices).get(reason_key, reason_key)
    lines = [
        _("*Case #%(number)s resolved:* %(title)s")
        % {"number": data.get("number"), "title": escape(data.get("title", ""))}
    ]
    if reason:
        lines.append(escape(_("Reason: %(reason)s") % {"reason": reason}))
    lines.append(link(data.get("url"), _("Open the case")))
    return "\n".join(line for line in lines if line)


def _ping(data: dict[str, Any], delivery) -> str:
    return _("Test message from Palaute: the webhook “%(name)s” works.") % {
        "name": escape(delivery.endpoint.name)
    }


def _generic(data: dict[str, Any], delivery) -> str:
    text = _("Palaute event %(event)s") % {"event": escape(delivery.event)}
    url = data.get("url") if isinstance(data, dict) else None
    return f"{text}\n{link(url, _('Open in Palaute'))}".strip()


_BUILDERS = {
    event_types.RESPONSE_CREATED: _response_created,
    event_types.CASE_OPENED: _case_opened,
    event_types.CASE_RESOLVED: _case_resolved,
    event_types.PING: _ping,
}


# ----------------------------------------------------------------------------- helpers


class _QuestionTexts:
    """Question and option texts of the version a response answered, in the active language;
    the keys themselves when the response is gone (erased) or the text is missing."""

    def __init__(self, response_id, organisation):
        self.definition = None
        self.language = translation.get_language() or organisation.default_language
        if not isinstance(response_id, int):
            return
        from palaute.surveys.models import Response
        from palaute.surveys.publishing import parsed_definition

        response = (
            Response.objects.filter(pk=response_id, organisation=organisation)
            .select_related("version")
            .first()
        )
        if response is not None:
            self.definition = parsed_definition(response.version)

    def line(self, key: str, value: Any) -> str:
        question = self.definition.question(key) if self.definition else None
        label = self._text(question.text) if question is not None else ""
        label = escape(label or key)
        kind = getattr(question, "type", "")
        if isinstance(value, bool):
            shown = _("yes") if value else _("no")
            return f"{label}: *{shown}*"
        if isinstance(value, dict) and "experience" in value:
            shown = _("expected %(expected)s, got %(experience)s") % value
            return f"{label}: *{escape(shown)}*"
        if isinstance(value, list):
            return f"{label}: *{', '.join(escape(self._option(question, v)) for v in value)}*"
        if kind == "single_choice":
            return f"{label}: *{escape(self._option(question, value))}*"
        if isinstance(value, str):
            text = value if len(value) <= MAX_TEXT_ANSWER else value[:MAX_TEXT_ANSWER] + "…"
            quoted = "\n".join("> " + escape(row) for row in text.splitlines() or [""])
            return f"{label}:\n{quoted}"
        return f"{label}: *{escape(value)}*"

    def _text(self, texts) -> str:
        if self.definition is None:
            return ""
        return self.definition.text(texts, self.definition.language_for(self.language))

    def _option(self, question, key) -> str:
        for option in getattr(question, "options", None) or []:
            if option.key == key:
                return self._text(option.text) or key
        return str(key)


def _local_time(value: str, delivery) -> str:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        zone = ZoneInfo(delivery.organisation.time_zone)
    except (ValueError, KeyError):
        return value
    return formats.date_format(moment.astimezone(zone), "SHORT_DATETIME_FORMAT")
