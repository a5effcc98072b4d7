"""The text pages through the test client: explorer filters and highlights, tagging (and its
permissions), trends and heat map, teaching, the tag queue and driver analysis; another
organisation sees nothing of it."""

import datetime as dt
import re

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks.signals import task_enqueued

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import PASSWORD, make_member
from palaute.text import analysis
from palaute.text.models import Theme, ThemeLabel, ThemeMention
from palaute.text.tests.helpers import add_response, make_text_org, make_text_survey, text_answer

COMMENTS = [
    ("Jono oli todella pitkä ja kahvi kylmää", 2, "fi"),
    ("Kahvi oli erinomaista", 10, "fi"),
    ("The queue was really long", 3, "en"),
    ("Henkilökunta oli ystävällistä", 9, "fi"),
    ("Lasku oli virheellinen <script>", 1, "fi"),
]


@pytest.fixture
def cafe(db):
    org = make_text_org("kahvila")
    for username, role in (("olga", Role.OWNER), ("aki", Role.AGENT), ("vera", Role.VIEWER)):
        make_member(org, username, role)
    survey = make_text_survey(org, touchpoint_key="counter")
    web = make_text_survey(org, key="web", touchpoint_key="website")
    now = timezone.now()
    responses = [
        add_response(
            survey, nps=nps, speed=3, text=text, language=lang, when=now - dt.timedelta(days=i + 1)
        )
        for i, (text, nps, lang) in enumerate(COMMENTS)
    ]
    responses.append(
        add_response(
            web, nps=4, text="Varaus verkossa oli hankala", when=now - dt.timedelta(days=40)
        )
    )
    analysis.analyse_history(org)
    other = make_text_org("muut")
    make_member(other, "mallory", Role.OWNER)
    other_survey = make_text_survey(other, touchpoint_key="counter")
    secret = add_response(other_survey, nps=0, text="Salainen jono valitus")
    analysis.analyse_history(other)
    return {"org": org, "survey": survey, "responses": responses, "secret": secret}


@pytest.fixture
def client():
    """English pages, whatever the Finnish catalogue says."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def login(client, username):
    assert client.login(username=username, password=PASSWORD)


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def visible(html: str) -> str:
    """The page's text without tags, so highlighted words read as the comment does."""
    return re.sub(r"<[^>]+>", "", html)


def test_explorer_lists_highlights_and_escapes(client, cafe):
    login(client, "vera")
    html = page(client, reverse("text_comments"))
    assert '<mark class="hl hl-positive" title="positive word">erinomaista</mark>' in html
    assert '<mark class="hl hl-theme" title="Schedules and delays">Jono</mark>' in html
    assert "&lt;script&gt;" in html and "<script>" not in html.split("</head>")[1]
    assert "Salainen" not in html  # another organisation's comment
    assert "Tag or correct" not in html  # a viewer cannot tag
    login(client, "aki")
    assert "Tag or correct" in page(client, reverse("text_comments"))


@pytest.mark.parametrize(
    ("params", "present", "absent"),
    [
        ({"theme": "schedule"}, ["Jono oli", "The queue"], ["Henkilökunta"]),
        ({"theme": "schedule", "language": "en"}, ["The queue"], ["Jono oli"]),
        ({"sentiment": "positive"}, ["Henkilökunta", "erinomaista"], ["virheellinen"]),
        ({"touchpoint": "website"}, ["Varaus verkossa"], ["Jono oli"]),
        ({"survey": "web", "period": "30"}, [], ["Varaus verkossa"]),
        ({"q": "lasku"}, ["virheellinen"], ["Jono oli"]),
        ({"from": "2000-01-01", "to": "2000-12-31"}, [], ["Jono oli"]),
    ],
)
def test_explorer_filters(client, cafe, params, present, absent):
    login(client, "vera")
    html = visible(page(client, reverse("text_comments"), **params))
    for text in present:
        assert text in html
    for text in absent:
        assert text not in html


