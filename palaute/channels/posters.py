"""QR codes and printable posters for a touchpoint (BRIEF §2: "a link and a QR code per
touchpoint").

A poster points at the hosted survey page of one of the touchpoint's surveys, with the
touchpoint and the ``qr`` channel in the query (``/s/<public_key>/?tp=<key>&ch=qr``), so a
scanned response lands on the right touchpoint and is counted as a QR response. The words on
the poster are for respondents and stand side by side in Finnish and English on one sheet, so
they come from the survey definition and from ``CALL_TO_ACTION`` below, not from gettext.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import segno
from django.conf import settings

from palaute.journeys.models import Touchpoint
from palaute.surveys.definition import SurveyDefinition
from palaute.surveys.models import Survey
from palaute.surveys.publishing import current_definition

# Q (25 % recovery) because posters get scuffed, folded and taped over; a survey URL still
# fits a small symbol at this level.
ERROR_LEVEL = "q"
# The quiet zone the QR specification asks for: four modules of white around the symbol.
QUIET_ZONE = 4
PNG_SCALE_RANGE = (1, 40)
PNG_DEFAULT_SCALE = 10
SIZES = ("a4", "a6")
POSTER_LANGUAGES = ("fi", "en")

CALL_TO_ACTION = {
    "fi": "Skannaa ja kerro – vie 30 sekuntia",
    "en": "Scan and tell us — it takes 30 seconds",
    "sv": "Skanna och berätta – det tar 30 sekunder",
}


@dataclass(frozen=True)
class PosterLine:
    """The question and the call to action in one language."""

    language: str
    question: str
    call_to_action: str


@dataclass(frozen=True)
class Poster:
    organisation_name: str
    touchpoint: Touchpoint
    survey: Survey
    url: str
    short_url: str
    lines: list[PosterLine]
    qr_svg: str


# --- which survey a touchpoint's QR code opens -------------------------------------------


def touchpoint_surveys(touchpoint: Touchpoint) -> list[Survey]:
    """The touchpoint's own surveys that take responses now (active and published)."""
    return list(
        Survey.objects.filter(
            organisation_id=touchpoint.organisation_id,
            touchpoint=touchpoint,
            is_active=True,
            current_version__isnull=False,
        )
        .select_related("current_version")
        .order_by("name", "pk")
    )


def other_surveys(touchpoint: Touchpoint) -> list[Survey]:
    """Active surveys of the same organisation that belong to no touchpoint or another one.

    The hosted page records ``?tp=`` for any touchpoint of the survey's organisation, so one
    organisation-wide survey can serve several touchpoints' posters."""
    return list(
        Survey.objects.filter(
            organisation_id=touchpoint.organisation_id,
            is_active=True,
            current_version__isnull=False,
        )
        .exclude(touchpoint=touchpoint)
        .select_related("current_version")
        .order_by("name", "pk")
    )


def choose_survey(touchpoint: Touchpoint, wanted_key: str | None) -> Survey | None:
    """The survey the poster uses: ``wanted_key`` if it names an active survey of the
    organisation, else the touchpoint's first own survey, else None.

    Raises LookupError when ``wanted_key`` is given but names no such survey, so a stale or
    mistyped link is an error rather than a silent switch to another survey."""
    if wanted_key:
        survey = (
            Survey.objects.filter(
                organisation_id=touchpoint.organisation_id,
                key=wanted_key,
                is_active=True,
                current_version__isnull=False,
            )
            .select_related("current_version")
            .first()
        )
        if survey is None:
            raise LookupError(wanted_key)
        return survey
    own = touchpoint_surveys(touchpoint)
    return own[0] if own else None


# --- links and codes --------------------------------------------------------------------


