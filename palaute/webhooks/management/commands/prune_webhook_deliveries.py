from django.core.management.base import BaseCommand

from palaute.webhooks import retention


class Command(BaseCommand):
    help = (
        "Delete delivered and given-up webhook deliveries older than WEBHOOKS_KEEP_DAYS "
        "(default 30)."
    )

    def handle(self, *args, **options):
        removed = retention.prune()
        self.stdout.write(f"{removed} webhook deliveries deleted")
