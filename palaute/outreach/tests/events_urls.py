"""The site's URLs with the events router mounted on a test copy of the JSON API (same token
auth, guard and error shape), so the events tests do not depend on where the router is
registered in palaute/api/urls.py."""

from django.urls import path
from ninja import NinjaAPI

from palaute.api import errors
from palaute.api.auth import TokenAuth, guard
from palaute.outreach.api import router
from palaute.urls import urlpatterns as site_urlpatterns

api = NinjaAPI(urls_namespace="outreach-events-test", auth=TokenAuth(), docs_url=None)
errors.install(api)
api.add_decorator(guard(api), mode="view")
api.add_router("", router)

urlpatterns = [path("api/v1/", api.urls), *site_urlpatterns]
