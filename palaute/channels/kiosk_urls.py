"""kiosk channel URLs (being built)."""

urlpatterns: list = []
