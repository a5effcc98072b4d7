"""poster channel URLs (being built)."""

urlpatterns: list = []
