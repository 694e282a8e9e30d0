"""The values notify's rows may hold, shared by its table (`choices=`), its repository's SQL
and the delivery code."""
from __future__ import annotations

from enum import StrEnum


class OutboxStatus(StrEnum):
    """Where an outbox row stands: `pending` → (claimed) `sending` → `sent` | `failed` |
    `skipped` (no longer relevant when its turn came), or back to `pending` to retry."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    skipped = "skipped"
