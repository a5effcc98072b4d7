"""Fixtures for the API tests: an organisation with a journey and a survey, tokens, and a
client that sends a token."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client

from palaute.accounts.models import ApiToken
from palaute.accounts.tokens import create_token
from palaute.surveys.tests.helpers import NPS_WHY, make_org, make_survey


class ApiClient:
    """Django's test client with a bearer token and JSON bodies."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.token = token

    def _headers(self, headers: dict | None) -> dict:
        merged = dict(headers or {})
        if self.token is not None:
            merged.setdefault("Authorization", f"Bearer {self.token}")
        return merged

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers(headers))

    def _send(self, method: str, path: str, body, headers: dict | None):
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        return getattr(self.client, method)(
            f"/api/v1{path}",
            data=data,
            content_type="application/json",
            headers=self._headers(headers),
        )

    def post(self, path: str, body=None, headers: dict | None = None):
        return self._send("post", path, {} if body is None else body, headers)

    def put(self, path: str, body=None, headers: dict | None = None):
        return self._send("put", path, body, headers)

    def patch(self, path: str, body=None, headers: dict | None = None):
        return self._send("patch", path, body, headers)

    def delete(self, path: str, headers: dict | None = None):
        return self.client.delete(f"/api/v1{path}", headers=self._headers(headers))


def fields(response) -> dict[str, str]:
    """The error's field paths and messages."""
    return {f["field"]: f["message"] for f in response.json()["error"]["fields"]}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def org(db):
    return make_org("cafe")


@pytest.fixture
def survey(org):
    return make_survey(NPS_WHY, organisation=org)


@pytest.fixture
def write_api(org):
    _token, plain = create_token(org, name="integration", scope=ApiToken.Scope.WRITE)
    return ApiClient(plain)


@pytest.fixture
def read_api(org):
    _token, plain = create_token(org, name="reporting", scope=ApiToken.Scope.READ)
    return ApiClient(plain)


@pytest.fixture
def other_org(db):
    return make_org("other")


@pytest.fixture
def other_api(other_org):
    _token, plain = create_token(other_org, name="theirs", scope=ApiToken.Scope.WRITE)
    return ApiClient(plain)
