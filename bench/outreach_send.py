"""Email invitation benchmark: invitations created per second, and invitations sent per second
by one worker through a real SMTP server on loopback.

    python bench/outreach_send.py [--contacts 1000] [--no-send]

Uses a fresh SQLite database in a temporary directory and an aiosmtpd server on 127.0.0.1
(random port) that accepts everything. Steps, each timed: import N contacts from CSV, create
N invitations (``invite``: dedup, skip checks, one send job each), run ``palaute worker
--batch`` in this process until the queue is empty. Reports rates and checks that the server
received exactly N messages and every invitation is ``sent``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="palaute-bench-outreach-")
    try:
        run(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(workdir: str) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument(
        "--no-send", action="store_true", help="measure import and invite only (large N)"
    )
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    class Sink:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.received += 1
            return "250 OK"

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        PALAUTE_DATA_DIR=workdir,
        DJANGO_SETTINGS_MODULE="palaute.outreach.tests.worker_settings",
        TEST_SMTP_PORT=str(port),
    )
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from palaute.outreach.csv_import import import_contacts
    from palaute.outreach.invitations import invite
    from palaute.outreach.models import Contact, Invitation
    from palaute.outreach.tests.jobs_helpers import make_worker
    from palaute.surveys.tests.helpers import make_survey

    survey = make_survey()
    rows = ["name,email,language"] + [
        f"Asiakas {i},asiakas{i}@example.com,{'fi' if i % 3 else 'en'}"
        for i in range(args.contacts)
    ]
    started = time.perf_counter()
    result = import_contacts(survey.organisation, "\n".join(rows).encode())
    imported = time.perf_counter() - started
    assert result.ok and result.created == args.contacts, result.errors[:3]

    contacts = Contact.objects.filter(organisation=survey.organisation).select_related("account")
    started = time.perf_counter()
    created = invite(survey, contacts, batch_key="bench")
    invited = time.perf_counter() - started
    assert created.scheduled == args.contacts

    n = args.contacts
    print(f"contacts: {n}  (SQLite, one worker, SMTP on loopback)")
    print(f"CSV import:       {imported:6.2f} s  {n / imported:8.0f} contacts/s")
    print(f"create + enqueue: {invited:6.2f} s  {n / invited:8.0f} invitations/s")
    if args.no_send:
        controller.stop()
        return
    started = time.perf_counter()
    make_worker("bench-worker").run()
    sent = time.perf_counter() - started
    controller.stop()

    statuses = set(Invitation.objects.values_list("status", flat=True))
    assert Sink.received == args.contacts, Sink.received
    assert statuses == {"sent"}, statuses
    print(f"worker sends:     {sent:6.2f} s  {n / sent:8.0f} emails/s")


if __name__ == "__main__":
    main()
