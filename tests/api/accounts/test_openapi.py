"""The accounts endpoints are documented in /schema/openapi.json with their error answers."""
from __future__ import annotations

import pytest

DOCUMENTED = [
    ("post", "/api/v1/auth/register", {"201", "400", "409", "429"}),
    ("post", "/api/v1/auth/login", {"200", "400", "401", "429"}),
    ("post", "/api/v1/auth/logout", {"204", "401", "403"}),
    ("get", "/api/v1/me", {"200", "401"}),
    ("patch", "/api/v1/me", {"200", "400", "401"}),
    ("delete", "/api/v1/me", {"204", "401"}),
    ("get", "/api/v1/me/export", {"200", "401"}),
    ("post", "/api/v1/communities", {"201", "400", "401", "403", "409"}),
    ("get", "/api/v1/communities", {"200", "400"}),
    ("get", "/api/v1/communities/{slug}", {"200", "404"}),
    ("post", "/api/v1/communities/{slug}/organizers", {"200", "201", "401", "403", "404"}),
]


@pytest.fixture
async def schema(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("method, path, statuses", DOCUMENTED)
async def test_documented_with_summary_tags_and_errors(schema, method, path, statuses):
    operation = schema["paths"][path][method]
    assert operation.get("summary") and operation.get("tags")
    assert statuses <= set(operation["responses"])
    for status in statuses - {"200", "201", "204"}:
        assert "application/problem+json" in operation["responses"][status]["content"]
