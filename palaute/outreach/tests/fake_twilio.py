"""A loopback HTTP server that implements Twilio's Create Message endpoint, for tests.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP Basic auth
``AccountSid:AuthToken`` and a form-encoded body of ``To``, ``From``, ``Body`` (and optionally
``StatusCallback``), as documented at
https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource.
Every request is checked the way Twilio checks it; a bad one gets Twilio's documented error
body (``code``, ``message``, ``more_info``, ``status``) *and* is recorded in ``problems``, so a
test can assert that our client never sent one. An accepted message answers 201 with the
message resource (``sid``, ``status`` "queued", ``num_segments`` …).

``refuse`` maps a To number to an error code to answer with (21610 unsubscribed recipient,
21614 not a mobile number), and ``fail_next`` answers the next n requests with a 503.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from palaute.outreach.sms_text import analyse

PATH_RE = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-f]{32})/Messages\.json$")
E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")
ALPHANUMERIC_RE = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
ERRORS = {
    20003: (401, "Authentication Error - invalid username"),
    21211: (400, "Invalid 'To' Phone Number"),
    21212: (400, "Invalid 'From' Phone Number"),
    21602: (400, "Message body is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
}


@dataclass
class FakeTwilio:
    account_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    messages: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)
    fail_next: int = 0
    requests: int = 0
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status, answer = fake.handle(self.path, dict(self.headers), body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # ----------------------------------------------------------------- the endpoint

    def handle(self, path: str, headers: dict[str, str], body: bytes):
        self.requests += 1
        match = PATH_RE.match(path)
        if match is None:
            return self._problem(404, 20404, f"unknown path {path}")
        expected = (
            "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        )
        if headers.get("Authorization") != expected or match["sid"] != self.account_sid:
            return self._problem(401, 20003, "wrong credentials or account in the path")
        if not headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return self._problem(400, 21602, "the body is not form-encoded")
        if self.fail_next > 0:
            self.fail_next -= 1
            return 503, {"code": 20503, "message": "Service unavailable", "status": 503}
        fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        unknown = set(fields) - {"To", "From", "Body", "StatusCallback", "MessagingServiceSid"}
        if unknown:
            return self._problem(400, 21602, f"unknown parameters {sorted(unknown)}")
        if not fields.get("To"):
            return self._problem(400, 21604, "To missing")
        if not E164_RE.match(fields["To"]):
            return self._problem(400, 21211, f"To {fields['To']!r} is not E.164")
        sender = fields.get("From", "")
        if not (E164_RE.match(sender) or ALPHANUMERIC_RE.match(sender)):
            return self._problem(400, 21212, f"From {sender!r} is neither E.164 nor alphanumeric")
        if not fields.get("Body"):
            return self._problem(400, 21602, "Body missing")
        if len(fields["Body"]) > 1600:
            return self._problem(400, 21617, "Body over 1600 characters")
        callback = fields.get("StatusCallback", "")
        if callback and not callback.startswith(("http://", "https://")):
            return self._problem(400, 21609, f"StatusCallback {callback!r} is not a URL")
        if fields["To"] in self.refuse:
            code = self.refuse[fields["To"]]
            status, message = ERRORS[code]
            return status, _error(code, message, status)  # a refusal, not a client mistake
        sid = "SM" + secrets.token_hex(16)
        self.messages.append({**fields, "sid": sid})
        now = formatdate(usegmt=True)
        return 201, {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": fields["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": str(analyse(fields["Body"]).segments),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "to": fields["To"],
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }

    def _problem(self, status: int, code: int, detail: str):
        self.problems.append(detail)
        return status, _error(code, ERRORS.get(code, (status, detail))[1], status)


def _error(code: int, message: str, status: int) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
