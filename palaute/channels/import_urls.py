"""import channel URLs (being built)."""

urlpatterns: list = []
