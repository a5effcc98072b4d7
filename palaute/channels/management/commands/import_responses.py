"""``palaute import_responses``: import historical responses from a CSV or XLSX file.

    palaute import_responses <survey key> <file> --org <slug>
        [--map COLUMN=FIELD …] [--no-suggest] [--sheet NAME] [--dry-run]
        [--problems problems.csv] [--user USERNAME]
    palaute import_responses <survey key> --org <slug> --undo <batch>

Columns are mapped as the import screen suggests (header names, question keys and texts),
then ``--map`` sets or overrides a column: ``--map "Pvm=submitted_at" --map NPS=nps
--map Extra=ignore``. A column is named by its header, or by its number (``#3``) when headers
repeat. ``--no-suggest`` starts from every column ignored.

Every problem is printed as ``file: row N, column C: value message`` (standard error) and the
command exits with status 1; nothing is stored then. ``--dry-run`` checks without storing.
Rows imported before are skipped and counted.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from palaute.accounts.models import Organisation
from palaute.channels import imports
from palaute.channels.import_files import TableError, open_table
from palaute.channels.import_mapping import IGNORE, parse_target, suggest
from palaute.surveys.models import ImportBatch, Survey
from palaute.surveys.publishing import current_definition

PRINTED_PROBLEMS = 1000


class Command(BaseCommand):
    help = "Import historical responses into a survey from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("survey", help="survey key")
        parser.add_argument("file", nargs="?", help="CSV or XLSX file")
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="what a column holds: submitted_at, language, touchpoint, channel, "
            "external_id, contact_name, contact_email, contact_phone, a question key "
            "(KEY.expected / KEY.experience for a pair) or ignore",
        )
        parser.add_argument("--no-suggest", action="store_true", help="map only --map columns")
        parser.add_argument("--sheet", default="", help="XLSX sheet (default: the first)")
        parser.add_argument("--dry-run", action="store_true", help="check only, store nothing")
        parser.add_argument("--problems", help="write every problem to this CSV file")
        parser.add_argument("--user", help="username recorded as the importer")
        parser.add_argument(
            "--undo", type=int, metavar="BATCH", help="remove the responses of an earlier import"
        )

    def handle(self, *args, **options):
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"--org: no organisation with slug {options['org']!r}")
        survey = (
            Survey.objects.select_related("organisation", "touchpoint", "current_version")
            .filter(organisation=organisation, key=options["survey"])
            .first()
        )
        if survey is None:
            raise CommandError(f"survey: no survey with key {options['survey']!r}")
        if options["undo"] is not None:
            self._undo(survey, options["undo"], self._user(options["user"]))
            return
        if not options["file"]:
            raise CommandError("file: give the CSV or XLSX file to import")
        current = current_definition(survey)
        if current is None:
            raise CommandError("survey: it has no published version")
        path = Path(options["file"])
        try:
            with open_table(path, options["sheet"]) as table:
                headers = table.headers
        except TableError as exc:
            raise CommandError(f"{path}: {exc}") from None
        mapping = self._mapping(headers, current[1], options)
        for header, target in zip(headers, mapping, strict=True):
            if target != IGNORE:
                self.stdout.write(f"  {header} -> {target}")
        user = self._user(options["user"])

        with ExitStack() as stack:
            problems_file = None
            if options["problems"]:
                problems_file = stack.enter_context(
                    Path(options["problems"]).open("w", newline="", encoding="utf-8")
                )
            if options["dry_run"]:
                report = imports.dry_run(
                    survey, path, mapping, sheet=options["sheet"], problems_to=problems_file
                )
            else:
                report = imports.run_import(
                    survey,
                    path,
                    mapping,
                    filename=path.name,
                    user=user,
                    sheet=options["sheet"],
                    problems_to=problems_file,
                )
        self._print(path, report, options)

    def _mapping(self, headers: list[str], definition, options) -> list[str]:
        mapping = [IGNORE] * len(headers) if options["no_suggest"] else suggest(headers, definition)
        for item in options["map"]:
            column, equals, field = item.partition("=")
            if not equals:
                raise CommandError(f"--map {item!r}: write it as COLUMN=FIELD")
            index = _column_index(column.strip(), headers)
            if index is None:
                raise CommandError(
                    f"--map {item!r}: no column {column.strip()!r}; the columns are "
                    + ", ".join(repr(h) for h in headers)
                )
            target = parse_target(field, definition)
            if target is None:
                raise CommandError(
                    f"--map {item!r}: {field.strip()!r} is not a field or question of the survey"
                )
            mapping[index] = target
        return mapping

    def _undo(self, survey, batch_id: int, user) -> None:
        batch = ImportBatch.objects.filter(
            pk=batch_id, survey=survey, organisation=survey.organisation
        ).first()
        if batch is None:
            raise CommandError(f"--undo: survey {survey.key!r} has no import batch {batch_id}")
        filename = batch.filename
        deleted = imports.undo_import(batch, user=user)
        self.stdout.write(f"removed batch {batch_id} ({filename}): {deleted:,} responses")

    def _user(self, username: str | None):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"--user: no user {username!r}")
        return user

    def _print(self, path: Path, report, options) -> None:
        if report.errors:
            raise CommandError(f"{path}: {' '.join(report.errors)} Nothing was imported.")
        for problem in report.problems[:PRINTED_PROBLEMS]:
            self.stderr.write(f"{path}: {problem}")
        if report.problem_count > len(report.problems):
            where = f" (all in {options['problems']})" if options["problems"] else ""
            self.stderr.write(
                f"… {report.problem_count - len(report.problems):,} more problems{where}"
            )
        summary = (
            f"{report.rows:,} rows: {report.good:,} ready, {report.bad_rows:,} with problems, "
            f"{report.duplicates:,} imported before"
        )
        if report.hidden_answers:
            summary += f", {report.hidden_answers:,} answers hidden by branching left out"
        self.stdout.write(summary)
        if report.problem_count:
            raise CommandError(f"{report.problem_count:,} problems; nothing was imported")
        if report.batch is not None:
            self.stdout.write(
                f"imported {report.imported:,} responses as batch {report.batch.pk} "
                f"in {report.timings['total']:.1f} s"
            )
        elif not options["dry_run"]:
            self.stdout.write("nothing new to import")


def _column_index(name: str, headers: list[str]) -> int | None:
    if name.startswith("#") and name[1:].isdigit():
        index = int(name[1:]) - 1
        return index if 0 <= index < len(headers) else None
    matches = [i for i, header in enumerate(headers) if header == name]
    if not matches:
        matches = [i for i, header in enumerate(headers) if header.casefold() == name.casefold()]
    return matches[0] if len(matches) == 1 else None
