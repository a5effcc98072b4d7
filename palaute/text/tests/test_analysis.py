"""Storing analyses for answers: idempotent, per organisation, and tenancy-safe."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from palaute.accounts.models import Organisation
from palaute.surveys.models import Answer, Response, Survey, SurveyVersion
from palaute.text import analysis
from palaute.text.models import (
    CommentAnalysis,
    MentionSource,
    Theme,
    ThemeLabel,
    ThemeMention,
    TrainedModel,
)
from palaute.text.tasks import analyse_comment

DEFINITION = {
    "format": "palaute.survey/1",
    "languages": ["fi"],
    "default_language": "fi",
    "title": {"fi": "T"},
    "questions": [{"key": "why", "type": "text", "text": {"fi": "Miksi?"}}],
}


def make_org(slug: str) -> tuple[Organisation, Survey, SurveyVersion]:
    org = Organisation.objects.create(name=slug.title(), slug=slug)
    survey = Survey.objects.create(organisation=org, key="s", name="S")
    version = SurveyVersion.objects.create(survey=survey, number=1, definition=DEFINITION)
    return org, survey, version


def add_comment(org, survey, version, text: str, language: str = "fi") -> Answer:
    response = Response.objects.create(
        organisation=org,
        survey=survey,
        version=version,
        channel="web",
        language=language,
        submitted_at=datetime(2025, 5, 1, tzinfo=UTC),
        idempotency_key=f"k{Response.objects.count()}",
    )
    return Answer.objects.create(
        response=response,
        organisation=org,
        survey=survey,
        question_key="why",
        kind="text",
        text=text,
    )


@pytest.mark.django_db
def test_analyse_answers_stores_sentiment_and_themes_and_replaces_on_rerun():
    org, survey, version = make_org("kahvila")
    answer = add_comment(org, survey, version, "hyvä ruoka mutta pitkä jono")
    assert analysis.analyse_answers([answer.pk]) == 1
    stored = CommentAnalysis.objects.get(answer=answer)
    assert stored.sentiment == "mixed" and stored.organisation == org
    assert stored.clauses[1]["evidence"] == ["jono"]
    mentions = dict(
        ThemeMention.objects.filter(answer=answer).values_list("theme_key", "sentiment")
    )
    assert mentions == {"product_quality": "positive", "schedule": "negative"}

    ThemeMention.objects.create(
        organisation=org,
        answer=answer,
        response=answer.response,
        theme_key="ambience",
        sentiment="positive",
        source=MentionSource.USER,
    )
    analysis.analyse_answers([answer.pk])
    assert CommentAnalysis.objects.filter(answer=answer).count() == 1
    assert ThemeMention.objects.filter(answer=answer).count() == 3  # user mention kept


@pytest.mark.django_db
def test_short_comment_uses_the_response_language():
    org, survey, version = make_org("cafe")
    answer = add_comment(org, survey, version, "Super!", language="en")
    analysis.analyse_answers([answer.pk])
    assert CommentAnalysis.objects.get(answer=answer).language == "en"


@pytest.mark.django_db
def test_history_command_and_task_analyse_everything_once():
    org, survey, version = make_org("energia")
    for text in ("Laskutusvirhe taas", "Asentaja oli ystävällinen", "Toimitusaika venyi"):
        add_comment(org, survey, version, text)
    assert analysis.analyse_history(org, batch=2) == 3
    call_command("analyse_comments", "--org", "energia")
    assert CommentAnalysis.objects.filter(organisation=org).count() == 3
    late = add_comment(org, survey, version, "Asennus myöhästyi viikolla")
    analyse_comment.call(late.pk)
    assert CommentAnalysis.objects.get(answer=late).sentiment == "negative"


@pytest.mark.django_db
def test_user_theme_keywords_apply_only_to_their_organisation():
    org_a, survey_a, version_a = make_org("a")
    org_b, survey_b, version_b = make_org("b")
    Theme.objects.create(
        organisation=org_a, key="parking", name_fi="Pysäköinti", keywords=["parkkipaikka"]
    )
    a = add_comment(org_a, survey_a, version_a, "Parkkipaikkoja oli liian vähän")
    b = add_comment(org_b, survey_b, version_b, "Parkkipaikkoja oli liian vähän")
    analysis.analyse_answers([a.pk, b.pk])
    assert ThemeMention.objects.filter(answer=a, theme_key="parking").exists()
    assert not ThemeMention.objects.filter(answer=b, theme_key="parking").exists()


@pytest.mark.django_db
def test_trained_model_and_labels_stay_in_their_organisation():
    org_a, survey_a, version_a = make_org("a")
    org_b, survey_b, version_b = make_org("b")
    examples = [
        "Parkkipaikkoja ei ollut",
        "Pysäköinti oli hankalaa",
        "Parkkihalli oli täynnä",
        "Parkkimaksu oli kallis",
        "Autopaikkoja saisi olla enemmän",
        "Pysäköinti maksaa liikaa",
    ]
    Theme.objects.create(
        organisation=org_a, key="parking", name_fi="Pysäköinti", example_comments=examples
    )
    for text in (
        "Kahvi oli hyvää",
        "Asentaja tuli ajallaan",
        "Lasku oli virheellinen",
        "Henkilökunta oli ystävällistä",
        "Toimitus kesti kauan",
        "Ruoka oli kylmää",
    ):
        answer = add_comment(org_a, survey_a, version_a, text)
        ThemeLabel.objects.create(
            organisation=org_a, answer=answer, theme_key="parking", present=False
        )
    trained = analysis.train_organisation_model(org_a)
    assert trained is not None and trained.organisation == org_a
    assert analysis.train_organisation_model(org_b) is None  # b has no labels of its own
    assert TrainedModel.objects.filter(organisation=org_b).count() == 0

    a = add_comment(org_a, survey_a, version_a, "Parkkipaikkoja oli liian vähän")
    b = add_comment(org_b, survey_b, version_b, "Parkkipaikkoja oli liian vähän")
    analysis.analyse_answers([a.pk, b.pk])
    assert ThemeMention.objects.get(answer=a, theme_key="parking").source == "model"
    assert not ThemeMention.objects.filter(answer=b, theme_key="parking").exists()


@pytest.mark.django_db
def test_active_learning_queue_skips_tagged_answers():
    org, survey, version = make_org("jono")
    answers = [
        add_comment(org, survey, version, t)
        for t in ("Kävin eilen", "Loistava palvelu, kiitos!", "Kahvi oli surkeaa")
    ]
    ThemeLabel.objects.create(organisation=org, answer=answers[0], theme_key="staff", present=False)
    queue = [item.answer_id for item in analysis.active_learning_queue(org, limit=5)]
    assert answers[0].pk not in queue
    assert set(queue) == {answers[1].pk, answers[2].pk}


@pytest.mark.django_db
def test_active_learning_queue_asks_about_each_wording_once():
    org, survey, version = make_org("toisto")
    for _ in range(3):
        add_comment(org, survey, version, "Käymme täällä joka viikko")
    add_comment(org, survey, version, "Kävin eilen")
    queue = analysis.active_learning_queue(org, limit=5)
    texts = [Answer.objects.get(pk=item.answer_id).text for item in queue]
    assert len(texts) == 2 and set(texts) == {"Käymme täällä joka viikko", "Kävin eilen"}
    assert all(item.theme is None for item in queue)  # no model yet: ask about sentiment
