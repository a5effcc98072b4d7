"""``palaute survey export|import`` and the publishing functions behind it."""

import json

import pytest
from django.core.management import CommandError, call_command

from palaute.surveys.models import Survey
from palaute.surveys.publishing import (
    DefinitionInvalid,
    create_survey,
    export_definition,
    publish_version,
)
from palaute.surveys.tests.helpers import (
    NPS_WHY,
    definition,
    make_org,
    make_survey,
    make_touchpoint,
    question,
)

pytestmark = pytest.mark.django_db


def write(tmp_path, data, name="survey.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_publish_numbers_versions_and_sets_current():
    survey = make_survey()
    assert survey.current_version.number == 1
    version = publish_version(survey, definition(question("nps", "nps")))
    survey.refresh_from_db()
    assert version.number == 2
    assert survey.current_version == version
    assert export_definition(survey)["questions"] == [
        {"key": "nps", "type": "nps", "text": {"fi": "nps fi", "en": "nps en"}}
    ]


def test_publish_invalid_raises_and_keeps_the_current_version():
    survey = make_survey()
    with pytest.raises(DefinitionInvalid) as caught:
        publish_version(survey, definition(question("nps", "nps", scale={"min": 1, "max": 10})))
    assert [str(e) for e in caught.value.errors] == ["questions[0].scale: must be 0–10 for nps"]
    survey.refresh_from_db()
    assert survey.current_version.number == 1
    assert survey.versions.count() == 1


def test_create_survey_rejects_invalid_definitions_and_foreign_touchpoints():
    organisation = make_org()
    with pytest.raises(DefinitionInvalid):
        create_survey(organisation, key="s", name="S", touchpoint=None, definition={})
    foreign = make_touchpoint(make_org("other"), "desk")
    with pytest.raises(ValueError, match="another organisation"):
        create_survey(organisation, key="s", name="S", touchpoint=foreign, definition=NPS_WHY)
    assert not Survey.objects.exists()


def test_export_to_file_and_stdout(tmp_path, capsys):
    survey = make_survey()
    out = tmp_path / "out.json"
    call_command("survey", "export", "cafe", survey.key, "-o", str(out))
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported == export_definition(survey)
    assert exported["title"]["fi"] == "Miten onnistuimme?"
    call_command("survey", "export", "cafe", survey.key)
    assert json.loads(capsys.readouterr().out) == exported


def test_export_unknown_names_fail():
    make_org()
    with pytest.raises(CommandError, match="org: no organisation"):
        call_command("survey", "export", "nope", "feedback")
    with pytest.raises(CommandError, match="survey: no survey with key 'nope'"):
        call_command("survey", "export", "cafe", "nope")


def test_import_creates_then_publishes_a_new_version(tmp_path, capsys):
    organisation = make_org()
    touchpoint = make_touchpoint(organisation, "counter")
    path = write(tmp_path, NPS_WHY)
    call_command(
        "survey",
        "import",
        "cafe",
        path,
        "--key",
        "visit",
        "--name",
        "Visit",
        "--touchpoint",
        "counter",
    )
    survey = Survey.objects.get(key="visit")
    assert (survey.name, survey.touchpoint, survey.current_version.number) == (
        "Visit",
        touchpoint,
        1,
    )
    call_command("survey", "import", "cafe", path, "--key", "visit")
    survey.refresh_from_db()
    assert survey.current_version.number == 2
    assert "published version 2" in capsys.readouterr().out


def test_round_trip_export_import(tmp_path):
    survey = make_survey()
    out = tmp_path / "out.json"
    call_command("survey", "export", "cafe", survey.key, "-o", str(out))
    call_command("survey", "import", "cafe", str(out), "--key", "copy", "--name", "Copy")
    copy = Survey.objects.get(key="copy")
    assert export_definition(copy) == export_definition(survey)


def test_import_invalid_prints_paths_and_fails(tmp_path, capsys):
    make_org()
    bad = definition(question("nps", "nps", scale={"min": 1, "max": 10}), question("nps", "text"))
    path = write(tmp_path, bad)
    with pytest.raises(CommandError, match="invalid definition \\(2 errors\\)"):
        call_command("survey", "import", "cafe", path, "--key", "k", "--name", "K")
    err = capsys.readouterr().err
    assert f"{path}: questions[0].scale: must be 0–10 for nps" in err
    assert f"{path}: questions[1].key: duplicate question key 'nps'" in err
    assert not Survey.objects.exists()


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("{not json", ["--key", "k", "--name", "K"], "file: not valid JSON"),
        (None, ["--key", "k", "--name", "K"], "file: cannot read"),
        (json.dumps(NPS_WHY), ["--key", "k"], "--name: is required when creating"),
        (json.dumps(NPS_WHY), ["--key", "k", "--name", "K", "--touchpoint", "x"], "--touchpoint"),
    ],
)
def test_import_input_errors(tmp_path, content, args, message):
    make_org()
    path = tmp_path / "in.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("survey", "import", "cafe", str(path), *args)
