"""SMS providers: one interface, a console backend for development, an in-memory one for tests,
and Twilio's Programmable Messaging API.

``SMS_BACKEND`` picks one (``console`` by default, ``memory``, ``twilio``, or the dotted path
of a class with the same ``send``). A provider sends one text and returns the provider's
message id, or raises:

- ``PermanentFailure`` when the provider refused this message for good (an invalid number,
  a landline, a recipient who opted out at the provider); ``bounced`` says the number itself
  is unusable;
- ``SmsProviderError`` (any other exception) for a passing problem — network, a 5xx, a rate
  limit, credentials being fixed — which the job retries with backoff.

Twilio (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource):
``POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded ``To``, ``From``,
``Body`` and ``StatusCallback``, HTTP Basic auth ``AccountSid:AuthToken``. 201 answers the
message resource as JSON (``sid``, ``status`` …); an error answers ``{"code", "message",
"more_info", "status"}`` (https://www.twilio.com/docs/api/errors). Other providers that copy
this API (a self-hosted gateway, a test double) work by changing ``SMS_API_BASE_URL``.
"""

from __future__ import annotations

import logging
import sys
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.module_loading import import_string

from palaute.lib import http
from palaute.outreach import conf
from palaute.outreach.delivery import PermanentFailure

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    sender: str  # E.164 number or alphanumeric sender ID
    body: str
    status_callback: str = ""  # where the provider reports delivery; empty: none


@dataclass(frozen=True)
class SmsAccepted:
    message_id: str
    status: str = "queued"


class SmsProviderError(Exception):
    """A passing failure: try again later."""


class RecipientOptedOut(PermanentFailure):
    """The provider keeps its own opt-out list and the recipient is on it."""

    def __init__(self, reason: str):
        super().__init__(reason, bounced=False)


class SmsProvider(Protocol):
    name: str

    def send(self, message: SmsMessage) -> SmsAccepted: ...


class ConsoleProvider:
    """Development: print the message instead of sending it."""

    name = "console"

    def send(self, message: SmsMessage) -> SmsAccepted:
        message_id = f"console-{uuid.uuid4().hex}"
        sys.stdout.write(
            f"--- SMS {message_id}\nFrom: {message.sender}\nTo: {message.to}\n\n{message.body}\n"
            "---\n"
        )
        sys.stdout.flush()
        return SmsAccepted(message_id)


class MemoryProvider:
    """Tests: keep every message in ``MemoryProvider.outbox`` (like Django's mail.outbox)."""

    name = "memory"
    outbox: list[SmsMessage] = []

    def send(self, message: SmsMessage) -> SmsAccepted:
        MemoryProvider.outbox.append(message)
        return SmsAccepted(f"memory-{len(MemoryProvider.outbox)}")


# Twilio error codes that mean "this number will never work" (the contact's phone is bad).
TWILIO_BAD_NUMBER = frozenset({21211, 21214, 21217, 21401, 21407, 21421, 21612, 21614})
# "Attempt to send to unsubscribed recipient": the person texted STOP to our number.
TWILIO_UNSUBSCRIBED = 21610
# Statuses answered for a request we may repeat: credentials or account being fixed, a
# missing resource (wrong base URL), rate limits, server trouble.
RETRYABLE_STATUSES = frozenset({401, 403, 404, 408, 409, 429})


class TwilioProvider:
    name = "twilio"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        account_sid: str | None = None,
        auth_token: str | None = None,
        timeout: float | None = None,
    ):
        self.base_url = (base_url or conf.sms_api_base_url()).rstrip("/")
        self.account_sid = account_sid if account_sid is not None else conf.sms_account_sid()
        self.auth_token = auth_token if auth_token is not None else conf.sms_auth_token()
        self.timeout = timeout if timeout is not None else conf.sms_timeout()

    def messages_url(self) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def send(self, message: SmsMessage) -> SmsAccepted:
        if not self.account_sid or not self.auth_token:
            raise SmsProviderError("SMS_ACCOUNT_SID and SMS_AUTH_TOKEN must be set")
        if not message.sender:
            raise SmsProviderError("no SMS sender: set SMS_FROM or the organisation's sender")
        fields = [("To", message.to), ("From", message.sender), ("Body", message.body)]
        if message.status_callback:
            fields.append(("StatusCallback", message.status_callback))
        try:
            result = http.post_form(
                self.messages_url(),
                fields,
                auth=http.BasicAuth(self.account_sid, self.auth_token),
                timeout=self.timeout,
            )
        except http.TransportError as exc:
            raise SmsProviderError(str(exc)) from exc
        if result.status in (200, 201):
            return self._accepted(result)
        raise self._error(result)

    def _accepted(self, result: http.HttpResult) -> SmsAccepted:
        try:
            data = result.json()
        except ValueError:
            raise SmsProviderError(f"HTTP {result.status} without a JSON body") from None
        sid = data.get("sid") if isinstance(data, dict) else None
        if not isinstance(sid, str) or not sid:
            raise SmsProviderError(f"HTTP {result.status} without a message sid")
        status = data.get("status")
        if status == "failed":
            raise PermanentFailure(f"twilio: {sid} failed at once", bounced=False)
        return SmsAccepted(sid, status if isinstance(status, str) else "queued")

    def _error(self, result: http.HttpResult) -> Exception:
        code, text = None, result.text()[:200]
        try:
            data = result.json()
            if isinstance(data, dict):
                code, text = data.get("code"), str(data.get("message", text))[:200]
        except ValueError:
            pass
        reason = f"twilio {result.status}" + (f" ({code})" if code else "") + f": {text}"
        if result.status >= 500 or result.status in RETRYABLE_STATUSES:
            return SmsProviderError(reason)
        if code == TWILIO_UNSUBSCRIBED:
            return RecipientOptedOut(reason)
        return PermanentFailure(reason, bounced=code in TWILIO_BAD_NUMBER)


BACKENDS = {"console": ConsoleProvider, "memory": MemoryProvider, "twilio": TwilioProvider}


def provider() -> SmsProvider:
    """The configured provider (a new instance, so settings changes apply)."""
    backend = conf.sms_backend()
    cls: Any = BACKENDS.get(backend) or import_string(backend)
    return cls()
