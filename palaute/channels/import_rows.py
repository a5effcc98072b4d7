"""Checking imported rows a chunk at a time: convert each mapped column, apply the rules that
span columns, and hand back the good rows as columns ready to store.

The rules are the live submission path's (``surveys.submission.check_answers``): required
questions, branching (answers to questions that a row's own answers hide are dropped, as the
hosted page drops them, and counted), at least one answer per row, and a "contact me" needs an
email or a phone. Import adds: a date and time on every row, and no external ID twice.

Every row gets an idempotency key that is the same when the same row is imported again:
``x:<external id>`` when a column holds an external ID, otherwise ``i:<UTC time>:<digest of
the row's mapped values>`` (plus ``:2``, ``:3`` … for identical rows in one file). The time
leads the key so that a file in time order inserts into the unique index in order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from operator import itemgetter
from typing import Any

from django.utils.translation import gettext as _

from palaute.channels import import_values as values
from palaute.channels.import_files import Rows, display
from palaute.channels.import_mapping import IGNORE, QUESTION_PREFIX
from palaute.surveys.definition import SurveyDefinition, visible_keys

MAX_KEY = 64
SCORED = ("nps", "csat", "ces", "smiley", "rating")
NO_COLUMN = "—"


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        shown = f"{self.value} " if self.value else ""
        return f"row {self.row}, column {self.column}: {shown}{self.message}"


@dataclass
class Stream:
    """One question's answers for the good rows of a chunk, shaped for storage:
    ``score`` (an int per row), ``text`` (a string per row), or ``rows`` (a list of
    (score, expected, text) answer rows per row: choices, pairs, yes/no). None: unanswered."""

    key: str
    kind: str
    shape: str
    values: list[Any]


@dataclass
class Checked:
    """A checked chunk. The lists hold the good rows only, in file order."""

    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    bad_rows: int = 0
    hidden_answers: int = 0
    numbers: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    submitted_at: list[str] = field(default_factory=list)
    days: list[Any] = field(default_factory=list)
    # Response columns that vary per row; the others are constants (see Checker.constants).
    columns: dict[str, list[Any]] = field(default_factory=dict)
    streams: list[Stream] = field(default_factory=list)

    def take(self, positions: Sequence[int]) -> Checked:
        """The good rows at ``positions`` (in that order). What the chunk found (rows read,
        problems, bad rows, hidden answers) stays with it."""
        pick = itemgetter(*positions) if positions else None

        def picked(items: list[Any]) -> list[Any]:
            if pick is None:
                return []
            return [pick(items)] if len(positions) == 1 else list(pick(items))

        return Checked(
            rows=self.rows,
            problems=self.problems,
            bad_rows=self.bad_rows,
            hidden_answers=self.hidden_answers,
            numbers=picked(self.numbers),
            keys=picked(self.keys),
            submitted_at=picked(self.submitted_at),
            days=picked(self.days),
            columns={name: picked(values) for name, values in self.columns.items()},
            streams=[
                Stream(stream.key, stream.kind, stream.shape, picked(stream.values))
                for stream in self.streams
            ],
        )


@dataclass
class _Column:
    index: int
    header: str
    target: str
    convert: Any


class Checker:
    """Compiled once per import: the converters for the mapped columns and the rules."""

    def __init__(
        self,
        *,
        survey,
        definition: SurveyDefinition,
        mapping: list[str],
        headers: list[str],
        touchpoints: Sequence[Any],
        tz: tzinfo,
        now: datetime,
    ):
        self.definition = definition
        self.width = len(headers)
        self.columns: list[_Column] = []
        self.dates = values.DateTimes(tz, now)
        for index, target in enumerate(mapping):
            if target == IGNORE:
                continue
            self.columns.append(
                _Column(index, headers[index], target, self._converter(target, touchpoints))
            )
        self.by_target = {column.target: column for column in self.columns}
        self.pick = itemgetter(*[c.index for c in self.columns]) if self.columns else None
        tp = survey.touchpoint
        # Response columns the same for every row unless a column says otherwise.
        self.constants: dict[str, Any] = {
            "touchpoint": (tp.pk, tp.stage_id, tp.location_id) if tp else (None, None, None),
            "language": definition.default_language,
            "channel": "import",
            "contact_name": "",
            "contact_email": "",
            "contact_phone": "",
        }
        self.questions = [q for q in definition.questions if self._mapped(q.key)]
        self.required_always = [q for q in self.questions if q.required and q.show_if is None]
        conditional = [q for q in definition.questions if q.show_if is not None]
        self.branching = any(self._mapped(q.key) or q.required for q in conditional)
        self.referenced = sorted({q.show_if.question for q in conditional if q.show_if})
        self.seen: dict[int, int] = {}  # hash of a key given to an earlier row -> its row
        # The cells that make a row's content key: every mapped column but the time (which
        # leads the key as UTC) and the external ID, in the order of their targets.
        self.content_positions = [
            position
            for position, column in sorted(enumerate(self.columns), key=lambda p: p[1].target)
            if column.target not in ("submitted_at", "external_id")
        ]

    # ---------------------------------------------------------------------------- compile

    def _mapped(self, key: str) -> bool:
        return f"{QUESTION_PREFIX}{key}" in self.by_target or (
            f"{QUESTION_PREFIX}{key}.expected" in self.by_target
        )

    def _converter(self, target: str, touchpoints):
        if target == "submitted_at":
            return self.dates
        if target == "language":
            return values.language_converter(self.definition)
        if target == "touchpoint":
            return values.touchpoint_converter(touchpoints)
        if target == "channel":
            return values.channel_converter()
        if target == "external_id":
            return values.external_id_converter()
        if target.startswith("contact_"):
            return values.contact_converter(target)
        key, _dot, half = target.removeprefix(QUESTION_PREFIX).partition(".")
        return values.answer_converter(self.definition, key, half)

    # ------------------------------------------------------------------------------ check

    def check(self, rows: Rows) -> Checked:
        numbers = rows.numbers
        count = len(numbers)
        result = Checked(rows=count)
        bad: set[int] = set()
        failed: set[tuple[int, str]] = set()  # (row index, target) whose cell did not convert
        found_problems: list[tuple[int, int, Problem]] = []  # (row, column index, problem)

        def problem(i: int, column: _Column | None, cell: Any, message: str) -> None:
            header = column.header if column else NO_COLUMN
            position = column.index if column else -1
            found_problems.append(
                (i, position, Problem(numbers[i], header, display(cell), message))
            )
            bad.add(i)

        cells = self._columns(rows, problem)
        converted: dict[str, list[Any]] = {}
        days: list[Any] = []
        for column, raw in zip(self.columns, cells, strict=True):
            if column.target == "submitted_at":
                out, days, found = self.dates(raw)
            else:
                out, found = column.convert(raw)
            for i, message in found:
                problem(i, column, raw[i], message)
                failed.add((i, column.target))
            converted[column.target] = out

        self._required(converted, cells, problem)
        if self.branching:
            result.hidden_answers = self._branch(converted, failed, problem)
        self._contact_me(converted, cells, problem)
        if not self.required_always:
            self._some_answer(converted, count, bad, problem)
        keys = self._keys(converted, cells, numbers, bad, problem)

        good = [i for i in range(count) if i not in bad] if bad else None
        result.bad_rows = len(bad)
        found_problems.sort(key=lambda found: found[:2])  # in the order the file reads
        result.problems = [found[2] for found in found_problems]

        def keep(items: list[Any]) -> list[Any]:
            return items if good is None else [items[i] for i in good]

        result.numbers = keep(numbers)
        result.keys = keep(keys)
        result.submitted_at = keep(converted["submitted_at"])
        result.days = keep(days)
        for target in ("touchpoint", "language", "channel", *_CONTACT):
            if target in converted:
                default = self.constants[target]
                result.columns[target] = [
                    default if v is None else v for v in keep(converted[target])
                ]
        result.streams = self._streams(converted, keep)
        return result

    def _columns(self, rows: Rows, problem) -> list[Sequence[Any]]:
        """The mapped columns of the chunk, each as a sequence of cells."""
        cells = rows.cells
        width = self.width
        lengths = list(map(len, cells))
        if lengths and max(lengths) > width:
            for i, row in enumerate(cells):
                if len(row) > width and any(v not in (None, "") for v in row[width:]):
                    problem(
                        i,
                        None,
                        "",
                        _("has %(cells)d cells but the header has %(columns)d")
                        % {"cells": len(row), "columns": width},
                    )
        if self.pick is None:
            return []
        need = max(c.index for c in self.columns) + 1
        if lengths and min(lengths) < need:
            cells = [
                row if len(row) >= need else (*row, *([None] * (need - len(row)))) for row in cells
            ]
        if not cells:
            return [() for _c in self.columns]
        if len(self.columns) == 1:
            return [[self.pick(row) for row in cells]]
        if 2 * len(self.columns) >= width and min(lengths) == max(lengths) == width:
            everything = list(zip(*cells, strict=True))  # most columns are mapped: transpose
            return [everything[c.index] for c in self.columns]
        return list(zip(*map(self.pick, cells), strict=True))

    def _required(self, converted, cells, problem) -> None:
        at = self.by_target["submitted_at"]
        for i, value in enumerate(converted["submitted_at"]):
            if value is None and _empty(cells[self.columns.index(at)][i]):
                problem(i, at, "", _("is empty; every row needs the date and time"))
        for question in self.required_always:
            for target in _targets(question):
                column = self.by_target[target]
                raw = cells[self.columns.index(column)]
                for i, value in enumerate(converted[target]):
                    if value is None and _empty(raw[i]):
                        problem(i, column, "", _("is empty; the question is required"))
        for question in self.questions:  # a pair needs both halves, or neither
            if question.type != "expectation_experience":
                continue
            expected, experience = _targets(question)
            a, b = converted[expected], converted[experience]
            for i in range(len(a)):
                if (a[i] is None) != (b[i] is None):
                    missing = expected if a[i] is None else experience
                    column = self.by_target[missing]
                    raw = cells[self.columns.index(column)][i]
                    if _empty(raw):
                        problem(i, column, "", _("is empty; give both halves of the pair"))

    def _branch(self, converted, failed, problem) -> int:
        """Drop answers that the row's own answers hide; a visible required question must be
        answered. Returns how many answers were dropped."""
        definition = self.definition
        refs = [self._answer_column(key, converted) for key in self.referenced]
        cache: dict[tuple, set[str]] = {}
        hidden = 0
        count = len(converted["submitted_at"])
        conditional = [q for q in definition.questions if q.show_if is not None]
        for i in range(count):
            state = tuple(column[i] if column is not None else None for column in refs)
            visible = cache.get(state)
            if visible is None:
                answers = {
                    key: self._cleaned_answer(key, value)
                    for key, value in zip(self.referenced, state, strict=True)
                    if value is not None
                }
                visible = set(visible_keys(definition, answers))
                cache[state] = visible
            for question in conditional:
                targets = _targets(question)
                mapped = [t for t in targets if t in converted]
                if question.key in visible:
                    if question.required and all(converted[t][i] is None for t in mapped):
                        if any((i, t) in failed for t in mapped):
                            continue  # already reported: the cell did not convert
                        column = self.by_target.get(targets[0])
                        if column is None:
                            message = _(
                                "question %(key)s is required on this row; map a column to it"
                            ) % {"key": question.key}
                        else:
                            message = _("is empty; the question is required")
                        problem(i, column, "", message)
                    continue
                if any(converted[t][i] is not None for t in mapped):
                    hidden += 1
                    for t in mapped:
                        converted[t][i] = None
        return hidden

    def _answer_column(self, key: str, converted) -> list[Any] | None:
        question = self.definition.question(key)
        if question.type == "expectation_experience":
            expected = converted.get(f"{QUESTION_PREFIX}{key}.expected")
            experience = converted.get(f"{QUESTION_PREFIX}{key}.experience")
            if expected is None or experience is None:
                return None
            return [
                (e, x) if e is not None and x is not None else None
                for e, x in zip(expected, experience, strict=True)
            ]
        column = converted.get(f"{QUESTION_PREFIX}{key}")
        if column is None:
            return None
        return [tuple(v) if isinstance(v, list) else v for v in column]  # hashable for the cache

    def _cleaned_answer(self, key: str, value: Any) -> Any:
        question = self.definition.question(key)
        if question.type == "expectation_experience":
            return {"expected": value[0], "experience": value[1]}
        if isinstance(value, tuple):
            return list(value)
        return value

    def _contact_me(self, converted, cells, problem) -> None:
        email = converted.get("contact_email")
        phone = converted.get("contact_phone")
        for question in self.questions:
            if question.type != "contact_me":
                continue
            target = f"{QUESTION_PREFIX}{question.key}"
            column = self.by_target[target]
            raw = cells[self.columns.index(column)]
            for i, value in enumerate(converted[target]):
                if value and not (email and email[i]) and not (phone and phone[i]):
                    problem(i, column, raw[i], _("needs a contact email or phone on the same row"))

    def _some_answer(self, converted, count, bad, problem) -> None:
        answers = [
            converted[c.target] for c in self.columns if c.target.startswith(QUESTION_PREFIX)
        ]
        for i in range(count):
            if i not in bad and all(column[i] is None for column in answers):
                problem(i, None, "", _("has no answers"))

    def _keys(self, converted, cells, numbers, bad, problem) -> list[str]:
        """Idempotency keys (see the module docstring); a repeated external ID is a problem."""
        when = converted["submitted_at"]
        count = len(when)
        content = [cells[position] for position in self.content_positions]
        if content:
            try:
                texts = ["\x1f".join(row) for row in zip(*content, strict=True)]
            except TypeError:  # XLSX numbers, dates and empty cells, as a CSV would hold them
                texts = ["\x1f".join(map(display, row)) for row in zip(*content, strict=True)]
        else:
            texts = [""] * count
        blake2b = hashlib.blake2b
        keys = [
            f"i:{at}:{blake2b(text.encode(), digest_size=8).hexdigest()}" if at else ""
            for at, text in zip(when, texts, strict=True)
        ]
        external = converted.get("external_id")
        if external is not None:
            keys = [_external_key(e) if e else k for e, k in zip(external, keys, strict=True)]
        hashes = list(map(hash, keys))
        seen = self.seen
        fresh = [h for h, key in zip(hashes, keys, strict=True) if key]
        if len(set(fresh)) == len(fresh) and seen.keys().isdisjoint(fresh):
            pairs = zip(hashes, numbers, strict=True)
            if bad or len(fresh) < count:
                seen.update(pair for i, pair in enumerate(pairs) if keys[i] and i not in bad)
            else:
                seen.update(pairs)
            return keys
        for i, key in enumerate(keys):  # a key seen before: rare, one row at a time
            if not key or i in bad:
                continue
            hashed = hashes[i]
            if key.startswith("x"):
                first = seen.get(hashed)
                if first is not None:
                    column = self.by_target["external_id"]
                    message = _("is also on row %(row)d") % {"row": first}
                    problem(i, column, external[i], message)
                    keys[i] = ""
                    continue
            else:
                base, repeat = key, 1
                while hashed in seen:  # identical rows in one file: each is its own response
                    repeat += 1
                    key = f"{base}:{repeat}"
                    hashed = hash(key)
                keys[i] = key
            seen[hashed] = numbers[i]
        return keys

    def _streams(self, converted, keep) -> list[Stream]:
        streams: list[Stream] = []
        definition = self.definition
        question: Any
        for question in self.questions:
            key, kind = question.key, question.type
            if kind == "expectation_experience":
                expected = keep(converted[f"{QUESTION_PREFIX}{key}.expected"])
                experience = keep(converted[f"{QUESTION_PREFIX}{key}.experience"])
                rows = [
                    [(x, e, "")] if x is not None and e is not None else None
                    for e, x in zip(expected, experience, strict=True)
                ]
                streams.append(Stream(key, kind, "rows", rows))
                continue
            column = keep(converted[f"{QUESTION_PREFIX}{key}"])
            if kind in SCORED:
                streams.append(Stream(key, kind, "score", column))
            elif kind == "text":
                streams.append(Stream(key, kind, "text", column))
            elif kind == "single_choice":
                index = {o.key: i for i, o in enumerate(question.options)}
                rows = [[(index[v], None, v)] if v is not None else None for v in column]
                streams.append(Stream(key, kind, "rows", rows))
            elif kind == "multiple_choice":
                index = {o.key: i for i, o in enumerate(question.options)}
                rows = [[(index[o], None, o) for o in v] if v else None for v in column]
                streams.append(Stream(key, kind, "rows", rows))
            elif kind == "consent":
                # The wording shown is stored with a consent, in the response's language.
                languages = self._languages(converted, keep, len(column))
                wording = {
                    lang: definition.text(question.text, lang) for lang in definition.languages
                }
                rows = [
                    [(int(v), None, wording.get(lang, ""))] if v is not None else None
                    for v, lang in zip(column, languages, strict=True)
                ]
                streams.append(Stream(key, kind, "rows", rows))
            else:  # contact_me
                streams.append(
                    Stream(key, kind, "score", [int(v) if v is not None else None for v in column])
                )
        return streams

    def _languages(self, converted, keep, count: int) -> list[str]:
        default = self.constants["language"]
        if "language" not in converted:
            return [default] * count
        return [v or default for v in keep(converted["language"])]


_CONTACT = ("contact_name", "contact_email", "contact_phone")


def _targets(question) -> list[str]:
    if question.type == "expectation_experience":
        return [f"{QUESTION_PREFIX}{question.key}.{half}" for half in ("expected", "experience")]
    return [f"{QUESTION_PREFIX}{question.key}"]


def _empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _external_key(external_id: str) -> str:
    key = f"x:{external_id}"
    if len(key) <= MAX_KEY:
        return key
    return "x#" + hashlib.blake2b(external_id.encode(), digest_size=16).hexdigest()