def test_explorer_refuses_another_organisations_keys(client, cafe):
    Theme.objects.create(organisation=make_text_org("third"), key="parking", name_fi="P")
    login(client, "vera")
    for params in ({"touchpoint": "nope"}, {"theme": "parking"}, {"sentiment": "angry"}):
        html = page(client, reverse("text_comments"), **params)
        assert "No analysed comments match" in html
        assert "field-error" in html


def test_explorer_pages_with_a_keyset_cursor(client, cafe):
    survey = cafe["survey"]
    now = timezone.now()
    for i in range(30):
        add_response(survey, nps=5, text=f"Kommentti numero {i}", when=now - dt.timedelta(hours=i))
    analysis.analyse_history(cafe["org"])
    login(client, "vera")
    first = page(client, reverse("text_comments"), q="numero")
    assert "30 comments" in first
    assert "Kommentti numero 0<" in first and "Kommentti numero 29<" not in first
    next_url = first.split('href="?')[-1].split('"')[0].replace("&amp;", "&")
    assert "after=" in next_url
    second = client.get(reverse("text_comments") + "?" + next_url).content.decode()
    assert "Kommentti numero 29<" in second and "Kommentti numero 0<" not in second


@pytest.fixture
def enqueued():
    seen = []

    def record(sender, task_result, **kwargs):
        seen.append((task_result.task.name, list(task_result.args)))

    task_enqueued.connect(record)
    yield seen
    task_enqueued.disconnect(record)


def test_agent_tags_in_place_with_htmx_and_retraining_is_queued(
    client, cafe, enqueued, django_capture_on_commit_callbacks
):
    answer = text_answer(cafe["responses"][3])  # "Henkilökunta oli ystävällistä"
    login(client, "aki")
    url = reverse("text_label", args=[answer.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"action": "add", "theme": "ambience", "sentiment": "positive", "mode": ""},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<article") and "Ambience" in html
    label = ThemeLabel.objects.get(answer=answer, theme_key="ambience")
    assert label.present and label.sentiment == "positive" and label.created_by.username == "aki"
    assert ThemeMention.objects.get(answer=answer, theme_key="ambience").source == "user"
    assert enqueued == [("retrain_organisation", [cafe["org"].pk, False])]

    # Without JavaScript: a plain form post redirects back to where the user was.
    back = reverse("text_comments") + "?theme=staff"
    response = client.post(url, {"action": "remove", "theme": "staff", "next": back})
    assert response.status_code == 302 and response["Location"] == back + f"#c{answer.pk}"
    assert not ThemeMention.objects.filter(answer=answer, theme_key="staff").exists()
    response = client.post(
        url, {"action": "remove", "theme": "staff", "next": "https://evil.example/"}
    )
    assert response["Location"].startswith(reverse("text_comments"))


def test_tagging_needs_an_agent_and_the_organisations_own_answer(client, cafe):
    answer = text_answer(cafe["responses"][0])
    url = reverse("text_label", args=[answer.pk])
    login(client, "vera")
    assert client.post(url, {"action": "sentiment", "sentiment": "neutral"}).status_code == 403
    login(client, "mallory")
    assert client.post(url, {"action": "sentiment", "sentiment": "neutral"}).status_code == 404
    login(client, "aki")
    secret = text_answer(cafe["secret"])
    secret_url = reverse("text_label", args=[secret.pk])
    assert (
        client.post(secret_url, {"action": "sentiment", "sentiment": "neutral"}).status_code == 404
    )
    html = client.post(url, {"action": "add"}, HTTP_HX_REQUEST="true").content.decode()
    assert "theme: Choose a theme." in html
    assert not ThemeLabel.objects.exists()


def test_themes_page_counts_trends_and_heat_map(client, cafe):
    login(client, "vera")
    html = page(client, reverse("text_themes"), period="365")
    assert "Schedules and delays" in html and "Themes by touchpoint" in html
    assert "theme-bars" in html  # the monthly bars
    # Heat map cell for schedule at the counter: two negative mentions, net −100.
    cells = re.findall(r'<td class="(heat-[a-z0-9]+)"><a href="([^"]+)"', html)
    schedule_counter = [
        css for css, href in cells if "theme=schedule" in href and "touchpoint=counter" in href
    ]
    assert schedule_counter == ["heat-n3"]
    assert 'class="heat-n3"' in html
    assert "Salainen" not in html


def test_heat_map_and_trend_queries_count_in_the_database(cafe):
    from palaute.text import trends

    org = cafe["org"]
    names = {"schedule": "Schedule"}
    qs = trends.mentions(org.id, None, None)
    heat = trends.heat_map(qs, org.id, names)
    counter = next(tp for tp in heat.touchpoints if tp and tp.key == "counter")
    tally = heat.cell("schedule", counter)
    assert (tally.n, tally.negative, tally.net) == (2, 2, -100)
    found = {t.key: t for t in trends.theme_trends(qs, names)}
    assert found["schedule"].total.n == 2
    assert sum(t.n for _m, t in found["schedule"].months) == 2
    other = trends.heat_map(trends.mentions(org.id + 999, None, None), org.id + 999, names)
    assert other.cells == {}


def test_teach_page_theme_editing_and_retraining(
    client, cafe, enqueued, django_capture_on_commit_callbacks
):
    login(client, "aki")
    html = page(client, reverse("text_teach"))
    assert "Retrain now" in html and "New theme" not in html  # agents tag, managers edit
    assert client.get(reverse("text_theme_create")).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("text_retrain")).status_code == 302
    assert enqueued == [("retrain_organisation", [cafe["org"].pk, True])]

    login(client, "olga")
    enqueued.clear()
    data = {
        "key": "parking",
        "name_fi": "Pysäköinti",
        "name_en": "Parking",
        "is_active": "on",
        "keywords_text": "parkkipaikka\ncar park",
        "examples_text": "Autolle ei ollut tilaa\n",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("text_theme_create"), data)
    assert response.status_code == 302
    theme = Theme.objects.get(organisation=cafe["org"], key="parking")
    assert theme.keywords == ["parkkipaikka", "car park"]
    assert theme.example_comments == ["Autolle ei ollut tilaa"]
    assert sorted(name for name, _args in enqueued) == [
        "reanalyse_organisation",
        "retrain_organisation",
    ]
    bad = client.post(reverse("text_theme_create"), data | {"key": "schedule"})
    assert "A built-in theme already has this key." in bad.content.decode()
    login(client, "mallory")
    assert client.get(reverse("text_theme_edit", args=["parking"])).status_code == 404


