"""The outbound HTTP wrapper against a real server on loopback."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from palaute.lib import http


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def _answer(self, status: int, body: bytes = b"", headers: dict | None = None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.server.seen.append(("GET", self.path, dict(self.headers), b""))
        if self.path == "/json":
            self._answer(200, b'{"ok": true}', {"Content-Type": "application/json"})
        elif self.path == "/hop":
            self._answer(302, headers={"Location": "/json"})
        elif self.path == "/loop":
            self._answer(302, headers={"Location": "/loop"})
        elif self.path == "/away":
            self._answer(302, headers={"Location": "http://example.invalid/json"})
        elif self.path == "/big":
            self._answer(200, b"x" * 5000)
        elif self.path == "/slow":
            time.sleep(1.5)
            self._answer(200, b"late")
        else:
            self._answer(404, b'{"message": "no"}')

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.seen.append(("POST", self.path, dict(self.headers), body))
        if self.path == "/hop":
            self._answer(307, headers={"Location": "/json"})
        else:
            self._answer(201, json.dumps({"echo": body.decode()}).encode())


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # The timeout test hangs up on /slow before its answer is written: not an error here.
        pass


@pytest.fixture
def server():
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(server, path):
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_get_json_and_error_statuses_are_results(server):
    result = http.get(_url(server, "/json"))
    assert result.ok and result.status == 200 and result.json() == {"ok": True}
    missing = http.get(_url(server, "/nothing"))
    assert not missing.ok and missing.status == 404 and missing.json() == {"message": "no"}


def test_post_form_sends_utf8_fields_and_basic_auth(server):
    result = http.post_form(
        _url(server, "/form"),
        {"To": "+358401234567", "Body": "Hyvää päivää & kiitos"},
        auth=http.BasicAuth("AC123", "secret"),
    )
    assert result.status == 201
    method, path, headers, body = server.seen[-1]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Authorization"] == "Basic QUMxMjM6c2VjcmV0"  # base64("AC123:secret")
    assert body == b"To=%2B358401234567&Body=Hyv%C3%A4%C3%A4+p%C3%A4iv%C3%A4%C3%A4+%26+kiitos"


def test_same_origin_get_redirect_is_followed_other_hosts_and_posts_are_not(server):
    followed = http.get(_url(server, "/hop"))
    assert followed.status == 200 and followed.url.endswith("/json")
    away = http.get(_url(server, "/away"))
    assert away.status == 302 and away.headers["Location"].startswith("http://example.invalid")
    assert not any("example.invalid" in path for _, path, _, _ in server.seen)
    posted = http.post_form(_url(server, "/hop"), {"a": "1"}, auth=http.BasicAuth("u", "p"))
    assert posted.status == 307
    assert [m for m, p, _, _ in server.seen if p == "/json"] == ["GET"]  # the POST stayed put


def test_redirect_loops_stop(server):
    result = http.get(_url(server, "/loop"))
    assert result.status == 302
    assert sum(1 for _, path, _, _ in server.seen if path == "/loop") == http.MAX_REDIRECTS + 1


def test_body_is_capped(server):
    result = http.request("GET", _url(server, "/big"), max_body=1000)
    assert len(result.body) == 1000 and result.truncated


def test_timeout_and_refused_connection_raise_transport_error(server):
    with pytest.raises(http.TransportError):
        http.get(_url(server, "/slow"), timeout=0.3)
    closed = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = closed.server_address[1]
    closed.server_close()
    with pytest.raises(http.TransportError) as error:
        http.get(f"http://user:pw@127.0.0.1:{port}/x")
    assert "pw" not in str(error.value)


def test_only_http_urls():
    for url in ("file:///etc/passwd", "ftp://example.com/", "http:///nohost"):
        with pytest.raises(ValueError):
            http.get(url)
