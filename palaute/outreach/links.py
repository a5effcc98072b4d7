"""The personal link's path through the hosted survey page, and the funnel marks.

``/i/<token>/`` (``public_views.invitation_link``) checks the token, marks the invitation
opened and redirects to ``/s/<public_key>/?inv=<token>&ch=<channel>&lang=<language>``. The
survey page (surveys/public_views.py) calls the hooks below:

- ``invitation_from_request(request, survey)`` → the invitation or None;
- ``answered_page(request, lang)`` for a GET of a completed invitation ("already answered");
- ``page_shown`` on GET, ``submitting`` on POST, ``submission_key`` as the response's
  idempotency key and ``recorded`` after ``record_response``.

The idempotency key ``invitation-<id>`` is what makes the link single-use: the response table
is unique per (survey, idempotency key), so a second submission through the same link returns
the first response and stores nothing, even when two arrive at once.

Funnel marks only move forward: each sets its timestamp once and raises the status only from
an earlier step.
"""

from __future__ import annotations

from django.db.models import F
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils import timezone

from palaute.outreach.models import Invitation
from palaute.outreach.tokens import ANSWER, split_token

PARAM = "inv"
Status = Invitation.Status
BEFORE_OPENED = (Status.SENDING, Status.SENT, Status.DELIVERED)
BEFORE_STARTED = (*BEFORE_OPENED, Status.OPENED)
BEFORE_COMPLETED = (*BEFORE_STARTED, Status.STARTED, Status.BOUNCED)


def invitation_for_token(token: str) -> Invitation | None:
    key = split_token(token, ANSWER)
    if key is None:
        return None
    return (
        Invitation.objects.select_related("survey", "contact", "organisation", "event__touchpoint")
        .filter(key=key)
        .first()
    )


def invitation_from_request(request, survey) -> Invitation | None:
    """The invitation named by ``?inv=`` if its token is authentic and it is for ``survey``."""
    invitation = invitation_for_token(request.GET.get(PARAM, ""))
    if invitation is None or invitation.survey_id != survey.pk:
        return None
    return invitation


def answered_page(request, lang: str):
    return render(request, "outreach/public/already_answered.html", {"lang": lang})


def submission_key(invitation: Invitation) -> str:
    return f"invitation-{invitation.pk}"


def page_shown(invitation: Invitation) -> None:
    mark_opened(invitation)


def submitting(invitation: Invitation) -> None:
    mark_started(invitation)


def recorded(invitation: Invitation, response) -> None:
    mark_completed(invitation, response)


def mark_opened(invitation: Invitation) -> None:
    now = timezone.now()
    rows = Invitation.objects.filter(pk=invitation.pk)
    rows.filter(opened_at__isnull=True).update(opened_at=now)
    rows.filter(status__in=BEFORE_OPENED).update(status=Status.OPENED)


def mark_started(invitation: Invitation) -> None:
    now = timezone.now()
    rows = Invitation.objects.filter(pk=invitation.pk)
    rows.filter(started_at__isnull=True).update(
        started_at=now, opened_at=Coalesce(F("opened_at"), now)
    )
    rows.filter(status__in=BEFORE_STARTED).update(status=Status.STARTED)


def mark_completed(invitation: Invitation, response) -> None:
    """Tie ``response`` to the invitation (and so to the contact) and cancel reminders."""
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk, completed_at__isnull=True).update(
        status=Status.COMPLETED,
        completed_at=now,
        response=response,
        next_reminder_at=None,
        opened_at=Coalesce(F("opened_at"), now),
        started_at=Coalesce(F("started_at"), now),
    )
