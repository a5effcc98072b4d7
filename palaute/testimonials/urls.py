"""Routes of the testimonials app: back office under /testimonials/, public under /t/<key>/
and the links in emails under /consent/."""

from django.urls import path

from palaute.testimonials import public_views, views

urlpatterns = [
    # Back office
    path("testimonials/", views.testimonial_list, name="testimonial_list"),
    path("testimonials/settings/", views.publication_settings, name="testimonial_settings"),
    path("testimonials/<int:pk>/", views.testimonial_detail, name="testimonial_detail"),
    path("testimonials/<int:pk>/status/", views.change_status, name="testimonial_status"),
    path("testimonials/<int:pk>/propose/", views.propose_edit, name="testimonial_propose"),
    path(
        "testimonials/<int:pk>/proposals/<int:proposal>/cancel/",
        views.cancel_proposal,
        name="testimonial_cancel_proposal",
    ),
    path("testimonials/<int:pk>/withdraw/", views.withdraw, name="testimonial_withdraw_staff"),
    path("testimonials/<int:pk>/reference/", views.reference, name="testimonial_reference"),
    # Public, by the organisation's key
    path(
        "t/<str:key>/widget.js",
        public_views.widget_asset,
        {"name": "widget.js"},
        name="testimonial_widget",
    ),
    path(
        "t/<str:key>/widget.css",
        public_views.widget_asset,
        {"name": "widget.css"},
        name="testimonial_widget_css",
    ),
    path("t/<str:key>/testimonials.json", public_views.testimonials_json, name="testimonial_feed"),
    path("t/<str:key>/reviews.jsonld", public_views.reviews_jsonld, name="testimonial_jsonld"),
    path(
        "t/<str:key>/reviews-snippet.html",
        public_views.reviews_snippet,
        name="testimonial_jsonld_snippet",
    ),
    path("t/<str:key>/references/", public_views.references_page, name="testimonial_references"),
    # Links in the emails to the consenting person
    path("consent/withdraw/<str:token>/", public_views.withdraw, name="testimonial_withdraw"),
    path(
        "consent/confirm-edit/<str:token>/",
        public_views.confirm_edit,
        name="testimonial_confirm_edit",
    ),
]
