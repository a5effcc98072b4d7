"""``palaute survey export|import``: survey definitions as JSON files.

    palaute survey export <org-slug> <survey-key> [-o file.json]
    palaute survey import <org-slug> <file.json> --key KEY [--name NAME] [--touchpoint KEY]

Import creates the survey (``--name`` needed) or publishes a new version of an existing one.
An invalid definition prints each error with its path and exits with status 1.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from palaute.accounts.models import Organisation
from palaute.journeys.models import Touchpoint
from palaute.surveys.models import Survey
from palaute.surveys.publishing import (
    DefinitionInvalid,
    create_survey,
    export_definition,
    publish_version,
)


class Command(BaseCommand):
    help = "Export or import a survey definition (JSON, docs/surveys.md)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write the current definition as JSON.")
        export.add_argument("org", help="organisation slug")
        export.add_argument("survey", help="survey key")
        export.add_argument("-o", "--output", help="file to write (default: standard output)")
        imp = sub.add_parser("import", help="Create a survey or publish a new version.")
        imp.add_argument("org", help="organisation slug")
        imp.add_argument("file", help="definition JSON file ('-' for standard input)")
        imp.add_argument("--key", required=True, help="survey key")
        imp.add_argument("--name", help="survey name (needed when creating)")
        imp.add_argument("--touchpoint", help="touchpoint key (when creating)")

    def handle(self, *args, **options):
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"org: no organisation with slug {options['org']!r}")
        if options["action"] == "export":
            self._export(organisation, options)
        else:
            self._import(organisation, options)

    def _export(self, organisation, options):
        survey = Survey.objects.filter(organisation=organisation, key=options["survey"]).first()
        if survey is None:
            raise CommandError(f"survey: no survey with key {options['survey']!r}")
        text = json.dumps(export_definition(survey), ensure_ascii=False, indent=2) + "\n"
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")

    def _import(self, organisation, options):
        definition = _read_json(options["file"])
        survey = Survey.objects.filter(organisation=organisation, key=options["key"]).first()
        try:
            if survey is not None:
                version = publish_version(survey, definition)
                self.stdout.write(f"{survey.key}: published version {version.number}")
                return
            if not options["name"]:
                raise CommandError("--name: is required when creating a survey")
            survey = create_survey(
                organisation,
                key=options["key"],
                name=options["name"],
                touchpoint=_touchpoint(organisation, options["touchpoint"]),
                definition=definition,
            )
        except DefinitionInvalid as exc:
            for error in exc.errors:
                self.stderr.write(f"{options['file']}: {error}")
            raise CommandError(f"invalid definition ({len(exc.errors)} errors)") from None
        self.stdout.write(f"{survey.key}: created, public key {survey.public_key}")


def _read_json(path: str):
    try:
        if path == "-":
            return json.load(sys.stdin)
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise CommandError(f"file: cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise CommandError(f"file: not valid JSON: {exc}") from None


def _touchpoint(organisation, key: str | None):
    if not key:
        return None
    touchpoint = Touchpoint.objects.filter(organisation=organisation, key=key).first()
    if touchpoint is None:
        raise CommandError(f"--touchpoint: no touchpoint with key {key!r}")
    return touchpoint
