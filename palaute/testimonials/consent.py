"""From a consenting response to a consent record and a testimonial candidate.

``on_response_recorded`` listens to ``surveys.signals.response_recorded``. Most responses carry
no consent and cost one loop over their answer rows. For a consent with a yes it stores, in the
response's own transaction (a savepoint, so a failure here never loses the response):

- the ``ConsentRecord``: the exact wording shown (the consent row's text, in the response's
  language), the language, the time, the survey version, the naming choice and the name or
  company the person allowed;
- a pending ``Testimonial``: the quote is the answer to the question the consent names
  (``quote``) or else the first text answered; the rating is the first NPS, CSAT, rating or
  smiley answer, kept with its scale.

After the commit, the testimonial is linked to the customer account of an invited contact (the
survey page marks the invitation answered after ``record_response`` returns), and the person
gets a copy of what they agreed to, with a withdrawal link, if we have their email address.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, transaction

from palaute.outreach.jobs import enqueue
from palaute.surveys.definition import SurveyDefinition
from palaute.surveys.models import Answer, Response
from palaute.surveys.publishing import parsed_definition
from palaute.surveys.submission import consent_choice
from palaute.testimonials.models import ConsentRecord, Naming, Testimonial
from palaute.testimonials.respondent import account_of, email_of

logger = logging.getLogger(__name__)

RATED_KINDS = ("nps", "csat", "rating", "smiley")


def on_response_recorded(sender, response: Response, answers: list[Answer], **kwargs) -> None:
    agreed = [row for row in answers if row.kind == "consent" and row.score == 1]
    if not agreed:
        return
    try:
        with transaction.atomic():
            testimonial = record_consent(response, agreed[0], answers)
    except DatabaseError:
        # The response stands (its consent row keeps the wording and the yes); staff see no
        # candidate. Logged loudly: this is a bug or an outage, not a respondent's mistake.
        logger.exception("testimonials: no consent record for response %s", response.pk)
        return
    if testimonial is not None:
        transaction.on_commit(lambda: after_commit(testimonial.pk), robust=True)


def record_consent(response: Response, row: Answer, answers: list[Answer]) -> Testimonial | None:
    """Store the consent given in ``row`` and its testimonial candidate; None if this
    response already has a consent record (a flagged response counted after review)."""
    if ConsentRecord.objects.filter(response_id=response.pk).exists():
        return None
    definition = parsed_definition(response.version)
    question = definition.question(row.question_key)
    choice = consent_choice(row) or {}
    naming = choice.get("naming") or (question.default_naming if question else Naming.ANONYMOUS)
    record = ConsentRecord.objects.create(
        organisation_id=response.organisation_id,
        response=response,
        survey_id=response.survey_id,
        version=response.version,
        version_number=response.version.number,
        question_key=row.question_key,
        wording=row.text,
        language=response.language,
        channel=response.channel,
        given_at=response.submitted_at,
        naming=naming,
        name=choice.get("name", ""),
        company=choice.get("company", ""),
    )
    quote_key, quote = _quote(question, answers)
    rating = _rating(definition, answers)
    return Testimonial.objects.create(
        organisation_id=response.organisation_id,
        consent=record,
        quote=quote,
        original_quote=quote,
        quote_question_key=quote_key,
        language=response.language,
        submitted_at=response.submitted_at,
        **rating,
    )


def after_commit(testimonial_id: int) -> None:
    """Link the customer account and send the person a copy of their consent."""
    from palaute.testimonials.jobs import send_consent_copy

    testimonial = (
        Testimonial.objects.select_related("consent__response").filter(pk=testimonial_id).first()
    )
    if testimonial is None:
        return
    response = testimonial.consent.response
    account = account_of(response)
    if account is not None and testimonial.account_id is None:
        Testimonial.objects.filter(pk=testimonial.pk, account__isnull=True).update(account=account)
    if email_of(response):
        enqueue(send_consent_copy, testimonial.consent_id)


def _quote(question: Any, answers: list[Answer]) -> tuple[str, str]:
    wanted = getattr(question, "quote", None)
    texts = [row for row in answers if row.kind == "text" and row.text.strip()]
    for row in texts:
        if wanted is None or row.question_key == wanted:
            return row.question_key, row.text.strip()
    return (wanted or ""), ""


def _rating(definition: SurveyDefinition, answers: list[Answer]) -> dict[str, int | None]:
    for row in answers:
        if row.kind in RATED_KINDS and row.score is not None:
            question = definition.question(row.question_key)
            if question is not None and question.bounds is not None:
                worst, best = question.bounds
                return {"rating": row.score, "rating_worst": worst, "rating_best": best}
    return {"rating": None, "rating_worst": None, "rating_best": None}
