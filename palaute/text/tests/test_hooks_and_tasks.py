"""New responses queue one analysis task after commit; tasks are idempotent; retraining runs
only when something was taught since the last model."""

import pytest
from django_tasks.signals import task_enqueued

from palaute.surveys.models import Answer
from palaute.text import analysis, hooks, labels
from palaute.text.models import CommentAnalysis, ThemeMention, TrainedModel
from palaute.text.tasks import analyse_response, retrain_organisation
from palaute.text.tests.helpers import add_response, make_text_org, make_text_survey


@pytest.fixture
def enqueued():
    seen = []

    def record(sender, task_result, **kwargs):
        seen.append((task_result.task.name, list(task_result.args)))

    task_enqueued.connect(record)
    yield seen
    task_enqueued.disconnect(record)


@pytest.mark.django_db
def test_one_task_per_response_with_text_after_commit(enqueued, django_capture_on_commit_callbacks):
    survey = make_text_survey(make_text_org("hooks"))
    with_text = add_response(survey, nps=3, text="Jono oli pitkä. Kahvi oli kylmää.")
    Answer.objects.create(
        response=with_text,
        organisation_id=survey.organisation_id,
        survey=survey,
        question_key="more",
        kind="text",
        text="Toinenkin kommentti",
    )
    without_text = add_response(survey, nps=9)
    spam = add_response(survey, nps=0, text="aaaa", flagged="mashing")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        hooks.response_recorded(with_text, list(Answer.objects.filter(response=with_text)))
        hooks.response_recorded(without_text, list(Answer.objects.filter(response=without_text)))
        hooks.response_recorded(spam, list(Answer.objects.filter(response=spam)))
    assert enqueued == []  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert enqueued == [("analyse_response", [with_text.pk])]


@pytest.mark.django_db
def test_analyse_response_is_idempotent():
    survey = make_text_survey(make_text_org("idem"))
    response = add_response(survey, nps=3, text="Jono oli todella pitkä")
    assert analyse_response.call(response.pk) == 1
    assert analyse_response.call(response.pk) == 1
    assert CommentAnalysis.objects.filter(response=response).count() == 1
    assert ThemeMention.objects.filter(response=response, theme_key="schedule").count() == 1
    stored = CommentAnalysis.objects.get(response=response)
    assert stored.survey_id == survey.pk and stored.touchpoint_id == survey.touchpoint_id
    assert stored.day is not None and stored.submitted_at == response.submitted_at


@pytest.mark.django_db
def test_flagged_responses_are_not_analysed():
    survey = make_text_survey(make_text_org("flag"))
    response = add_response(survey, nps=0, text="Jono oli pitkä", flagged="mashing")
    assert analyse_response.call(response.pk) == 0
    assert not CommentAnalysis.objects.exists()


@pytest.mark.django_db
def test_retraining_trains_once_per_change(django_user_model):
    org = make_text_org("retrain")
    survey = make_text_survey(org)
    user = django_user_model.objects.create_user("tagger")
    texts = [
        ("Parkkipaikkoja ei ollut", True),
        ("Pysäköinti oli hankalaa", True),
        ("Parkkihalli oli täynnä", True),
        ("Parkkimaksu oli kallis", True),
        ("Autopaikkoja saisi olla enemmän", True),
        ("Kahvi oli hyvää", False),
        ("Asentaja tuli ajallaan", False),
        ("Lasku oli virheellinen", False),
        ("Henkilökunta oli ystävällistä", False),
        ("Toimitus kesti kauan", False),
        ("Ruoka oli kylmää", False),
    ]
    from palaute.text.models import Theme

    Theme.objects.create(organisation=org, key="parking", name_fi="Pysäköinti")
    for text, about_parking in texts:
        answer = Answer.objects.get(response=add_response(survey, nps=5, text=text), kind="text")
        if about_parking:
            labels.tag_theme(answer, "parking", "negative", user)
        else:
            labels.remove_theme(answer, "parking", user)
    assert analysis.needs_training(org)
    assert retrain_organisation.call(org.pk).startswith("trained")
    assert TrainedModel.objects.filter(organisation=org).count() == 1
    assert retrain_organisation.call(org.pk) == "up to date"
    assert TrainedModel.objects.filter(organisation=org).count() == 1
    assert retrain_organisation.call(org.pk, True).startswith("trained")  # forced
    assert TrainedModel.objects.filter(organisation=org).count() == 2
    late = add_response(survey, nps=2, text="Parkkipaikkoja oli liian vähän")
    analyse_response.call(late.pk)
    assert ThemeMention.objects.filter(response=late, theme_key="parking").exists()
