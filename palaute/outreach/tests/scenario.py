"""Seeds a database for the worker tests that run in separate processes:
``python -m palaute.outreach.tests.scenario`` (DJANGO_SETTINGS_MODULE names the settings)."""

import django


def seed() -> int:
    from palaute.outreach.invitations import invite
    from palaute.outreach.tests.helpers import make_contact
    from palaute.surveys.tests.helpers import make_survey

    survey = make_survey()
    contact = make_contact(survey.organisation, "maija@example.com")
    invite(survey, [contact], batch_key="kill-test")
    return survey.invitations.get().pk


if __name__ == "__main__":
    django.setup()
    print(seed())
