"""QR codes and printable posters per touchpoint: links, downloads, the poster page, tenancy."""

import shutil
import struct
import subprocess

import pytest
from django.test import override_settings
from django.utils import translation

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import make_member, make_org, make_stage, make_touchpoint
from palaute.channels import posters
from palaute.surveys.publishing import create_survey
from palaute.surveys.tests.helpers import definition, question

pytestmark = pytest.mark.django_db

SITE = "https://palaute.example.fi"
FIRST_FI = "Kuinka todennäköisesti suosittelisit meitä?"
FIRST_EN = "How likely are you to recommend us?"


def nps_survey(org, touchpoint, key="counter-nps", name="Tiskin NPS", languages=("fi", "en")):
    data = definition(
        {
            "key": "nps",
            "type": "nps",
            "required": True,
            "text": {"fi": FIRST_FI, "en": FIRST_EN},
        },
        question("why", "text"),
    )
    if languages != ("fi", "en"):
        lang = languages[0]
        data["languages"] = [lang]
        data["default_language"] = lang
        data["title"] = {lang: data["title"][lang]}
        data["thank_you"] = {lang: data["thank_you"][lang]}
        for q in data["questions"]:
            q["text"] = {lang: q["text"][lang]}
    return create_survey(org, key=key, name=name, touchpoint=touchpoint, definition=data)


@pytest.fixture(autouse=True)
def site_url():
    with override_settings(SITE_URL=SITE + "/"):
        yield


@pytest.fixture
def org():
    return make_org("kahvila", "Rantakahvila")


@pytest.fixture
def touchpoint(org):
    return make_touchpoint(make_stage(org), "counter", name="Kassa")


@pytest.fixture
def survey(org, touchpoint):
    return nps_survey(org, touchpoint)


@pytest.fixture
def viewer(client, org):
    user = make_member(org, "ville", Role.VIEWER)
    client.force_login(user)
    return user


def expected_url(survey, tp_key="counter"):
    return f"{SITE}/s/{survey.public_key}/?tp={tp_key}&ch=qr"


# --- domain -------------------------------------------------------------------------------


def test_link_opens_hosted_page_for_the_touchpoint_on_the_qr_channel(survey, touchpoint):
    assert posters.survey_link(survey, touchpoint) == expected_url(survey)
    assert posters.short_link(survey) == f"palaute.example.fi/s/{survey.public_key}/"


def test_code_uses_error_level_q_and_keeps_the_url():
    qr = posters.make_qr("https://palaute.example.fi/s/abcdefghijkl/?tp=counter&ch=qr")
    assert qr.error == "Q"
    assert not qr.is_micro


def test_choose_survey_prefers_the_named_key_then_the_touchpoints_own(org, touchpoint, survey):
    second = nps_survey(org, touchpoint, key="counter-csat", name="A first by name")
    assert posters.choose_survey(touchpoint, None) == second  # ordered by name
    assert posters.choose_survey(touchpoint, "counter-nps") == survey
    with pytest.raises(LookupError):
        posters.choose_survey(touchpoint, "no-such-survey")


def test_closed_or_unpublished_surveys_are_not_offered(org, touchpoint, survey):
    survey.is_active = False
    survey.save()
    assert posters.touchpoint_surveys(touchpoint) == []
    assert posters.choose_survey(touchpoint, None) is None
    with pytest.raises(LookupError):
        posters.choose_survey(touchpoint, survey.key)


def test_poster_lines_are_finnish_first_then_english(survey, touchpoint):
    poster = posters.build_poster(touchpoint, survey)
    assert [(line.language, line.question) for line in poster.lines] == [
        ("fi", FIRST_FI),
        ("en", FIRST_EN),
    ]
    assert poster.lines[0].call_to_action == "Skannaa ja kerro – vie 30 sekuntia"
    assert poster.lines[1].call_to_action == "Scan and tell us — it takes 30 seconds"
    assert poster.organisation_name == "Rantakahvila"


def test_english_only_survey_gets_an_english_only_poster(org, touchpoint):
    survey = nps_survey(org, touchpoint, key="en-only", languages=("en",))
    lines = posters.build_poster(touchpoint, survey).lines
    assert [line.language for line in lines] == ["en"]


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, 10), ("", 10), ("1", 1), ("40", 40), ("7", 7)]
)
def test_scale_within_bounds(raw, expected):
    assert posters.parse_scale(raw) == expected


@pytest.mark.parametrize("raw", ["0", "41", "-3", "2.5", "big", "1e3"])
def test_scale_out_of_bounds_names_the_parameter(raw):
    with pytest.raises(ValueError, match="^scale: must be a whole number from 1 to 40"):
        posters.parse_scale(raw)


# --- downloads ----------------------------------------------------------------------------


def test_svg_download_encodes_the_touchpoint_link(client, viewer, survey):
    response = client.get("/touchpoints/counter/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="qr-counter-counter-nps.svg"'
    body = response.content.decode()
    assert body.startswith("<?xml") and "<svg" in body
    # segno cannot decode; the same URL through the same settings gives the same picture.
    assert body == posters.qr_svg(expected_url(survey), title=posters.short_link(survey))
    other = posters.qr_svg(expected_url(survey, "terrace"), title=posters.short_link(survey))
    assert body != other


def png_width(data: bytes) -> int:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", data[16:20])[0]


def test_png_download_has_the_requested_scale_and_a_quiet_zone(client, viewer, survey):
    response = client.get("/touchpoints/counter/qr.png?scale=3")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="qr-counter-counter-nps.png"'
    modules = posters.make_qr(expected_url(survey)).symbol_size(border=0)[0]
    assert png_width(response.content) == (modules + 2 * posters.QUIET_ZONE) * 3
    assert response.content == posters.qr_png(expected_url(survey), 3)


@pytest.mark.skipif(not shutil.which("zbarimg"), reason="zbarimg (zbar-tools) is not installed")
def test_png_decodes_to_the_link(client, viewer, survey, tmp_path):
    path = tmp_path / "qr.png"
    path.write_bytes(client.get("/touchpoints/counter/qr.png?scale=8").content)
    out = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True)
    assert out.stdout.strip() == expected_url(survey)


