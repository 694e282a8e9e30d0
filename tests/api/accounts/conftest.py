"""Helpers for the accounts API tests."""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import make_user


def problem_slug(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return response.json()["type"].rsplit("/", 1)[-1]


def error_fields(response: httpx.Response) -> set[str]:
    """The fields named in `errors` (`skills[0]` counts as `skills`)."""
    return {e["field"].split("[", 1)[0] for e in response.json().get("errors", [])}


@pytest.fixture
async def participant(client) -> dict[str, Any]:
    return await make_user()


@pytest.fixture
async def admin(client) -> dict[str, Any]:
    return await make_user(is_admin=True)
