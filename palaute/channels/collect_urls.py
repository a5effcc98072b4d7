"""collect channel URLs (being built)."""

urlpatterns: list = []