def test_queue_shows_comments_to_tag_with_one_question(client, cafe):
    login(client, "aki")
    html = page(client, reverse("text_queue"))
    assert "queue-question" in html and "right?" in html
    assert "Salainen" not in html


@pytest.fixture
def driver_survey(cafe):
    survey = cafe["survey"]
    rng = np.random.default_rng(5)
    now = timezone.now()
    for i in range(240):
        late = i % 4 == 0
        score = int(np.clip(round(rng.normal(8.8, 0.9)) - (4 if late else 0), 0, 10))
        text = (
            "Jono oli pitkä ja odotus kesti" if late else ("Kahvi oli hyvää", "Kävin eilen")[i % 2]
        )
        add_response(
            survey,
            nps=score,
            speed=int(rng.integers(1, 6)),
            text=text,
            when=now - dt.timedelta(hours=i + 1),
        )
    analysis.analyse_history(cafe["org"])
    return survey


def test_driver_page_says_what_to_fix_first(client, driver_survey):
    login(client, "vera")
    url = reverse("survey_drivers", args=[driver_survey.key])
    html = page(client, url)
    assert "Fix first:</strong> Schedules and delays" in html
    assert "chart-matrix" in html and "R²" in html
    questions = page(client, url, drivers="questions")
    assert "speed en" in questions
    login(client, "mallory")  # her own "feedback" survey: one response, nothing of ours
    assert "Too little data" in page(client, url)
    assert client.get(reverse("survey_drivers", args=["web"])).status_code == 404


def test_driver_page_with_too_little_data(client, cafe):
    login(client, "vera")
    html = page(client, reverse("survey_drivers", args=["feedback"]))
    assert "Too little data" in html
