"""The JSON API (django-ninja). Routers stay thin and call the apps' domain code."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Palaute API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
)


@api.get("/health", tags=["meta"])
def health(request) -> dict:
    return {"status": "ok"}
