"""What other apps hear about new responses.

``response_recorded`` is sent inside the transaction that stores a counted response (not for a
flagged one, and again when a flagged kiosk tap is counted after review), with ``response`` and
``answers`` (its Answer rows). Receivers run in that transaction: they must be cheap, must not
raise, and should defer real work with ``transaction.on_commit`` (text analysis, closed-loop
rules and outgoing webhooks all do). Receivers connect in their app's ``ready()``.
"""

from django.dispatch import Signal

response_recorded = Signal()
