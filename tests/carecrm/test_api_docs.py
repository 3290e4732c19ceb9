import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_describes_the_customer_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/customers/", "/api/v1/customers/{id}/", "/api/v1/customers/{id}/timeline/"} <= set(
        schema["paths"]
    )
    assert "post" in schema["paths"]["/api/v1/customers/"]


def test_browsable_docs_are_served_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
