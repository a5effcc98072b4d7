"""Importing reviews from any other site (Tripadvisor, Booking, an app store…) as CSV or JSON.

Every row is checked first; when any row has a problem nothing is stored and each problem
names its row and column. Then every row goes through ``store.record_review`` in one
transaction, so a re-import of the same file changes nothing (rows are matched by site and
external id), and a row whose rating or text changed becomes an edit in the review's history.

Columns (CSV header row, or JSON object keys; any order; Finnish aliases accepted):
``site`` (or ``source``), ``external_id`` (or ``id``), ``rating`` (1–5, or on the scale of an
optional ``scale`` column, e.g. 10 for Booking; ``positive``/``negative`` for recommendations;
empty when the site has no rating), ``text``, ``author``, ``time`` (ISO 8601 or d.m.yyyy
[hh:mm]; without a zone, the organisation's), ``location`` (mapped to a touchpoint on the
source's page) and optional ``url``. JSON is a list of objects or ``{"reviews": [...]}``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palaute.accounts.models import Organisation
from palaute.reviews import analysis
from palaute.reviews.incoming import RECOMMENDATION_STARS, IncomingReview
from palaute.reviews.models import ReviewSource, SourceKind
from palaute.reviews.store import Placement, record_review

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_TEXT = 20_000
COLUMNS = ("site", "external_id", "rating", "text", "author", "time", "location", "url", "scale")
REQUIRED = ("site", "external_id", "time")
ALIASES = {
    "source": "site",
    "sivusto": "site",
    "lähde": "site",
    "id": "external_id",
    "external id": "external_id",
    "review_id": "external_id",
    "tunniste": "external_id",
    "stars": "rating",
    "arvosana": "rating",
    "tähdet": "rating",
    "review": "text",
    "comment": "text",
    "teksti": "text",
    "arvio": "text",
    "name": "author",
    "kirjoittaja": "author",
    "date": "time",
    "created_at": "time",
    "aika": "time",
    "päivämäärä": "time",
    "sijainti": "location",
    "toimipiste": "location",
    "asteikko": "scale",
}
_FINNISH_DATE = re.compile(
    r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?:[ T]+(?P<H>\d{1,2})[:.](?P<M>\d{2}))?$"
)


@dataclass
class RowError:
    row: int  # CSV: 1 is the header line, as a spreadsheet numbers it; JSON: the item, from 1
    column: str
    message: str

    def __str__(self) -> str:
        if self.row and self.column:
            return _("Row %(row)s, column “%(column)s”: %(message)s") % vars(self)
        if self.row:
            return _("Row %(row)s: %(message)s") % vars(self)
        return self.message


@dataclass
class ImportResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    sources_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    number: int
    site: str
    review: IncomingReview


def import_reviews(organisation: Organisation, data: bytes, filename: str = "") -> ImportResult:
    """Validate and import ``data`` (CSV or JSON); nothing is written when there are errors."""
    result = ImportResult()
    records = _records(data, filename, result)
    rows = _rows(organisation, records, result) if records is not None else []
    if result.errors:
        return result
    now = timezone.now()
    touched: list[int] = []
    with transaction.atomic():
        sources = _sources(organisation, {row.site for row in rows}, result)
        placements = {name: Placement.of(source) for name, source in sources.items()}
        for row in rows:
            key = row.site.casefold()
            outcome = record_review(sources[key], row.review, placement=placements[key], now=now)
            if outcome.created:
                result.created += 1
            elif outcome.changed:
                result.changed += 1
            else:
                result.unchanged += 1
            if outcome.changed:
                touched.append(outcome.review.pk)
        analysis.schedule(touched)
    return result


# --- reading the file ---------------------------------------------------------------------


def _records(
    data: bytes, filename: str, result: ImportResult
) -> list[tuple[int, Mapping[str, object]]] | None:
    """(row number, {column: value}) for every record, or None with a file-level error."""
    if len(data) > MAX_BYTES:
        result.errors.append(RowError(0, "", _("The file is over 10 MB.")))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append(RowError(0, "", _("The file is not UTF-8 text.")))
        return None
    if not text.strip():
        result.errors.append(RowError(0, "", _("The file is empty.")))
        return None
    looks_json = filename.lower().endswith(".json") or text.lstrip()[:1] in ("[", "{")
    return _json_records(text, result) if looks_json else _csv_records(text, result)


def _json_records(text: str, result: ImportResult):
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        message = _("Not valid JSON (line %(line)s): %(error)s") % {
            "line": error.lineno,
            "error": error.msg,
        }
        result.errors.append(RowError(0, "", message))
        return None
    items = body.get("reviews") if isinstance(body, dict) else body
    if not isinstance(items, list):
        result.errors.append(
            RowError(0, "", _('JSON must be a list of reviews or {"reviews": [...]}.'))
        )
        return None
    records = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            result.errors.append(RowError(number, "", _("Each review must be an object.")))
            continue
        records.append((number, {_column(str(k)): v for k, v in item.items()}))
    return records


def _csv_records(text: str, result: ImportResult):
    first_line = text.splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [_column(name) for name in next(reader)]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        result.errors.append(
            RowError(1, ", ".join(missing), _("Required column missing from the header."))
        )
        return None
    records = []
    for number, values in enumerate(reader, start=2):
        if any(value.strip() for value in values):
            records.append((number, dict(zip(header, values, strict=False))))
    return records


def _column(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    return ALIASES.get(key, ALIASES.get(key.replace("_", " "), key))


# --- checking rows ------------------------------------------------------------------------


def _rows(
    organisation: Organisation,
    records: Iterable[tuple[int, Mapping[str, object]]],
    result: ImportResult,
) -> list[_Row]:
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    rows: list[_Row] = []
    seen: dict[tuple[str, str], int] = {}
    for number, record in records:
        if len(rows) >= MAX_ROWS:
            result.errors.append(RowError(number, "", _("At most 20,000 reviews per file.")))
            break
        row = _row(number, record, zone, result)
        key = (
            str(record.get("site") or "").strip().casefold(),
            str(record.get("external_id") or "").strip(),
        )
        if all(key) and key in seen:
            message = _("The same review (site and id) is already on row %(row)s.") % {
                "row": seen[key]
            }
            result.errors.append(RowError(number, "external_id", message))
            continue
        seen.setdefault(key, number)
        if row is not None:
            rows.append(row)
    return rows


def _row(number: int, record: Mapping[str, object], zone, result: ImportResult) -> _Row | None:
    errors_before = len(result.errors)

    def text(column: str, limit: int) -> str:
        value = record.get(column)
        value = "" if value is None else str(value).strip()
        if len(value) > limit:
            message = _("At most %(limit)s characters.") % {"limit": limit}
            result.errors.append(RowError(number, column, message))
        return value

    site = text("site", 120)
    external_id = text("external_id", 200)
    for column, value in (("site", site), ("external_id", external_id)):
        if not value:
            result.errors.append(RowError(number, column, _("Required.")))
    rating, original = _rating(number, record.get("rating"), record.get("scale"), result)
    moment = _time(number, record.get("time"), zone, result)
    body = text("text", MAX_TEXT)
    author = text("author", 200)
    location = text("location", 200)
    url = text("url", 500)
    if url and not url.startswith(("https://", "http://")):
        result.errors.append(RowError(number, "url", _("Must start with https:// or http://.")))
    if len(result.errors) > errors_before or moment is None:
        return None
    recommendation = original if original in RECOMMENDATION_STARS else ""
    return _Row(
        number,
        site,
        IncomingReview(
            external_id=external_id,
            reviewed_at=moment,
            rating=rating,
            original_rating=original,
            recommendation=recommendation,
            text=body,
            author_name=author,
            external_location=location,
            url=url,
        ),
    )


def _rating(
    number: int, raw: object, raw_scale: object, result: ImportResult
) -> tuple[int | None, str]:
    original = "" if raw is None else str(raw).strip()
    if not original:
        return None, ""
    if original.lower() in RECOMMENDATION_STARS:
        return RECOMMENDATION_STARS[original.lower()], original.lower()
    scale = Decimal(5)
    if raw_scale not in (None, ""):
        try:
            scale = Decimal(str(raw_scale).strip().replace(",", "."))
        except InvalidOperation:
            scale = Decimal(0)
        if scale not in (Decimal(5), Decimal(10), Decimal(100)):
            result.errors.append(RowError(number, "scale", _("Must be 5, 10 or 100.")))
            return None, original
    try:
        value = Decimal(original.replace(",", "."))
    except InvalidOperation:
        value = Decimal(-1)
    low = Decimal(1) if scale == 5 else Decimal(0)
    if not value.is_finite() or not low <= value <= scale:
        message = _("A number from %(low)s to %(high)s, or positive/negative.") % {
            "low": low,
            "high": scale,
        }
        result.errors.append(RowError(number, "rating", message))
        return None, original
    # Onto 1–5 stars, rounding half up (4.5 → 5): the original stays in original_rating.
    stars = int((1 + value / scale * 4 if scale != 5 else value).to_integral_value("ROUND_HALF_UP"))
    return max(1, min(5, stars)), original


def _time(number: int, raw: object, zone, result: ImportResult) -> datetime | None:
    value = "" if raw is None else str(raw).strip()
    if not value:
        result.errors.append(RowError(number, "time", _("Required.")))
        return None
    parsed = _parse_time(value)
    if parsed is None:
        result.errors.append(
            RowError(
                number, "time", _("Not a date: use 2024-05-31, 2024-05-31T14:05 or 31.5.2024.")
            )
        )
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    if parsed > timezone.now() + timedelta(days=1):
        result.errors.append(RowError(number, "time", _("The time is in the future.")))
        return None
    return parsed


def _parse_time(value: str) -> datetime | None:
    match = _FINNISH_DATE.match(value)
    if match:
        try:
            return datetime(
                int(match["y"]),
                int(match["m"]),
                int(match["d"]),
                int(match["H"] or 0),
                int(match["M"] or 0),
            )
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# --- sources ------------------------------------------------------------------------------


def _sources(
    organisation: Organisation, names: set[str], result: ImportResult
) -> dict[str, ReviewSource]:
    """The import source of each site name (matched without case), created when new."""
    existing = {
        source.name.casefold(): source
        for source in ReviewSource.objects.filter(
            organisation=organisation, kind=SourceKind.IMPORT
        ).select_related("organisation", "touchpoint")
    }
    for name in sorted(names):
        key = name.casefold()
        if key not in existing:
            existing[key] = ReviewSource.objects.create(
                organisation=organisation, kind=SourceKind.IMPORT, name=name, is_active=False
            )
            result.sources_created += 1
    return existing
