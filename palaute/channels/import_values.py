"""Converting one column of imported cells, a chunk at a time.

Every converter takes the raw cells of one column (strings from a CSV, typed values from an
XLSX) and returns the converted values (None where the cell is empty) and the problems as
(index, message). A message is a predicate that follows the value: "row 12, column NPS:
11 *is not between 0 and 10*".

Speed: a column of scores, options, yes/no words, touchpoints or languages has few distinct
cells, so its converter decides each distinct cell once — through the live submission path's
own checks (``surveys.submission.clean_answers``), so an import accepts exactly what a
respondent could have answered — and then converts a million rows by dictionary lookups.
Dates have a fast path for ISO ("2024-03-05 14:30[:00]") and Finnish ("5.3.2024 14.30")
cells that caches the UTC offset per local hour.

Deliberate differences from the respondent path, for files made by people and spreadsheets:
surrounding spaces are ignored (a cell of spaces is empty); a whole number may carry a zero
decimal part ("9,0", "9.0", an Excel number 9.0), but "9,5" is an error; choices may be given
by option key or by option text in any of the survey's languages; yes/no also accepts Finnish
(kyllä/ei, k/e).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import repeat
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from palaute.journeys.models import Channel
from palaute.surveys.definition import MAX_ANSWER_TEXT, SurveyDefinition
from palaute.surveys.submission import FALSE_WORDS, PHONE_RE, TRUE_WORDS, clean_answers

CACHE_LIMIT = 20_000
HOUR_CACHE_LIMIT = 500_000  # local hours of 57 years; minutes-seconds are at most 3,660
MISSING = object()
YES_WORDS = TRUE_WORDS | {"kyllä", "kylla", "k", "x", "y"}
NO_WORDS = FALSE_WORDS | {"ei", "e", "n"}
LANGUAGE_NAMES = {
    "suomi": "fi", "finnish": "fi", "finska": "fi",
    "englanti": "en", "english": "en", "engelska": "en",
    "ruotsi": "sv", "swedish": "sv", "svenska": "sv",
}  # fmt: skip
_WHOLE = re.compile(r"^-?\d{1,3}(?:[.,]0+)?$")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_FINNISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})\.?$")
_TIME = re.compile(r"^(?:klo\s*)?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$")
DATE_HELP = "2024-03-31 14:30, 31.3.2024 14.30"

Problems = list[tuple[int, str]]


class Invalid:
    """A cached verdict: this cell is not a valid value, for this reason."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class Cached:
    """A converter for columns with few distinct cells: ``parse`` decides each one once.

    ``parse(cell)`` gets a non-empty cell and returns the value or raises ValueError(message).
    """

    def __init__(self, parse: Callable[[Any], Any]):
        self.parse = parse
        self.cache: dict[Any, Any] = {None: None, "": None}
        self.invalid = 0

    def __call__(self, cells: Sequence[Any]) -> tuple[list[Any], Problems]:
        get = self.cache.get
        out = list(map(get, cells, repeat(MISSING, len(cells))))  # no Python frame per cell
        if MISSING in out:
            for index, value in enumerate(out):
                if value is MISSING:
                    cell = cells[index]
                    value = get(cell, MISSING)  # decided earlier in this chunk
                    out[index] = self._decide(cell) if value is MISSING else value
        problems: Problems = []
        if self.invalid:
            problems = [(i, v.message) for i, v in enumerate(out) if v.__class__ is Invalid]
            for index, _message in problems:
                out[index] = None
        return out, problems

    def _decide(self, cell: Any) -> Any:
        if isinstance(cell, str) and not cell.strip():
            verdict: Any = None
        else:
            try:
                verdict = self.parse(cell)
            except ValueError as exc:
                verdict = Invalid(str(exc))
                self.invalid += 1
        if len(self.cache) < CACHE_LIMIT:
            self.cache[cell] = verdict
        return verdict


class Uncached:
    """A converter for columns where most cells differ (text, email): ``parse`` per cell."""

    def __init__(self, parse: Callable[[Any], Any]):
        self.parse = parse

    def __call__(self, cells: Sequence[Any]) -> tuple[list[Any], Problems]:
        out: list[Any] = []
        problems: Problems = []
        parse = self.parse
        for index, cell in enumerate(cells):
            if cell is None or cell == "":
                out.append(None)
                continue
            try:
                out.append(parse(cell))
            except ValueError as exc:
                out.append(None)
                problems.append((index, str(exc)))
        return out, problems


