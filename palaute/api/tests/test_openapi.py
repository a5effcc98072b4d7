import pytest


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Palaute API"
    assert client.get("/api/docs").url == "/api/v1/docs"
    assert client.get("/api/v1/docs").status_code == 200
    assert client.get("/api/v1/health").json() == {"status": "ok"}
