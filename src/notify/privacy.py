"""Notify's share of a user's data export: the emails sent to them (kept on erasure: the
outbox holds what was sent, and the recipient's address is erased with the account)."""
from __future__ import annotations

from typing import Any

from notify.tables import OutboxMessage


class NotifyPersonalData:
    async def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        emails = await (
            OutboxMessage.select(OutboxMessage.kind, OutboxMessage.subject, OutboxMessage.status,
                                 OutboxMessage.created_at)
            .where(OutboxMessage.recipient == user_id).order_by(OutboxMessage.id)
        )
        return {"emails": emails}

    async def release(self, runtime: Any, user_id: int) -> None:
        return None

    async def erase(self, user_id: int) -> None:
        return None
