"""interview channel URLs (being built)."""

urlpatterns: list = []
