"""``palaute reviews_rotate_keys``: re-encrypt the stored connector secrets with the newest
key of REVIEWS_ENCRYPTION_KEY (step 2 of a key rotation, see palaute/reviews/crypto.py)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from palaute.reviews import crypto
from palaute.reviews.models import ReviewSource

SECRET_COLUMNS = ("access_token_encrypted", "refresh_token_encrypted", "client_secret_encrypted")


class Command(BaseCommand):
    help = "Re-encrypt the review connectors' tokens with the newest REVIEWS_ENCRYPTION_KEY."

    def handle(self, *args, **options):
        done = 0
        with transaction.atomic():
            for source in ReviewSource.objects.select_for_update().only("pk", *SECRET_COLUMNS):
                for column in SECRET_COLUMNS:
                    setattr(source, column, crypto.rotate(getattr(source, column)))
                source.save(update_fields=list(SECRET_COLUMNS))
                done += 1
        self.stdout.write(f"re-encrypted the secrets of {done} review sources")
