"""Workshops' share of a user's data export (the workshops they host; kept on erasure)."""
from __future__ import annotations

from typing import Any

from workshops.tables import Workshop


class WorkshopsPersonalData:
    async def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        workshops = await (
            Workshop.select(Workshop.id, Workshop.community.slug.as_alias("community"), Workshop.title,
                            Workshop.summary, Workshop.status, Workshop.created_at)
            .where(Workshop.host == user_id).order_by(Workshop.id)
        )
        return {"workshops_hosted": workshops}

    async def release(self, runtime: Any, user_id: int) -> None:
        return None

    async def erase(self, user_id: int) -> None:
        return None  # a hosted workshop stays, under the host's erased name
