"""The JSON API (django-ninja) at /api/v1/. Routers stay thin and call the apps' domain code.

Every operation but ``/health`` needs an organisation API token (``auth.TokenAuth``); every
error has one shape (``errors.py``); limits and rate limits are in ``limits.py``. The guide
for API users is docs/api.md.
"""

from ninja import NinjaAPI, Router, Schema

from palaute.api import errors, metrics, responses, surveys, touchpoints
from palaute.api.auth import TokenAuth, guard
from palaute.api.errors import NotFound
from palaute.outreach.api import router as events_router

api = NinjaAPI(
    title="Palaute API",
    version="1",
    description=(
        "Touchpoints, surveys, responses and metrics of one organisation. Authenticate with "
        "`Authorization: Bearer <token>` (tokens are made under Settings → API tokens). "
        'Errors answer `{"error": {"code", "message", "fields"}}`. Guide: docs/api.md.'
    ),
    urls_namespace="api",
    docs_url="/docs",
    auth=TokenAuth(),
)
errors.install(api)
api.add_decorator(guard(api), mode="view")


class Health(Schema):
    status: str


@api.get("/health", tags=["meta"], auth=None, response=Health, summary="Liveness check")
def health(request):
    return {"status": "ok"}


api.add_router("", touchpoints.router)
api.add_router("", surveys.router)
api.add_router("", responses.router)
api.add_router("", metrics.router)
api.add_router("", events_router)

# Last, so it only catches paths no router has: unknown URLs answer in the error shape too.
unknown = Router()


@unknown.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_path(request, rest: str):
    raise NotFound("No such API endpoint; see /api/v1/docs.")


api.add_router("", unknown)
