"""``manage.py demo``: create two demo organisations with a year of realistic feedback."""

import time

from django.core.management.base import BaseCommand, CommandParser

from palaute.demo import builder


class Command(BaseCommand):
    help = (
        "Create the demo user and two demo organisations (a lakeside café and a heat-pump "
        "installer) with a year of realistic, bilingual feedback."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--responses", type=int, default=20000, help="How many responses (default 20000)."
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed; the same seed gives the same data."
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo organisations first."
        )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        if options["responses"] < 0:
            self.stderr.write("--responses must be zero or more.")
            return
        if builder.existing_demo_organisations():
            if not options["reset"]:
                self.stdout.write(
                    "The demo organisations already exist; nothing was changed. "
                    "Run `manage.py demo --reset` to recreate them."
                )
                self._credentials()
                return
            deleted = builder.delete_demo_organisations()
            self.stdout.write(f"Deleted {deleted} existing demo organisation(s).")
        result = builder.build(responses=options["responses"], seed=options["seed"])
        elapsed = time.perf_counter() - started
        tl = result.timeline
        for org in result.organisations:
            self.stdout.write(f"Created organisation {org.name} ({org.slug})")
        self.stdout.write(
            f"{result.responses} responses, {result.answers} answers, {result.comments} "
            f"comments, {result.score_rows} score-count rows, {tl.start} – {tl.today}, "
            f"in {elapsed:.1f} s."
        )
        self._credentials()

    def _credentials(self) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"Log in at {builder.DEMO_URL} as user `{builder.DEMO_USERNAME}` with password "
                f"`{builder.DEMO_PASSWORD}`."
            )
        )
