"""What the composition root hands to every part: settings, clock, database, notifier, mailer."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alveole.clock import Clock
from alveole.db import Database
from alveole.events import Notifier
from alveole.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    notifier: Notifier
    mailer: Any = None  # notify.mailers.Mailer; Any here so alveole needs no import of notify
    database: Database | None = None
    # per-package singletons built at start-up (e.g. the booking store), by name
    parts: dict[str, Any] = field(default_factory=dict)

    @property
    def db(self) -> Database:
        assert self.database is not None, "database not connected yet"
        return self.database