class TextColumn(Uncached):
    """Free text: trimmed, at most MAX_ANSWER_TEXT characters. A column of plain strings
    (every CSV) is converted in one pass."""

    def __init__(self):
        super().__init__(_text_answer)

    def __call__(self, cells: Sequence[Any]) -> tuple[list[Any], Problems]:
        try:
            out = [cell.strip() or None for cell in cells]
        except AttributeError:  # empty or numeric XLSX cells
            return super().__call__(cells)
        if max(map(len, filter(None, out)), default=0) > MAX_ANSWER_TEXT:
            return super().__call__(cells)
        return out, []


# ------------------------------------------------------------------------------ answers


def answer_converter(definition: SurveyDefinition, key: str, half: str = ""):
    """The converter for one question's column (``half`` for a pair's expected/experience).

    Values are what ``clean_answers`` returns for the question: an int for scored questions,
    an option key, a list of option keys, True/False, a trimmed text."""
    question = definition.question(key)
    kind = question.type
    if kind == "text":
        return TextColumn()
    if kind == "expectation_experience":
        low, high = question.bounds
        probe = {"expected": low, "experience": low}

        def pair_half(cell: Any) -> int:
            number = _whole_number(cell, question.bounds)
            _live_check(definition, key, {**probe, half: number}, question.bounds)
            return number

        return Cached(pair_half)
    if question.bounds is not None:

        def score(cell: Any) -> int:
            number = _whole_number(cell, question.bounds)
            _live_check(definition, key, number, question.bounds)
            return number

        return Cached(score)
    if kind == "single_choice":
        lookup = _option_lookup(question)

        def single(cell: Any) -> str:
            option = lookup.get(_text(cell).casefold())
            if option is None:
                raise ValueError(_not_an_option(question))
            _live_check(definition, key, option)
            return option

        return Cached(single)
    if kind == "multiple_choice":
        lookup = _option_lookup(question)

        def multiple(cell: Any) -> list[str] | None:
            text = _text(cell)
            # ";" is the documented separator; "|" and "," are common in other tools' exports.
            for separator in (";", "|", ","):
                parts = [part.strip() for part in text.split(separator) if part.strip()]
                chosen = [lookup.get(part.casefold()) for part in parts]
                if parts and all(chosen):
                    return _live_check(definition, key, chosen)
            raise ValueError(_not_an_option(question))

        return Cached(multiple)

    # consent and contact_me: yes/no
    def yes_no(cell: Any) -> bool:
        answer = _yes_no(cell)
        _live_check(definition, key, answer)
        return answer

    return Cached(yes_no)


def _live_check(definition: SurveyDefinition, key: str, value: Any, bounds=None) -> Any:
    """Let the respondent path decide; say what is wrong in the import's words if it refuses."""
    cleaned, errors = clean_answers(definition, {key: value})
    if errors:
        if bounds is not None:
            raise ValueError(_between(bounds))
        raise ValueError(errors[key])
    return cleaned.get(key)


def _whole_number(cell: Any, bounds: tuple[int, int]) -> int:
    if isinstance(cell, bool):
        raise ValueError(_("is not a number"))
    if isinstance(cell, int):
        number = cell
    elif isinstance(cell, float):
        if not cell.is_integer():
            raise ValueError(_("is not a whole number"))
        number = int(cell)
    else:
        text = _text(cell)
        if not _WHOLE.match(text):
            if _NUMBER.match(text):
                if abs(float(text.replace(",", "."))) < 1000:
                    raise ValueError(_("is not a whole number"))
                raise ValueError(_between(bounds))
            raise ValueError(_("is not a number"))
        number = int(re.split(r"[.,]", text)[0])
    low, high = bounds
    if not low <= number <= high:
        raise ValueError(_between(bounds))
    return number


def _between(bounds: tuple[int, int]) -> str:
    return _("is not between %(low)d and %(high)d") % {"low": bounds[0], "high": bounds[1]}


def _option_lookup(question: Any) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for option in question.options:
        for text in option.text.values():
            lookup.setdefault(text.strip().casefold(), option.key)
    for option in question.options:  # keys win over texts
        lookup[option.key.casefold()] = option.key
    return lookup


def _not_an_option(question: Any) -> str:
    keys = ", ".join(option.key for option in question.options)
    return _("is not an option of question %(key)s (%(options)s)") % {
        "key": question.key,
        "options": keys,
    }


def _yes_no(cell: Any) -> bool:
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float) and cell in (0, 1):
        return bool(cell)
    word = _text(cell).casefold()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise ValueError(_("is not yes or no"))


def _text_answer(cell: Any) -> str | None:
    text = _text(cell)
    if len(text) > MAX_ANSWER_TEXT:
        raise ValueError(_("is longer than %(max)s characters") % {"max": f"{MAX_ANSWER_TEXT:,}"})
    return text or None


# ------------------------------------------------------------------------ response fields


