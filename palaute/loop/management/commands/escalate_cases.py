"""``palaute escalate_cases``: one pass of case reminders, escalations and due daily digests.

The worker does this every minute by itself (the periodic "loop" duty); this command is for
installations that prefer cron. By default the emails are queued for the worker like the
duty's; ``--send-now`` sends them from this process instead (for a cron-only setup).
"""

from django.core.management.base import BaseCommand

from palaute.loop.escalation import run_duty, run_pass


class Command(BaseCommand):
    help = "Remind owners of cases near their target, escalate missed ones, send due digests."

    def add_arguments(self, parser):
        parser.add_argument(
            "--send-now",
            action="store_true",
            help="Send the emails from this process instead of queueing them for the worker.",
        )
        parser.add_argument(
            "--no-digests", action="store_true", help="Only reminders and escalations."
        )

    def handle(self, *args, send_now: bool = False, no_digests: bool = False, **options):
        run = run_pass if no_digests else run_duty
        result = run(send_now=send_now)
        self.stdout.write(str(result))
