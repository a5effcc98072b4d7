"""Pages and endpoints reached from outside, without signing in: the personal survey link,
the unsubscribe page, the email provider's event webhook and the SMS provider's webhooks."""

from __future__ import annotations

import json
from functools import wraps
from urllib.parse import urlencode

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from pydantic import ValidationError as PydanticValidationError

from palaute.api.errors import validation_fields
from palaute.outreach import conf, events_webhook, links, sms_webhooks
from palaute.outreach import unsubscribe as unsubscribe_links
from palaute.outreach.api import EventIn, event_data, event_out
from palaute.outreach.bounces import apply_event, parse_webhook, verify_signature
from palaute.outreach.contacts import opt_out
from palaute.outreach.email_channel import email_language
from palaute.outreach.events import EventInvalid, record_event
from palaute.outreach.models import Event, OutreachSettings

SIGNATURE_HEADER = "HTTP_X_PALAUTE_SIGNATURE"
MAX_EVENT_BODY = 256 * 1024


@never_cache
@require_http_methods(["GET", "HEAD"])
def invitation_link(request, token: str):
    """``/i/<token>/``: mark opened and continue to the survey page with the token."""
    invitation = links.invitation_for_token(token)
    if invitation is None:
        raise Http404
    lang = email_language(invitation)
    if invitation.completed_at is not None:
        with translation.override(lang):
            return links.answered_page(request, lang)
    links.mark_opened(invitation)
    params = {links.PARAM: token, "ch": invitation.channel, "lang": lang}
    touchpoint = invitation.event.touchpoint if invitation.event_id else None
    if touchpoint is not None:
        # The response belongs to the touchpoint of the event that triggered the invitation.
        params["tp"] = touchpoint.key
    query = urlencode(params)
    return redirect(f"{reverse('survey_page', args=[invitation.survey.public_key])}?{query}")


@csrf_exempt  # RFC 8058 one-click: mail clients POST without a CSRF token; the URL is the secret
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    """``/u/<token>/`` of an invitation or a journey message (unsubscribe.py): GET asks for
    confirmation (link scanners must not unsubscribe anyone), POST opts the contact out of
    that channel — the page's button, or a mail program's one-click request."""
    target = unsubscribe_links.find(token)
    if target is None:
        raise Http404
    contact = target.contact
    with translation.override(target.language):
        if request.method == "POST":
            via = "one-click" if request.POST.get("List-Unsubscribe") == "One-Click" else "link"
            if target.kind == "message":
                via += " (message)"
            opt_out(contact, target.channel, via=via)
            done = True
        else:
            done = contact.opted_out(target.channel)
        context = {
            "lang": target.language,
            "done": done,
            "kind": target.kind,
            "channel": target.channel,
            "organisation": target.organisation.name,
            "address": contact.address(target.channel),
        }
        return render(request, "outreach/public/unsubscribe.html", context)


@csrf_exempt  # authenticated by its HMAC signature instead
@require_POST
def email_events(request):
    """``/hooks/email-events``: delivery, bounce and complaint events from the email provider,
    signed with EMAIL_WEBHOOK_SECRET (see docs/automation.md for the format)."""
    secret = conf.webhook_secret()
    if not secret:
        raise Http404
    problem = verify_signature(secret, request.META.get(SIGNATURE_HEADER, ""), request.body)
    if problem:
        return JsonResponse({"errors": {"X-Palaute-Signature": problem}}, status=401)
    events, errors = parse_webhook(request.body)
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    matched = sum(1 for event in events if apply_event(event))
    body = {"applied": matched, "unmatched": len(events) - matched}
    return HttpResponse(json.dumps(body), content_type="application/json")


# ------------------------------------------------------------------------- SMS webhooks


def _twilio_request_valid(request) -> bool:
    params = [(name, value) for name, values in request.POST.lists() for value in values]
    urls = [f"{conf.site_url()}{request.get_full_path()}", request.build_absolute_uri()]
    given = request.META.get("HTTP_X_TWILIO_SIGNATURE", "")
    return sms_webhooks.signature_valid(conf.sms_auth_token(), urls, params, given)


