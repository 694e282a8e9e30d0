"""The Notifier that turns domain events into outbox rows (placeholder until notify lands)."""
from __future__ import annotations

from collections.abc import Sequence

from alveole.events import DomainEvent, OutboxRow


class OutboxNotifier:
    def outbox_rows(self, events: Sequence[DomainEvent]) -> list[OutboxRow]:
        return []
