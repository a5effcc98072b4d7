"""Property-based conformance of /events: schemathesis generates requests from the served
OpenAPI document (the events router mounted as in events_urls.py) and checks that no answer is
a server error or strays from the document."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, settings

from palaute.accounts.tokens import create_token
from palaute.api.tests.test_schemathesis import CHECKS
from palaute.outreach.models import TriggerRule
from palaute.surveys.tests.helpers import NPS_WHY, make_org, make_survey, make_touchpoint

URLCONF = "palaute.outreach.tests.events_urls"


class EventsApp(WSGIHandler):
    """The site as a WSGI app, with the events router mounted (see events_urls.py)."""

    def get_response(self, request):
        request.urlconf = URLCONF
        return super().get_response(request)


@pytest.fixture
def bearer(transactional_db, settings):
    settings.RATE_LIMIT_API_TOKEN = "1000000/min"
    settings.RATE_LIMIT_API_IP = "1000000/min"
    org = make_org("cafe")
    make_touchpoint(org, key="counter")
    TriggerRule.objects.create(
        organisation=org,
        name="Every event",
        event_name="booking.completed",
        survey=make_survey(NPS_WHY, organisation=org),
    )
    _token, plain = create_token(org, name="schemathesis", scope="write")
    return {"Authorization": f"Bearer {plain}"}


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", EventsApp()).include(
    path_regex="^/api/v1/events"
)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_events_keep_to_their_schema(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)
