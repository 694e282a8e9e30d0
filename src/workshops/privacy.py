"""Workshops' share of a user's data export (the workshops they host and the recipes they
published; both kept on erasure: a recipe is then attributed to "a former member")."""
from __future__ import annotations

import json
from typing import Any

from workshops import repository


class WorkshopsPersonalData:
    async def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        recipes = [{**row, "materials": _items(row["materials"]), "steps": _items(row["steps"])}
                   for row in await repository.recipes_of_author(user_id)]
        return {"workshops_hosted": await repository.hosted_workshops(user_id), "recipes": recipes}

    async def release(self, runtime: Any, user_id: int) -> None:
        return None

    async def erase(self, user_id: int) -> None:
        return None  # a hosted workshop stays under the host's erased name, a recipe as a former member's


def _items(value: Any) -> list[str]:
    return json.loads(value or "[]") if isinstance(value, str) else list(value or [])