def language_converter(definition: SurveyDefinition) -> Cached:
    def language(cell: Any) -> str:
        word = _text(cell).casefold()
        code = LANGUAGE_NAMES.get(word, re.split(r"[-_]", word)[0])
        if code not in definition.languages:
            raise ValueError(
                _("is not a language of this survey (%(languages)s)")
                % {"languages": ", ".join(definition.languages)}
            )
        return code

    return Cached(language)


def touchpoint_converter(touchpoints: Sequence[Any]) -> Cached:
    """Cells name a touchpoint of the organisation by key or by name; the value is the
    (touchpoint, stage, location) ids a response copies."""
    by_key = {tp.key: tp for tp in touchpoints}
    folded: dict[str, Any] = {}
    for tp in touchpoints:
        folded.setdefault(tp.name.strip().casefold(), tp)
    for tp in touchpoints:
        folded[tp.key.casefold()] = tp

    def touchpoint(cell: Any) -> tuple[int, int, int | None]:
        text = _text(cell)
        found = by_key.get(text) or folded.get(text.casefold())
        if found is None:
            raise ValueError(_("is not a touchpoint of this organisation"))
        return (found.pk, found.stage_id, found.location_id)

    return Cached(touchpoint)


def channel_converter() -> Cached:
    names = {value: value for value in Channel.values}
    for value, label in Channel.choices:
        names.setdefault(str(label).casefold(), value)

    def channel(cell: Any) -> str:
        found = names.get(_text(cell).casefold())
        if found is None:
            raise ValueError(
                _("is not a channel (%(channels)s)") % {"channels": ", ".join(Channel.values)}
            )
        return found

    return Cached(channel)


def external_id_converter() -> Uncached:
    def external_id(cell: Any) -> str | None:
        text = _text(cell)
        if len(text) > 200:
            raise ValueError(_("is longer than 200 characters"))
        return text or None

    return Uncached(external_id)


def contact_converter(field: str) -> Uncached:
    def name(cell: Any) -> str | None:
        return _text(cell)[:120] or None

    def email(cell: Any) -> str | None:
        text = _text(cell)
        if not text:
            return None
        try:
            validate_email(text)
        except ValidationError:
            raise ValueError(_("is not an email address")) from None
        return text

    def phone(cell: Any) -> str | None:
        text = _text(cell)
        if not text:
            return None
        if not PHONE_RE.match(text):
            raise ValueError(_("is not a phone number"))
        return text

    return Uncached({"contact_name": name, "contact_email": email, "contact_phone": phone}[field])


# ----------------------------------------------------------------------------- datetimes


