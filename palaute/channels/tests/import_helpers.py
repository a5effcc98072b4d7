"""Builders for the import tests: a survey with one question of each kind, and real CSV and
XLSX files written into a temporary directory."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from palaute.journeys.models import Location, Stage, Touchpoint
from palaute.surveys.publishing import create_survey
from palaute.surveys.tests.helpers import definition, make_org, options, question

FULL = definition(
    question("nps", "nps", required=True),
    question("csat", "csat"),
    question("why", "text", show_if={"question": "nps", "op": "lte", "value": 6}),
    question("comment", "text"),
    question("visit", "single_choice", options=options("lunch", "coffee", "dinner")),
    question("liked", "multiple_choice", options=options("food", "staff", "price")),
    question("fit", "expectation_experience"),
    question("publish", "consent"),
    question("call", "contact_me"),
)


def make_place(organisation, key: str, name: str, location: str = "Main street"):
    stage, _ = Stage.objects.get_or_create(
        organisation=organisation, key="purchase", defaults={"name_fi": "Osto", "name_en": "Buy"}
    )
    place, _ = Location.objects.get_or_create(organisation=organisation, name=location)
    return Touchpoint.objects.create(
        organisation=organisation, stage=stage, key=key, name=name, channel="web", location=place
    )


def make_import_survey(slug: str = "cafe", data: dict | None = None, key: str = "visits"):
    organisation = make_org(slug)
    counter = make_place(organisation, "counter", "Kassa")
    make_place(organisation, "terrace", "Terassi", location="Beach")
    return create_survey(
        organisation,
        key=key,
        name="Visits",
        touchpoint=counter,
        definition=data or FULL,
    )


def write_csv(
    path: Path,
    rows: list[list[Any]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[Any]], *, sheet: str = "Vastaukset", extra=None):
    import openpyxl

    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    for name, extra_rows in (extra or {}).items():
        other = workbook.create_sheet(name)
        for row in extra_rows:
            other.append(row)
    workbook.save(path)
    return path
