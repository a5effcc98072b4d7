"""Tags and corrections show at once, become training labels, and survive re-analysis."""

import pytest

from palaute.text import analysis, labels
from palaute.text.models import CommentAnalysis, Theme, ThemeLabel, ThemeMention
from palaute.text.tests.helpers import add_response, make_text_org, make_text_survey, text_answer


@pytest.fixture
def comment(db):
    survey = make_text_survey(make_text_org("labels"))
    answer = text_answer(add_response(survey, nps=4, text="Jono oli pitkä mutta kahvi hyvää"))
    analysis.analyse_answers([answer.pk])
    return answer


def shown(answer) -> dict[str, tuple[str, str]]:
    return {
        m.theme_key: (m.sentiment, m.source) for m in ThemeMention.objects.filter(answer=answer)
    }


def test_tagging_a_theme_confirms_what_is_shown_and_adds_a_user_mention(comment, django_user_model):
    user = django_user_model.objects.create_user("agent")
    assert set(shown(comment)) == {"schedule", "product_quality"}
    labels.tag_theme(comment, "staff", "negative", user)
    assert shown(comment)["staff"] == ("negative", "user")
    got = {
        label.theme_key: (label.present, label.sentiment)
        for label in ThemeLabel.objects.filter(answer=comment)
    }
    assert got == {
        "staff": (True, "negative"),
        "schedule": (True, "negative"),  # confirmed as shown
        "product_quality": (True, "positive"),
    }
    user_mention = ThemeMention.objects.get(answer=comment, theme_key="staff")
    assert user_mention.survey_id == comment.survey_id and user_mention.day is not None


def test_removing_a_theme_and_setting_sentiment_survive_reanalysis(comment, django_user_model):
    user = django_user_model.objects.create_user("agent")
    labels.remove_theme(comment, "product_quality", user)
    labels.set_sentiment(comment, "negative", user)
    labels.tag_theme(comment, "schedule", None, user)  # keeps the sentiment it had
    assert shown(comment) == {"schedule": ("negative", "user")}
    analysis.analyse_answers([comment.pk])
    assert shown(comment) == {"schedule": ("negative", "user")}  # the machine does not overrule
    stored = CommentAnalysis.objects.get(answer=comment)
    assert (stored.sentiment, stored.source) == ("negative", "user")
    texts, sentiments, themes = analysis.training_data(comment.organisation)
    assert (texts, sentiments, themes) == ([comment.text], ["negative"], [["schedule"]])


def test_unknown_theme_or_sentiment_is_refused(comment, django_user_model):
    user = django_user_model.objects.create_user("agent")
    with pytest.raises(labels.LabelInvalid, match="theme"):
        labels.tag_theme(comment, "parking", None, user)
    with pytest.raises(labels.LabelInvalid, match="sentiment"):
        labels.set_sentiment(comment, "angry", user)
    other = make_text_org("other")
    Theme.objects.create(organisation=other, key="parking", name_fi="Pysäköinti")
    with pytest.raises(labels.LabelInvalid):  # another organisation's theme
        labels.tag_theme(comment, "parking", None, user)
    assert not ThemeLabel.objects.exists()


def test_tagging_an_unanalysed_comment_analyses_it_first(django_user_model):
    survey = make_text_survey(make_text_org("fresh"))
    answer = text_answer(add_response(survey, nps=8, text="Mukava paikka"))
    labels.set_sentiment(answer, "positive", django_user_model.objects.create_user("a"))
    assert CommentAnalysis.objects.get(answer=answer).sentiment == "positive"
