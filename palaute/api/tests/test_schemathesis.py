"""Property-based conformance: schemathesis generates requests from the served OpenAPI
document and checks that no answer is a server error or strays from the document."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from palaute.accounts.tokens import create_token
from palaute.surveys.submission import record_response
from palaute.surveys.tests.helpers import NPS_WHY, make_org, make_survey

# All stateless checks but positive_data_acceptance: a well-formed request may still name a
# survey or touchpoint that does not exist, which this API answers with 404 or 422 by design.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    ignored_auth,
]


@pytest.fixture
def bearer(transactional_db, settings):
    """A write token of an organisation with a journey, a survey and a response, and rate
    limits high enough for the whole run."""
    settings.RATE_LIMIT_API_TOKEN = "1000000/min"
    settings.RATE_LIMIT_API_IP = "1000000/min"
    org = make_org("cafe")
    survey = make_survey(NPS_WHY, organisation=org)
    record_response(
        survey, answers={"nps": 4, "why": "Slow"}, channel="web", language="fi", idempotency_key="1"
    )
    _token, plain = create_token(org, name="schemathesis", scope="write")
    return {"Authorization": f"Bearer {plain}"}


# Loaded when the module is collected (the served document needs no database). The lazy
# ``schemathesis.pytest.from_fixture`` loader does not work with pytest 9.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)
