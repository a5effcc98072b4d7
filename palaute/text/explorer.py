"""The verbatim explorer's query: analysed comments filtered by theme, sentiment, stage,
touchpoint, survey, language, period and free text, newest first, one page at a time.

Everything is filtered in the database on ``CommentAnalysis``, which carries the response's
survey, touchpoint, stage, time and local day (indexed), and pages are keyset pages (after the
last shown (time, id)), so page 500 costs what page 1 does. Only the rows of one page are
loaded, with their theme mentions in one more query.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from palaute.accounts.models import Organisation
from palaute.journeys.models import Stage, Touchpoint
from palaute.surveys.models import Survey
from palaute.text.highlight import Piece, marks_for, pieces
from palaute.text.models import CommentAnalysis, Sentiment, ThemeMention

PAGE_SIZE = 25
COUNT_CAP = 10_000
MAX_QUERY = 200
LANGUAGES = ("fi", "en", "sv")
PERIODS = {
    "30": (30, gettext_lazy("Last 30 days")),
    "90": (90, gettext_lazy("Last 90 days")),
    "365": (365, gettext_lazy("Last 365 days")),
    "all": (None, gettext_lazy("All time")),
}
DEFAULT_PERIOD = "365"


@dataclass
class Filters:
    theme: str = ""
    sentiment: str = ""  # of the theme when one is chosen, else of the whole comment
    stage: Stage | None = None
    touchpoint: Touchpoint | None = None
    survey: Survey | None = None
    language: str = ""
    period: str = DEFAULT_PERIOD  # a PERIODS key, or "custom" for from/to
    start: dt.date | None = None
    end: dt.date | None = None
    q: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def params(self) -> dict[str, str]:
        """The filters as query parameters (for links that keep them)."""
        values = {
            "theme": self.theme,
            "sentiment": self.sentiment,
            "stage": self.stage.key if self.stage else "",
            "touchpoint": self.touchpoint.key if self.touchpoint else "",
            "survey": self.survey.key if self.survey else "",
            "language": self.language,
            "q": self.q,
        }
        if self.period == "custom":
            values["from"] = self.start.isoformat() if self.start else ""
            values["to"] = self.end.isoformat() if self.end else ""
        else:
            values["period"] = self.period
        return {k: v for k, v in values.items() if v}

    def query(self, **changes: str) -> str:
        values = {**self.params(), **changes}
        return urlencode({k: v for k, v in values.items() if v})


def today_in(organisation: Organisation) -> dt.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def parse(params: Mapping[str, str], organisation: Organisation, theme_keys: set[str]) -> Filters:
    """Read the filters from query parameters. A value that does not exist in this
    organisation is an error (named by the field) and matches nothing, never another org's."""
    f = Filters()
    errors = f.errors
    theme = params.get("theme", "").strip()
    if theme:
        if theme in theme_keys:
            f.theme = theme
        else:
            errors["theme"] = _("No such theme.")
    sentiment = params.get("sentiment", "").strip()
    if sentiment:
        if sentiment in Sentiment.values:
            f.sentiment = sentiment
        else:
            errors["sentiment"] = _("Choose positive, negative, neutral or mixed.")
    for name, model in (("stage", Stage), ("touchpoint", Touchpoint), ("survey", Survey)):
        key = params.get(name, "").strip()
        if key:
            found = model.objects.filter(organisation=organisation, key=key).first()
            if found is None:
                errors[name] = _("Not found in this organisation.")
            setattr(f, name, found)
    language = params.get("language", "").strip()
    if language:
        if language in LANGUAGES:
            f.language = language
        else:
            errors["language"] = _("Choose fi, en or sv.")
    f.q = params.get("q", "").strip()[:MAX_QUERY]
    start, end = params.get("from", "").strip(), params.get("to", "").strip()
    if start or end:
        f.period = "custom"
        f.start = _date(start) if start else None
        f.end = _date(end) if end else None
        if (start and f.start is None) or (end and f.end is None):
            errors["period"] = _("Dates are written as YYYY-MM-DD.")
    else:
        key = params.get("period", DEFAULT_PERIOD)
        f.period = key if key in PERIODS else DEFAULT_PERIOD
        days = PERIODS[f.period][0]
        if days is not None:
            f.end = today_in(organisation)
            f.start = f.end - dt.timedelta(days=days - 1)
    return f


