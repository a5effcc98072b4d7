"""``palaute inbound_email [FILE …]``: read mail that came back to the bounce address.

Give files (single messages or mbox files), or pipe one message on standard input (for
example from Postfix: ``bounces: "|/srv/palaute/.venv/bin/palaute inbound_email"``).
Delivery status notifications are applied as bounces or deliveries; a mailed unsubscribe
(the ``List-Unsubscribe`` mailto, subject "unsubscribe <token>") opts the contact out.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from palaute.outreach.bounces import apply_event
from palaute.outreach.contacts import opt_out
from palaute.outreach.dsn import delivery_events, read_messages, unsubscribe_token
from palaute.outreach.unsubscribe import find


class Command(BaseCommand):
    help = "Apply bounces (DSN) and mailed unsubscribes from files or standard input."

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="*", help="message or mbox files (default: stdin)")

    def handle(self, *args, files: list[str], **options) -> None:
        counts = {"messages": 0, "events": 0, "unmatched": 0, "unsubscribed": 0, "ignored": 0}
        sources: list[Path | None] = [Path(name) for name in files] or [None]
        for source in sources:
            try:
                data = source.read_bytes() if source else sys.stdin.buffer.read()
            except OSError as exc:
                raise CommandError(f"{source}: {exc.strerror}") from None
            for message in read_messages(data):
                counts["messages"] += 1
                self._handle_message(message, counts)
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in counts.items()))

    def _handle_message(self, message, counts: dict[str, int]) -> None:
        events = delivery_events(message)
        if events:
            for event in events:
                counts["events" if apply_event(event) else "unmatched"] += 1
            return
        token = unsubscribe_token(message)
        target = find(token) if token else None  # an invitation's or a journey message's
        if target is None:
            counts["ignored"] += 1
            return
        opt_out(target.contact, target.channel, via="mailto")
        counts["unsubscribed"] += 1
