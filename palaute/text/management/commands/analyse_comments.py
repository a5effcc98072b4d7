"""palaute analyse_comments [--org SLUG]: analyse the free-text answers already stored."""

import time

from django.core.management.base import BaseCommand, CommandError

from palaute.accounts.models import Organisation
from palaute.text.analysis import analyse_history


class Command(BaseCommand):
    help = "Run text analytics (sentiment and themes) on every stored free-text answer."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="only this organisation (slug)")
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args, **options):
        organisations = Organisation.objects.order_by("pk")
        if options["org"]:
            organisations = organisations.filter(slug=options["org"])
            if not organisations.exists():
                raise CommandError(f"no organisation with slug {options['org']!r}")
        total = 0
        started = time.perf_counter()
        for organisation in organisations:
            done = analyse_history(organisation, batch=options["batch"])
            total += done
            self.stdout.write(f"{organisation.slug}: {done} comments")
        seconds = time.perf_counter() - started
        rate = total / seconds if seconds > 0 else 0.0
        self.stdout.write(f"analysed {total} comments in {seconds:.1f} s ({rate:,.0f}/s)")
