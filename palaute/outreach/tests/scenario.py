"""Seeds a database for the worker tests that run in separate processes:
``python -m palaute.outreach.tests.scenario [send-batch N]`` (DJANGO_SETTINGS_MODULE names the
settings). Prints the id of the invitation (or of the send batch) it made."""

import sys

import django


def seed() -> int:
    from palaute.outreach.invitations import invite
    from palaute.outreach.tests.helpers import make_contact
    from palaute.surveys.tests.helpers import make_survey

    survey = make_survey()
    contact = make_contact(survey.organisation, "maija@example.com")
    invite(survey, [contact], batch_key="kill-test")
    return survey.invitations.get().pk


def seed_send_batch(contacts: int) -> int:
    """A send to all of ``contacts`` contacts, queued, due in 2099 (so the worker creates the
    invitations but sends none)."""
    from datetime import UTC, datetime

    from palaute.outreach.models import Contact
    from palaute.outreach.send_batches import start_send
    from palaute.surveys.tests.helpers import make_survey

    survey = make_survey()
    Contact.objects.bulk_create(
        Contact(organisation=survey.organisation, email=f"c{i}@example.com")
        for i in range(contacts)
    )
    batch, _ = start_send(
        survey,
        key="f" * 32,
        segment=None,
        channel="email",
        send_at=datetime(2099, 1, 1, 9, tzinfo=UTC),
        user=None,
    )
    return batch.pk


if __name__ == "__main__":
    django.setup()
    if sys.argv[1:2] == ["send-batch"]:
        print(seed_send_batch(int(sys.argv[2])))
    else:
        print(seed())