def _sms_hook(view):
    """Off (404) without SMS_AUTH_TOKEN; 403 unless the provider's signature is valid."""

    @csrf_exempt  # authenticated by the provider's HMAC signature instead
    @require_POST
    @wraps(view)
    def checked(request):
        if not conf.sms_auth_token():
            raise Http404
        if not _twilio_request_valid(request):
            return HttpResponse("invalid signature", status=403, content_type="text/plain")
        return view(request)

    return checked


@_sms_hook
def sms_status(request):
    """``/hooks/sms/status``: the provider's delivery receipt for one SMS."""
    message_id = request.POST.get("MessageSid") or request.POST.get("SmsSid", "")
    status = request.POST.get("MessageStatus") or request.POST.get("SmsStatus", "")
    if not message_id or not status:
        return HttpResponse("MessageSid and MessageStatus are required", status=400)
    sms_webhooks.apply_status(
        sms_webhooks.StatusReport(
            message_id=message_id[:255],
            status=status.strip().lower()[:20],
            error_code=request.POST.get("ErrorCode", "")[:10],
        )
    )
    # Success even for an unknown message: an error would only make the provider retry it.
    return HttpResponse(b"", content_type="text/plain")


@_sms_hook
def sms_inbound(request):
    """``/hooks/sms/inbound``: a text a customer sent to our number (opt-out keywords)."""
    result = sms_webhooks.apply_inbound(request.POST.get("From", ""), request.POST.get("Body", ""))
    reply = sms_webhooks.confirmation(result)
    message = f"<Message>{escape(reply)}</Message>" if reply else ""
    twiml = f'<?xml version="1.0" encoding="UTF-8"?><Response>{message}</Response>'
    return HttpResponse(twiml, content_type="text/xml; charset=utf-8")


# --------------------------------------------------------------------- event webhook


def _error(status: int, code: str, message: str, fields=()) -> JsonResponse:
    """The JSON API's error shape (palaute/api/errors.py), for integrations' sake."""
    body = {
        "error": {
            "code": code,
            "message": message,
            "fields": [{"field": f, "message": m} for f, m in fields],
        }
    }
    return JsonResponse(body, status=status)


@csrf_exempt  # authenticated by its HMAC signature instead
@require_POST
def event_webhook(request, slug: str):
    """``/hooks/events/<organisation slug>``: one event, signed with the organisation's webhook
    secret (docs/automation.md). The body is the one ``POST /api/v1/events`` takes."""
    row = (
        OutreachSettings.objects.select_related("organisation")
        .filter(organisation__slug=slug)
        .exclude(events_webhook_key="")
        .first()
    )
    if row is None:
        return _error(404, "not_found", "No event webhook here.")
    if len(request.body) > MAX_EVENT_BODY:
        return _error(413, "payload_too_large", "The body must be at most 256 KB.")
    header = request.META.get(SIGNATURE_HEADER, "")
    problem = events_webhook.check(row.events_webhook_key, header, request.body)
    if problem:
        return _error(401, "unauthorized", problem, [("X-Palaute-Signature", problem)])
    try:
        payload = EventIn.model_validate_json(request.body)
    except PydanticValidationError as exc:
        fields = validation_fields(exc.errors(), frozenset())
        return _error(422, "validation_error", "The event is invalid.", fields)
    external_id = (
        payload.id or request.headers.get("Idempotency-Key", "")[:100]
    ) or events_webhook.signature_id(header)
    try:
        recorded = record_event(
            row.organisation, event_data(payload, external_id), source=Event.Source.WEBHOOK
        )
    except EventInvalid as exc:
        return _error(422, "validation_error", "The event is invalid.", exc.fields.items())
    response = JsonResponse(
        json.loads(
            json.dumps(event_out(recorded.event, recorded.triggered), cls=DjangoJSONEncoder)
        ),
        status=201 if recorded.created else 200,
    )
    if not recorded.created:
        response["Idempotent-Replayed"] = "true"
    return response
