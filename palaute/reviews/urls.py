from django.urls import path

from palaute.reviews import source_views, views

urlpatterns = [
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/trends/", views.review_trends, name="review_trends"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/reply/", views.review_reply, name="review_reply"),
    path("reviews/<int:pk>/tone/", views.review_tone, name="review_tone"),
    path(
        "reviews/<int:pk>/replied-elsewhere/",
        views.review_replied_elsewhere,
        name="review_replied_elsewhere",
    ),
    path("reviews/replies/<int:pk>/retry/", views.reply_retry, name="review_reply_retry"),
    path("reviews/import/", source_views.review_import, name="review_import"),
    path("reviews/sources/", source_views.source_list, name="review_sources"),
    path(
        "reviews/sources/new/<str:kind>/", source_views.source_create, name="review_source_create"
    ),
    path("reviews/sources/<int:pk>/", source_views.source_edit, name="review_source_edit"),
    path("reviews/sources/<int:pk>/sync/", source_views.source_sync, name="review_source_sync"),
    path(
        "reviews/sources/<int:pk>/disconnect/",
        source_views.source_disconnect,
        name="review_source_disconnect",
    ),
    path(
        "reviews/sources/<int:pk>/connect-google/",
        source_views.google_connect,
        name="review_google_connect",
    ),
    path(
        "reviews/oauth/google/callback/",
        source_views.google_callback,
        name="review_google_callback",
    ),
    path(
        "reviews/sources/<int:pk>/mappings/new/",
        source_views.mapping_add,
        name="review_mapping_add",
    ),
    path(
        "reviews/sources/<int:pk>/mappings/<int:mapping_pk>/delete/",
        source_views.mapping_delete,
        name="review_mapping_delete",
    ),
]
