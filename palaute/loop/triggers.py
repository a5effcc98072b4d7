"""Where cases come from: new responses (``response_recorded``) and analysed comments.

The submission path must stay fast, so the receiver only asks the process's cached rules
whether anything fires (no query in the usual case) and, when something does, queues one
``open_cases_job`` once the response's transaction has committed (as every receiver of
``response_recorded`` does: the submission itself writes nothing but the response). The job
runs when an invitation has been tied to the response (and so to its contact), and decides
for real from the rules in the database.

Negative themes are known only after text analysis, which runs in the worker;
``palaute.text.tasks.analyse_response`` calls ``response_analysed`` when it has stored the
results.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from palaute.loop import opening, rules
from palaute.outreach.jobs import enqueue, retrying
from palaute.surveys.models import Answer, Response


def on_response_recorded(
    sender, *, response: Response, answers: Iterable[Answer], **kwargs
) -> None:
    """Receiver of ``palaute.surveys.signals.response_recorded`` (inside its transaction)."""
    if response.flagged:
        return
    active = [
        rule
        for rule in rules.active_rules(response.organisation_id)
        if rule.kind in rules.RESPONSE_KINDS
    ]
    if rules.match_response(active, survey_id=response.survey_id, answers=answers):
        response_id = response.pk
        transaction.on_commit(lambda: enqueue(open_cases_job, response_id), robust=True)


@retrying(max_attempts=5)
def open_cases_job(response_id: int) -> str:
    response = (
        Response.objects.select_related("organisation", "touchpoint").filter(pk=response_id).first()
    )
    if response is None or response.flagged:
        return "nothing to do"
    case = opening.open_for_response(response, kinds=rules.RESPONSE_KINDS)
    return f"case #{case.number}" if case is not None else "no rule fired"


def response_analysed(response_id: int) -> str:
    """Open (or link) a case for a response whose comments speak negatively of a theme that
    an active negative-theme rule watches. Called by the text-analysis task after it stored
    the mentions; safe to call again after a re-analysis."""
    from palaute.text.models import Sentiment, ThemeMention

    response = (
        Response.objects.select_related("organisation", "touchpoint")
        .filter(pk=response_id, flagged="")
        .first()
    )
    if response is None:
        return "nothing to do"
    # Read fresh (not the submission path's cache): this runs in the worker, off the hot path.
    watched = {
        rule.theme_key
        for rule in rules.load_rules(response.organisation_id)
        if rule.kind == rules.Kind.NEGATIVE_THEME
    }
    if not watched:
        return "no theme rules"
    negative = tuple(
        ThemeMention.objects.filter(
            response_id=response_id, sentiment=Sentiment.NEGATIVE, theme_key__in=watched
        )
        .values_list("theme_key", flat=True)
        .distinct()
    )
    if not negative:
        return "no negative theme"
    case = opening.open_for_response(
        response, kinds=(rules.Kind.NEGATIVE_THEME,), negative_themes=negative
    )
    return f"case #{case.number}" if case is not None else "no rule fired"
