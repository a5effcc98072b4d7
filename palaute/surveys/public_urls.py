"""Public routes for respondents: the hosted survey page and its thank-you page."""

from django.urls import path

from palaute.surveys import public_views

urlpatterns = [
    path("s/<str:public_key>/", public_views.survey_page, name="survey_page"),
    path("s/<str:public_key>/thanks/", public_views.thanks_page, name="survey_thanks"),
]