def filtered(organisation: Organisation, f: Filters) -> QuerySet[CommentAnalysis]:
    if f.errors:
        return CommentAnalysis.objects.none()
    qs = CommentAnalysis.objects.filter(organisation=organisation)
    if f.survey is not None:
        qs = qs.filter(survey=f.survey)
    if f.touchpoint is not None:
        qs = qs.filter(touchpoint=f.touchpoint)
    if f.stage is not None:
        qs = qs.filter(stage=f.stage)
    if f.language:
        qs = qs.filter(language=f.language)
    if f.start is not None:
        qs = qs.filter(day__gte=f.start)
    if f.end is not None:
        qs = qs.filter(day__lte=f.end)
    if f.theme:
        mentions = ThemeMention.objects.filter(organisation=organisation, theme_key=f.theme)
        if f.sentiment:
            mentions = mentions.filter(sentiment=f.sentiment)
        qs = qs.filter(answer_id__in=mentions.values("answer_id"))
    elif f.sentiment:
        qs = qs.filter(sentiment=f.sentiment)
    if f.q:
        qs = qs.filter(answer__text__icontains=f.q)
    return qs


# --- pages ----------------------------------------------------------------------------------


def encode_cursor(row: CommentAnalysis) -> str:
    assert row.submitted_at is not None
    return f"{row.submitted_at.isoformat()}~{row.pk}"


def decode_cursor(value: str) -> tuple[dt.datetime, int] | None:
    moment, _sep, pk = value.partition("~")
    try:
        when = dt.datetime.fromisoformat(moment)
        number = int(pk)
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return when, number


SENTIMENT_NAMES = dict(Sentiment.choices)


@dataclass(frozen=True)
class MentionView:
    key: str
    name: str
    sentiment: str
    source: str

    @property
    def sentiment_name(self) -> str:
        return str(SENTIMENT_NAMES.get(self.sentiment, self.sentiment))


@dataclass(frozen=True)
class Row:
    analysis: CommentAnalysis
    text: str
    pieces: list[Piece]
    mentions: list[MentionView]


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    next_cursor: str  # "" on the last page


def page(
    organisation: Organisation,
    f: Filters,
    names: Mapping[str, str],
    after: str = "",
    size: int = PAGE_SIZE,
) -> Page:
    qs = filtered(organisation, f)
    cursor = decode_cursor(after) if after else None
    if cursor is not None:
        when, pk = cursor
        # One index range (not an OR of two, which SQLite would collect and sort whole).
        qs = qs.filter(submitted_at__lte=when).exclude(submitted_at=when, pk__gte=pk)
    found = list(
        qs.select_related("answer", "touchpoint", "survey", "stage").order_by(
            "-submitted_at", "-pk"
        )[: size + 1]
    )
    more = len(found) > size
    found = found[:size]
    return Page(rows_for(found, names), encode_cursor(found[-1]) if more and found else "")


def rows_for(analyses: list[CommentAnalysis], names: Mapping[str, str]) -> list[Row]:
    """Display rows for these analyses: their themes (one query) and highlighted text."""
    by_answer: dict[int, list[ThemeMention]] = defaultdict(list)
    for mention in ThemeMention.objects.filter(
        answer_id__in=[a.answer_id for a in analyses]
    ).order_by("theme_key"):
        by_answer[mention.answer_id].append(mention)
    rows = []
    positive, negative = _("positive word"), _("negative word")
    for a in analyses:
        mentions = by_answer.get(a.answer_id, [])
        views = [
            MentionView(m.theme_key, names.get(m.theme_key, m.theme_key), m.sentiment, m.source)
            for m in mentions
        ]
        marks = marks_for(
            a.clauses,
            [(names.get(m.theme_key, m.theme_key), m.evidence.get("words", [])) for m in mentions],
            positive,
            negative,
        )
        rows.append(Row(a, a.answer.text, pieces(a.answer.text, marks), views))
    return rows


def count(organisation: Organisation, f: Filters, cap: int = COUNT_CAP) -> int:
    """How many comments match, counted up to ``cap`` (the page says "cap+" beyond)."""
    return filtered(organisation, f)[: cap + 1].count()