def survey_link(survey: Survey, touchpoint: Touchpoint) -> str:
    """The URL the QR code encodes: the hosted page, attributed to the touchpoint and to the
    QR channel (read by ``surveys.public_views``)."""
    base = settings.SITE_URL.rstrip("/")
    query = urlencode({"tp": touchpoint.key, "ch": "qr"})
    return f"{base}/s/{survey.public_key}/?{query}"


def short_link(survey: Survey) -> str:
    """What is printed under the code for typing by hand: host and path, no scheme or query.

    A typed link still reaches the touchpoint through the survey's own touchpoint, and counts
    as a web response, which is what it is."""
    parts = urlsplit(settings.SITE_URL.rstrip("/"))
    return f"{parts.netloc}{parts.path}/s/{survey.public_key}/"


def make_qr(url: str) -> segno.QRCode:
    # boost_error=False keeps the level we chose stable, so tests and prints agree.
    return segno.make(url, error=ERROR_LEVEL, micro=False, boost_error=False)


def qr_svg(url: str, *, title: str = "") -> str:
    """The code as a standalone SVG document (for download)."""
    buffer = io.BytesIO()
    make_qr(url).save(buffer, kind="svg", border=QUIET_ZONE, scale=10, title=title or None)
    return buffer.getvalue().decode("utf-8")


def qr_svg_inline(url: str, *, title: str = "") -> str:
    """The code as an ``<svg>`` element sized by CSS (``omitsize``), for embedding in HTML."""
    return make_qr(url).svg_inline(border=QUIET_ZONE, scale=1, omitsize=True, title=title or None)


def qr_png(url: str, scale: int = PNG_DEFAULT_SCALE) -> bytes:
    buffer = io.BytesIO()
    make_qr(url).save(buffer, kind="png", scale=scale, border=QUIET_ZONE)
    return buffer.getvalue()


def parse_scale(raw: str | None) -> int:
    """The PNG ``scale`` parameter (pixels per module). Raises ValueError with a message."""
    low, high = PNG_SCALE_RANGE
    if raw is None or raw == "":
        return PNG_DEFAULT_SCALE
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"scale: must be a whole number from {low} to {high}")
    return int(raw)


def parse_size(raw: str | None) -> str:
    """The poster ``size`` parameter. Raises ValueError with a message."""
    if raw is None or raw == "":
        return SIZES[0]
    if raw not in SIZES:
        raise ValueError(f"size: must be one of {', '.join(SIZES)}")
    return raw


def download_name(touchpoint: Touchpoint, survey: Survey, extension: str) -> str:
    # Touchpoint and survey keys are slugs, so the name needs no quoting beyond the quotes.
    return f"qr-{touchpoint.key}-{survey.key}.{extension}"


# --- the poster ---------------------------------------------------------------------------


def poster_languages(definition: SurveyDefinition) -> list[str]:
    """Finnish first, then English, as far as the survey has them; otherwise its default."""
    chosen = [lang for lang in POSTER_LANGUAGES if lang in definition.languages]
    return chosen or [definition.default_language]


def poster_lines(definition: SurveyDefinition) -> list[PosterLine]:
    """The first question's text, and the call to action, in each poster language."""
    first = definition.questions[0] if definition.questions else None
    lines = []
    for lang in poster_languages(definition):
        question = definition.text(first.text, lang) if first else ""
        question = question or definition.text(definition.title, lang)
        cta = CALL_TO_ACTION.get(lang, CALL_TO_ACTION["en"])
        lines.append(PosterLine(language=lang, question=question, call_to_action=cta))
    return lines


def build_poster(touchpoint: Touchpoint, survey: Survey) -> Poster:
    current = current_definition(survey)
    if current is None:
        raise ValueError("survey: has no published version")
    url = survey_link(survey, touchpoint)
    return Poster(
        organisation_name=touchpoint.organisation.name,
        touchpoint=touchpoint,
        survey=survey,
        url=url,
        short_url=short_link(survey),
        lines=poster_lines(current[1]),
        qr_svg=qr_svg_inline(url, title=short_link(survey)),
    )
