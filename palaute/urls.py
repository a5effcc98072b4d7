from django.urls import include, path
from django.views.generic import RedirectView

from palaute.api.urls import api

urlpatterns = [
    # The public submission endpoints first: they are the hot path of every channel.
    path("", include("palaute.channels.collect_urls")),
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("palaute.surveys.public_urls")),
    path("", include("palaute.accounts.urls")),
    path("", include("palaute.journeys.urls")),
    path("", include("palaute.surveys.urls")),
    path("", include("palaute.outreach.public_urls")),
    path("", include("palaute.outreach.urls")),
    path("", include("palaute.insights.urls")),
    path("", include("palaute.text.urls")),
    path("", include("palaute.channels.urls")),
    path("", include("palaute.loop.urls")),
    path("", include("palaute.webhooks.urls")),
    path("", include("palaute.reviews.urls")),
    path("", include("palaute.testimonials.urls")),
]