class DateTimes:
    """Cells → (UTC text "YYYY-MM-DD HH:MM:SS" as Django stores it, local date in the
    organisation's time zone). Naive times are in that zone; times with an offset are
    converted; whole seconds are kept. Times after ``now`` are problems."""

    def __init__(self, tz: tzinfo, now: datetime):
        self.tz = tz
        self.latest = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        self.hours: dict[str, Any] = {}  # local "YYYY-MM-DD HH" -> (UTC prefix, local date)
        self.tails: dict[str, str | None] = {}  # ":MM" / ":MM:SS" -> ":MM:SS"
        self.finnish_dates: dict[str, str | None] = {}  # "5.3.2024" -> "2024-03-05"

    def __call__(self, cells: Sequence[Any]) -> tuple[list[Any], list[Any], Problems]:
        hours, tails = self.hours, self.tails
        count = len(cells)
        try:
            # Fast path, a few passes in C: for cells "YYYY-MM-DD HH:MM[:SS]", learn each new
            # local hour (→ UTC hour, local date) and minutes-seconds once, then look them up.
            for prefix in {cell[:13] for cell in cells}.difference(hours):
                self._hour(prefix)
            for tail in {cell[13:] for cell in cells}.difference(tails):
                self._tail(tail)
            heads = [hours.get(cell[:13]) for cell in cells]
            ends = [tails.get(cell[13:]) for cell in cells]
        except TypeError:  # cells that are not text: XLSX datetimes, empty cells
            heads = ends = [None] * count
        if None in heads or None in ends:
            slow = [i for i in range(count) if heads[i] is None or ends[i] is None]
        else:
            slow = []
        utc = [h[0] + e if h and e else None for h, e in zip(heads, ends, strict=True)]
        days = [h[1] if h else None for h in heads]
        problems: Problems = []
        for index in slow:
            utc[index] = days[index] = None
            try:
                found = self._one(cells[index])
            except ValueError as exc:
                problems.append((index, str(exc)))
                continue
            if found is not None:
                utc[index], days[index] = found
        if count and max(value or "" for value in utc) > self.latest:
            for index, value in enumerate(utc):
                if value is not None and value > self.latest:
                    problems.append((index, _("is in the future")))
                    utc[index] = days[index] = None
        return utc, days, problems

    def _one(self, cell: Any) -> tuple[str, date] | None:
        """One cell the slow way (learning its hour and tail for the fast path)."""
        if cell is None:
            return None
        if cell.__class__ is str:
            text = cell.strip()
            if not text:
                return None
            if "." in text[:6]:
                text = self._finnish_to_iso(text)
            if len(text) in (16, 19) and text[10] in " T":
                hour = self.hours.get(text[:13], MISSING)
                hour = self._hour(text[:13]) if hour is MISSING else hour
                tail = self.tails.get(text[13:], MISSING)
                tail = self._tail(text[13:]) if tail is MISSING else tail
                if hour and tail:
                    return hour[0] + tail, hour[1]
        return self._general(cell)

    def _hour(self, prefix: str):
        """(UTC "YYYY-MM-DD HH", local date) for a local hour, or False (not a date, or an
        offset that is not whole hours: those take the general path)."""
        verdict: Any = False
        try:
            if prefix[4] + prefix[7] + prefix[10] not in ("-- ", "--T"):
                raise ValueError
            local = datetime(
                int(prefix[0:4]), int(prefix[5:7]), int(prefix[8:10]), int(prefix[11:13])
            )
        except (ValueError, IndexError):
            pass
        else:
            offset = local.replace(tzinfo=self.tz).utcoffset() or timedelta(0)
            if local.year >= 1900 and not offset.total_seconds() % 3600:
                u = local - offset
                verdict = (f"{u.year:04d}-{u.month:02d}-{u.day:02d} {u.hour:02d}", local.date())
        if len(self.hours) < HOUR_CACHE_LIMIT:
            self.hours[prefix] = verdict
        return verdict

    def _tail(self, tail: str) -> str | None:
        """ ":MM:SS" for a valid ":MM" or ":MM:SS", else None."""
        parts = tail.split(":")
        if (
            parts[0] == ""
            and len(parts) in (2, 3)
            and all(len(p) == 2 and p.isdigit() and int(p) < 60 for p in parts[1:])
        ):
            verdict = tail if len(parts) == 3 else tail + ":00"
        else:
            verdict = None
        if len(self.tails) < HOUR_CACHE_LIMIT:
            self.tails[tail] = verdict
        return verdict

    def _finnish_to_iso(self, text: str) -> str:
        """Finnish "5.3.2024 14.30" → "2024-03-05 14:30:00"; anything else is returned as is."""
        day_part, _space, time_part = text.partition(" ")
        iso = self.finnish_dates.get(day_part, MISSING)
        if iso is MISSING:
            match = _FINNISH_DATE.match(day_part)
            iso = None
            if match:
                d, m, y = (int(g) for g in match.groups())
                iso = f"{y:04d}-{m:02d}-{d:02d}"
            self.finnish_dates[day_part] = iso
        if iso is None:
            return text
        time_part = time_part.strip()
        if not time_part:
            return f"{iso} 00:00:00"
        match = _TIME.match(time_part)
        if not match:
            return text
        h, mi, s = match.groups()
        return f"{iso} {int(h):02d}:{mi}:{s or '00'}"

    def _general(self, cell: Any) -> tuple[str, date]:
        moment = _parse_moment(cell)
        if moment.year < 1900:
            raise ValueError(_("is before 1900"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        local_day = moment.astimezone(self.tz).date()
        value = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        if value > self.latest:
            raise ValueError(_("is in the future"))
        return value, local_day


def _parse_moment(cell: Any) -> datetime:
    if isinstance(cell, datetime):
        return cell
    if isinstance(cell, date):
        return datetime(cell.year, cell.month, cell.day)
    if isinstance(cell, bool | int | float):
        raise ValueError(_("is a number, not a date; format the column as dates or text"))
    text = _text(cell)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    day_part, _space, time_part = text.partition(" ")
    match = _FINNISH_DATE.match(day_part)
    if match:
        d, m, y = (int(g) for g in match.groups())
        hour = minute = second = 0
        if time_part.strip():
            clock = _TIME.match(time_part.strip())
            if not clock:
                raise ValueError(_not_a_date())
            hour, minute = int(clock.group(1)), int(clock.group(2))
            second = int(clock.group(3) or 0)
        try:
            return datetime(y, m, d, hour, minute, second)
        except ValueError:
            raise ValueError(_("is not a valid date")) from None
    raise ValueError(_not_a_date())


def _not_a_date() -> str:
    return _("is not a date and time (use for example %(examples)s)") % {"examples": DATE_HELP}
