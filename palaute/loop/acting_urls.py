from django.urls import path  # noqa: F401

# Replies, recovery and measures (see replies.py, recovery.py, measures.py).
urlpatterns: list = []
