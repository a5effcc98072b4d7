"""Background work for the worker (django-tasks): analyse a new comment as it arrives."""

from django_tasks import task

from palaute.text.analysis import analyse_answers


@task()
def analyse_comment(answer_id: int) -> int:
    """Analyse one free-text answer; safe to run twice (re-analysis replaces)."""
    return analyse_answers([answer_id])
