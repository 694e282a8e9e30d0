"""What the bootstrap hands to every part: settings, clock, database, notifier and the
process's long-lived parts, each a typed field."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from kernel.clock import Clock
from kernel.db import Database
from kernel.events import Notifier
from kernel.ports import BookingStats, Mailer, NoBookings, PersonalData, SerialStore
from kernel.ratelimit import RateLimits
from kernel.settings import Settings


@dataclass(eq=False)
class Runtime:
    settings: Settings
    clock: Clock
    notifier: Notifier
    rate_limits: RateLimits
    mailer: Mailer | None = None  # built by notify on first delivery unless given
    texter: Any = None  # where text messages go (notify.texters), built like the mailer
    database: Database | None = None  # connected by the bootstrap's start()
    booking_store: SerialStore | None = None  # started by the bootstrap's start()
    booking_stats: BookingStats = field(default_factory=NoBookings)
    # every package's share of export and erasure, beside accounts' own (see kernel.ports)
    personal_data: tuple[PersonalData, ...] = ()
    # this process's name when it claims outbox rows (random: two processes never share one)
    worker_id: str = field(default_factory=lambda: f"{os.getpid()}-{secrets.token_hex(8)}")
    # set when the process is asked to stop: long jobs finish what they hold and take no more
    stopping: bool = False

    @property
    def db(self) -> Database:
        assert self.database is not None, "database not connected yet"
        return self.database

    @property
    def store(self) -> SerialStore:
        assert self.booking_store is not None, "booking store not started yet"
        return self.booking_store
