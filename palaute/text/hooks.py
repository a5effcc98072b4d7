"""What other apps call to start text analysis: cheap, and only after the data is committed."""

from collections.abc import Iterable

from django.db import transaction

from palaute.surveys.models import Answer, Response

TEXT_KINDS = ("text",)


def response_recorded(response: Response, answers: Iterable[Answer]) -> None:
    """Queue analysis of a new response's comments once its transaction commits.

    Call it inside the transaction that stores the response. No query is made here: nothing
    happens for a response without text or a flagged one, and one task is queued for a response
    with any number of comments. If queuing fails (the task store is down) the response is
    still stored; ``palaute analyse_comments`` catches up later."""
    if response.flagged or not any(a.kind in TEXT_KINDS and a.text.strip() for a in answers):
        return
    response_id = response.pk

    def enqueue() -> None:
        from palaute.text.tasks import analyse_response

        analyse_response.enqueue(response_id)

    transaction.on_commit(enqueue, robust=True)


def request_retraining(organisation_id: int, force: bool = False) -> None:
    """Queue a retrain of the organisation's model after the current transaction commits."""

    def enqueue() -> None:
        from palaute.text.tasks import retrain_organisation

        retrain_organisation.enqueue(organisation_id, force)

    transaction.on_commit(enqueue, robust=True)


def request_reanalysis(organisation_id: int) -> None:
    """Queue re-analysis of all of an organisation's comments (its own themes changed)."""

    def enqueue() -> None:
        from palaute.text.tasks import reanalyse_organisation

        reanalyse_organisation.enqueue(organisation_id)

    transaction.on_commit(enqueue, robust=True)


def on_response_recorded(
    sender, *, response: Response, answers: Iterable[Answer], **kwargs
) -> None:
    """Receiver of ``palaute.surveys.signals.response_recorded``."""
    response_recorded(response, answers)
