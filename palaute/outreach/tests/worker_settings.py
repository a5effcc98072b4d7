"""Settings for the worker processes that the worker tests start (a real SMTP server on
loopback, a short send lease so a takeover happens within the test)."""

import os

from palaute.settings import *  # noqa: F403
from palaute.settings import INSTALLED_APPS

if "palaute.outreach" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "palaute.outreach"]

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("TEST_SMTP_PORT", "25"))
EMAIL_USE_TLS = EMAIL_USE_SSL = False
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = "kysely@kahvila.example"
SITE_URL = "http://testserver"
OUTREACH_SEND_LEASE_SECONDS = 2
# Small chunks, so a worker can be killed in the middle of a send batch (test_send_batches.py).
OUTREACH_BATCH_CHUNK = int(os.environ.get("TEST_BATCH_CHUNK", "1000"))
