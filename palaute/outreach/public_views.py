"""Pages and endpoints reached from outside, without signing in: the personal survey link,
the unsubscribe page and the email provider's event webhook."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from palaute.outreach import conf, links
from palaute.outreach.bounces import apply_event, parse_webhook, verify_signature
from palaute.outreach.contacts import opt_out
from palaute.outreach.email_channel import email_language
from palaute.outreach.models import Invitation
from palaute.outreach.tokens import UNSUBSCRIBE, split_token

SIGNATURE_HEADER = "HTTP_X_PALAUTE_SIGNATURE"


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
    query = urlencode({links.PARAM: token, "ch": invitation.channel, "lang": lang})
    return redirect(f"{reverse('survey_page', args=[invitation.survey.public_key])}?{query}")


@csrf_exempt  # RFC 8058 one-click: mail clients POST without a CSRF token; the URL is the secret
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    """``/u/<token>/``: GET asks for confirmation (link scanners must not unsubscribe anyone),
    POST opts the contact out of the invitation's channel."""
    key = split_token(token, UNSUBSCRIBE)
    invitation = (
        Invitation.objects.select_related("contact__organisation", "organisation")
        .filter(key=key)
        .first()
        if key
        else None
    )
    if invitation is None:
        raise Http404
    lang = email_language(invitation)
    contact = invitation.contact
    with translation.override(lang):
        if request.method == "POST":
            via = "one-click" if request.POST.get("List-Unsubscribe") == "One-Click" else "link"
            opt_out(contact, invitation.channel, via=via)
            done = True
        else:
            done = contact.opted_out(invitation.channel)
        context = {
            "lang": lang,
            "done": done,
            "organisation": invitation.organisation.name,
            "address": contact.address(invitation.channel),
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
