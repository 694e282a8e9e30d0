"""Notify's share of a user's data export: the emails sent to them (kept on erasure: the
outbox holds what was sent, and the recipient's address is erased with the account)."""
from __future__ import annotations

from typing import Any

from notify import repository


class NotifyPersonalData:
    async def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        return {"emails": await repository.emails_sent_to(user_id)}

    async def release(self, runtime: Any, user_id: int) -> None:
        return None

    async def erase(self, user_id: int) -> None:
        return None
