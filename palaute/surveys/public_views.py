"""The hosted survey page for respondents: ``/s/<public_key>/`` (BRIEF §2).

Works without JavaScript. Every question is in the page, and those hidden by branching carry
the ``hidden`` attribute; the hidden ``presented`` field lists the keys the respondent saw.
Without JavaScript, a POST that makes new questions visible re-renders the form with the
answers kept and those questions shown; with ``survey.js`` the questions appear live and the
script keeps ``presented`` in step, so the first POST is stored.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from palaute.journeys.models import Touchpoint
from palaute.outreach import links as invitation_links
from palaute.surveys.definition import SurveyDefinition, visible_keys
from palaute.surveys.models import Survey
from palaute.surveys.publishing import current_definition
from palaute.surveys.submission import AnswersInvalid, clean_answers, record_response

PAGE_CHANNELS = ("web", "qr", "email", "sms")
LANGUAGE_NAMES = {"fi": "Suomi", "en": "English", "sv": "Svenska"}
IDEMPOTENCY_RE = re.compile(r"^[0-9a-f]{32}$")
SMILEYS = ("😠", "🙁", "🙂", "😄")
CONSENT_FIELDS = ("naming", "name", "company")


@never_cache
def survey_page(request, public_key: str):
    survey = _survey(public_key)
    current = current_definition(survey) if survey.is_active else None
    if current is None:
        lang = request.GET.get("lang") if request.GET.get("lang") in LANGUAGE_NAMES else "fi"
        with translation.override(lang):
            return render(request, "surveys/public/closed.html", {"lang": lang}, status=410)
    definition = current[1]
    lang = _language(request, definition)
    # A personal invitation link (?inv=…) ties the response to the invited contact.
    invitation = invitation_links.invitation_from_request(request, survey)
    with translation.override(lang):
        if request.method == "POST":
            return _submit(request, survey, definition, lang, invitation)
        if invitation is not None:
            if invitation.completed_at is not None:
                return invitation_links.answered_page(request, lang)
            invitation_links.page_shown(invitation)
        context = _form_context(request, definition, lang, raw={}, visible=None, errors={})
        return render(request, "surveys/public/page.html", context)


def thanks_page(request, public_key: str):
    survey = _survey(public_key)
    current = current_definition(survey)
    if current is None:
        raise Http404
    definition = current[1]
    lang = _language(request, definition)
    with translation.override(lang):
        text = definition.text(definition.thank_you, lang) or _("Thank you for your feedback!")
        context = {"lang": lang, "title": definition.text(definition.title, lang), "text": text}
        return render(request, "surveys/public/thanks.html", context)


def _submit(request, survey: Survey, definition: SurveyDefinition, lang: str, invitation=None):
    if invitation is not None:
        invitation_links.submitting(invitation)
    presented = set(filter(None, request.POST.get("presented", "").split(",")))
    raw = answers_from_form(definition, request.POST, presented)
    cleaned, errors = clean_answers(definition, raw)
    visible = visible_keys(definition, cleaned)
    new = [key for key in visible if key not in presented and key not in cleaned]
    if new:
        # Without JavaScript: show the follow-up questions the answers opened, keep the rest.
        errors = {key: message for key, message in errors.items() if key in visible}
        context = _form_context(request, definition, lang, raw=raw, visible=visible, errors=errors)
        context["follow_up"] = True
        return render(request, "surveys/public/page.html", context)
    if invitation is not None:
        idempotency_key = invitation_links.submission_key(invitation)
    else:
        idempotency_key = _idempotency_key(request)
    try:
        # One transaction: an invited contact's response and the invitation's completion.
        with transaction.atomic():
            response, _created = record_response(
                survey,
                answers=raw,
                channel=_channel(request),
                language=lang,
                touchpoint=_touchpoint(request, survey),
                idempotency_key=idempotency_key,
            )
            if invitation is not None:
                invitation_links.recorded(invitation, response)
    except AnswersInvalid as exc:
        context = _form_context(
            request, definition, lang, raw=raw, visible=visible, errors=exc.errors
        )
        return render(request, "surveys/public/page.html", context, status=422)
    url = reverse("survey_thanks", args=[survey.public_key])
    return redirect(f"{url}?{urlencode({'lang': lang})}")


def answers_from_form(definition: SurveyDefinition, post, presented: set[str]) -> dict[str, Any]:
    """The raw answers (submission.py's shapes) from the form's fields.

    An unticked checkbox sends nothing: for a consent or contact-me question the respondent
    saw, that is a "no".
    """
    raw: dict[str, Any] = {}
    for question in definition.questions:
        key, kind = question.key, question.type
        if kind == "multiple_choice":
            raw[key] = post.getlist(key)
        elif kind == "expectation_experience":
            raw[key] = {part: post.get(f"{key}.{part}", "") for part in ("expected", "experience")}
        elif kind in ("consent", "contact_me"):
            ticked = post.get(key) or ("0" if key in presented else "")
            if kind == "consent":
                raw[key] = {"agreed": ticked}
                raw[key].update({f: post.get(f"{key}.{f}", "") for f in CONSENT_FIELDS})
            else:
                raw[key] = {"contact": ticked}
                raw[key].update({f: post.get(f"{key}.{f}", "") for f in ("name", "email", "phone")})
        else:
            raw[key] = post.get(key, "")
    return raw


# ------------------------------------------------------------------------------ helpers


def _survey(public_key: str) -> Survey:
    survey = (
        Survey.objects.select_related("organisation", "touchpoint", "current_version")
        .filter(public_key=public_key)
        .first()
    )
    if survey is None:
        raise Http404
    return survey


def _language(request, definition: SurveyDefinition) -> str:
    wanted = request.GET.get("lang")
    if wanted not in definition.languages and request.META.get("HTTP_ACCEPT_LANGUAGE"):
        wanted = translation.get_language_from_request(request)
    return definition.language_for(wanted)


def _channel(request) -> str:
    channel = request.GET.get("ch", "web")
    return channel if channel in PAGE_CHANNELS else "web"


def _touchpoint(request, survey: Survey):
    """Another touchpoint of the survey's own organisation (``?tp=``); others are ignored."""
    key = request.GET.get("tp")
    if not key:
        return None
    return Touchpoint.objects.filter(organisation_id=survey.organisation_id, key=key).first()


def _idempotency_key(request) -> str:
    key = request.POST.get("idem", "")
    return key if IDEMPOTENCY_RE.match(key) else uuid.uuid4().hex


def _query(request, **changes: str) -> str:
    params = {k: request.GET[k] for k in ("lang", "ch", "tp", "inv") if request.GET.get(k)}
    params.update(changes)
    return "?" + urlencode(params)


def _form_context(request, definition, lang, *, raw, visible, errors) -> dict[str, Any]:
    if visible is None:
        visible = visible_keys(definition, {})
    questions = [
        _question_view(definition, q, lang, raw, visible, errors) for q in definition.questions
    ]
    known = {q["key"] for q in questions}
    return {
        "lang": lang,
        "title": definition.text(definition.title, lang),
        "intro": definition.text(definition.intro, lang),
        "languages": [
            {
                "code": code,
                "name": LANGUAGE_NAMES.get(code, code),
                "url": _query(request, lang=code),
            }
            for code in definition.languages
            if code != lang
        ],
        "action": _query(request),
        "questions": questions,
        "presented": ",".join(visible),
        "idem": _idempotency_key(request),
        "errors": [
            {"key": key if key in known else None, "message": message}
            for key, message in errors.items()
        ],
    }


def _question_view(definition, question, lang, raw, visible, errors) -> dict[str, Any]:
    key, kind = question.key, question.type
    value = raw.get(key, "")
    view: dict[str, Any] = {
        "key": key,
        "type": kind,
        "text": definition.text(question.text, lang),
        "required": question.required,
        "hidden": key not in visible,
        "error": errors.get(key),
        "show_if": json.dumps(question.show_if.model_dump()) if question.show_if else "",
        "value": value,
        "describedby": f"e-{key}" if errors.get(key) else "",
    }
    if kind == "expectation_experience":
        parts = value if isinstance(value, dict) else {}
        view["expected"] = _points(question, parts.get("expected"))
        view["experience"] = _points(question, parts.get("experience"))
    elif question.bounds is not None:
        view["points"] = _points(question, value)
        view["anchors"] = _anchors(kind, question.bounds)
        ids = [f"e-{key}"] if view["error"] else []
        view["describedby"] = " ".join(ids + ([f"a-{key}"] if view["anchors"] else []))
    elif kind in ("single_choice", "multiple_choice"):
        chosen = value if isinstance(value, list) else [value]
        view["points"] = [
            {
                "value": option.key,
                "label": definition.text(option.text, lang),
                "checked": option.key in chosen,
            }
            for option in question.options
        ]
    elif kind == "contact_me":
        view["details"] = value if isinstance(value, dict) else {}
        view["checked"] = view["details"].get("contact") == "1"
    elif kind == "consent":
        view.update(_consent_view(question, value))
    return view


def _consent_view(question, value) -> dict[str, Any]:
    """The consent checkbox and, when there is a choice to make, how the person may be named
    (the most private option preselected) and the name or company to show."""
    given = value if isinstance(value, dict) else {}
    chosen = given.get("naming") or question.default_naming
    labels = {
        "full_name": _("My full name"),
        "first_name_initial": _("My first name and the initial of my surname"),
        "company": _("My company's name only"),
        "anonymous": _("No name (anonymously)"),
    }
    return {
        "checked": given.get("agreed") == "1",
        "naming": [
            {"value": naming, "label": labels[naming], "checked": naming == chosen}
            for naming in question.naming
        ],
        "asks_name": bool({"full_name", "first_name_initial"} & set(question.naming)),
        "asks_company": question.naming != ["anonymous"],
        "name": given.get("name", ""),
        "company": given.get("company", ""),
    }


def _points(question, value) -> list[dict[str, Any]]:
    low, high = question.bounds
    points = []
    for number in range(low, high + 1):
        point: dict[str, Any] = {"value": number, "checked": str(value) == str(number)}
        if question.type == "smiley":
            point["label"] = SMILEYS[number - 1]
            point["sr"] = _smiley_name(number)
        else:
            point["label"] = str(number)
        points.append(point)
    return points


def _smiley_name(number: int) -> str:
    return [_("Very unhappy"), _("Unhappy"), _("Happy"), _("Very happy")][number - 1]


def _anchors(kind: str, bounds: tuple[int, int]) -> tuple[str, str] | None:
    low, high = bounds
    words = {
        "nps": (_("Not at all likely"), _("Extremely likely")),
        "csat": (_("Very dissatisfied"), _("Very satisfied")),
        "ces": (_("Very easy"), _("Very difficult")),
        "rating": (_("Poor"), _("Excellent")),
    }.get(kind)
    if words is None:
        return None
    return f"{low} = {words[0]}", f"{high} = {words[1]}"
