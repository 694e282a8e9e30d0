"""Workshops' share of a user's data export (the workshops they host; kept on erasure)."""
from __future__ import annotations

from typing import Any

from workshops import repository


class WorkshopsPersonalData:
    async def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        return {"workshops_hosted": await repository.hosted_workshops(user_id)}

    async def release(self, runtime: Any, user_id: int) -> None:
        return None

    async def erase(self, user_id: int) -> None:
        return None  # a hosted workshop stays, under the host's erased name