@pytest.mark.parametrize("scale", ["0", "41", "x"])
def test_png_scale_out_of_range_is_a_400_naming_scale(client, viewer, survey, scale):
    response = client.get(f"/touchpoints/counter/qr.png?scale={scale}")
    assert response.status_code == 400
    assert response.content.decode().startswith("scale:")


def test_survey_parameter_picks_which_survey_the_code_opens(client, viewer, org, touchpoint):
    nps_survey(org, touchpoint, key="a-first")
    second = nps_survey(org, touchpoint, key="b-second")
    response = client.get("/touchpoints/counter/qr.svg?survey=b-second")
    assert response["Content-Disposition"] == 'attachment; filename="qr-counter-b-second.svg"'
    assert response.content.decode() == posters.qr_svg(
        expected_url(second), title=posters.short_link(second)
    )
    assert client.get("/touchpoints/counter/qr.svg?survey=nope").status_code == 404


def test_no_survey_means_no_code(client, viewer, touchpoint):
    assert client.get("/touchpoints/counter/qr.svg").status_code == 404
    assert client.get("/touchpoints/counter/qr.png").status_code == 404


# --- the poster page ----------------------------------------------------------------------


def test_poster_shows_question_in_finnish_then_english_with_code_and_short_url(
    client, viewer, survey
):
    with translation.override("en"):
        response = client.get("/touchpoints/counter/poster/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    sheet = html[html.index('<article class="poster poster-a4"') :]
    assert "Rantakahvila" in sheet
    assert sheet.index(FIRST_FI) < sheet.index(FIRST_EN)
    assert sheet.index("Skannaa ja kerro – vie 30 sekuntia") < sheet.index(
        "Scan and tell us — it takes 30 seconds"
    )
    assert '<svg viewBox="0 0 ' in sheet
    assert f"palaute.example.fi/s/{survey.public_key}/" in sheet
    assert "channels/poster-a4.css" in html and "channels/poster.js" in html
    assert "<script>" not in html  # no inline script
    assert "data-print hidden" in html  # the Print button appears only with JavaScript
    assert "/touchpoints/counter/qr.svg?survey=counter-nps" in html


def test_a6_poster_uses_the_a6_sheet(client, viewer, survey):
    html = client.get("/touchpoints/counter/poster/?size=a6").content.decode()
    assert "channels/poster-a6.css" in html
    assert '<article class="poster poster-a6"' in html


def test_unknown_size_is_a_400_naming_size(client, viewer, survey):
    response = client.get("/touchpoints/counter/poster/?size=a3")
    assert response.status_code == 400
    assert response.content.decode() == "size: must be one of a4, a6"


def test_several_surveys_offer_a_choice(client, viewer, org, touchpoint, survey):
    nps_survey(org, touchpoint, key="counter-csat", name="Tiskin CSAT")
    html = client.get("/touchpoints/counter/poster/?survey=counter-nps").content.decode()
    assert '<select id="poster-survey" name="survey">' in html
    assert 'value="counter-nps" selected' in html
    assert "Tiskin CSAT" in html


def test_touchpoint_without_survey_explains_and_links_to_create(client, org, touchpoint):
    client.force_login(make_member(org, "maija", Role.MANAGER))
    with translation.override("en"):
        html = client.get("/touchpoints/counter/poster/", HTTP_ACCEPT_LANGUAGE="en")
    html = html.content.decode()
    assert "No survey to point to yet" in html
    assert 'href="/surveys/new/"' in html
    assert "<article" not in html


def test_another_organisations_survey_can_serve_this_touchpoint(client, viewer, org, touchpoint):
    shared = nps_survey(org, None, key="everyone", name="Yleinen")
    html = client.get("/touchpoints/counter/poster/").content.decode()
    assert "?size=a4&amp;survey=everyone" in html  # offered, since the touchpoint has none
    html = client.get("/touchpoints/counter/poster/?survey=everyone").content.decode()
    assert expected_url(shared).replace("&", "&amp;") in html


def test_journey_editor_and_survey_page_link_to_the_poster(client, viewer, survey):
    assert 'href="/touchpoints/counter/poster/"' in client.get("/journey/").content.decode()
    detail = client.get(f"/surveys/{survey.key}/").content.decode()
    assert 'href="/touchpoints/counter/poster/?survey=counter-nps"' in detail


# --- who may see it -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["poster/", "qr.svg", "qr.png"])
def test_another_organisations_touchpoint_is_a_404(client, survey, path):
    other = make_org("toimisto")
    client.force_login(make_member(other, "olli", Role.OWNER))
    assert client.get(f"/touchpoints/counter/{path}").status_code == 404


def test_another_organisations_survey_key_is_a_404(client, viewer, survey):
    other = make_org("toimisto")
    nps_survey(other, make_touchpoint(make_stage(other), "desk"), key="theirs")
    assert client.get("/touchpoints/counter/qr.svg?survey=theirs").status_code == 404
    assert client.get("/touchpoints/counter/poster/?survey=theirs").status_code == 404


@pytest.mark.parametrize("path", ["poster/", "qr.svg", "qr.png"])
def test_signed_out_visitors_go_to_login(client, survey, path):
    response = client.get(f"/touchpoints/counter/{path}")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
