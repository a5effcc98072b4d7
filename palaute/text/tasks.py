"""Background work for the worker (django-tasks): analyse new comments as they arrive, and
retrain an organisation's model after its users have taught it something.

Every task is safe to run twice: analysis replaces what it stored, and retraining does nothing
when nothing it learns from has changed since the last model. The analysis code (and with it
scikit-learn) is imported inside the tasks, so enqueuing from a web request stays light.
"""

from django_tasks import task


@task()
def analyse_comment(answer_id: int) -> int:
    """Analyse one free-text answer; safe to run twice (re-analysis replaces)."""
    from palaute.text.analysis import analyse_answers

    return analyse_answers([answer_id])


@task()
def analyse_response(response_id: int) -> int:
    """Analyse every free-text answer of one response (one task per response, not per answer)."""
    from palaute.text.analysis import analyse_answers, text_answers

    ids = list(text_answers().filter(response_id=response_id).values_list("pk", flat=True))
    if not ids:
        return 0
    analysed = analyse_answers(ids)
    # Closed loop: a negative comment on a watched theme opens a case (issue 5).
    from palaute.loop.triggers import response_analysed

    response_analysed(response_id)
    return analysed


@task()
def retrain_organisation(organisation_id: int, force: bool = False) -> str:
    """Train the organisation's model if its tags or themes changed since the last model (or
    ``force``), then re-analyse its comments with the new model. Many tag clicks enqueue many
    of these; the first one trains on all of them and the rest find nothing new."""
    from palaute.accounts.models import Organisation
    from palaute.text.analysis import analyse_history, needs_training, train_organisation_model

    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return "no such organisation"
    if not force and not needs_training(organisation):
        return "up to date"
    if train_organisation_model(organisation) is None:
        return "too few labels"
    return f"trained; re-analysed {analyse_history(organisation)} comments"


@task()
def reanalyse_organisation(organisation_id: int) -> int:
    """Analyse all of an organisation's comments again (after its own themes changed)."""
    from palaute.accounts.models import Organisation
    from palaute.text.analysis import analyse_history

    organisation = Organisation.objects.filter(pk=organisation_id).first()
    return analyse_history(organisation) if organisation is not None else 0
