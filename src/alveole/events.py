"""Domain events and the Notifier port through which every email leaves a use case.

A use case collects events while it changes the database and, inside the same transaction,
asks the injected `Notifier` which outbox rows they mean (a pure function), then writes those
rows with `OUTBOX_INSERT_*`. So a crash can neither lose nor invent a message. The `notify`
package implements the Notifier; tests may use `RecordingNotifier`.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol


@dataclass(frozen=True)
class DomainEvent:
    """Base of every event. `at` is the clock's now when it happened."""

    at: dt.datetime

    @property
    def name(self) -> str:
        return type(self).__name__

    def as_payload(self) -> dict[str, Any]:
        # a shallow walk: events hold only scalars and tuples, and `asdict` deep-copies (it
        # cost a booking ~60 µs, on the write path)
        return {f.name: (v.isoformat() if isinstance(v := getattr(self, f.name), dt.datetime) else v)
                for f in fields(self)}


@dataclass(frozen=True)
class OutboxRow:
    """One email to send: who, what kind, a unique dedupe key and what the renderer needs."""

    kind: str
    dedupe_key: str
    recipient_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)
    recipient_email: str = ""

    def params(self, now: dt.datetime, *, postgres: bool) -> tuple[Any, ...]:
        """Parameters for OUTBOX_INSERT_* (asyncpg wants datetimes, sqlite3 Piccolo's text form)."""
        utc = now.astimezone(dt.timezone.utc)
        stamp: Any = utc if postgres else str(utc)
        return (
            self.kind, self.recipient_id, self.recipient_email, self.dedupe_key,
            json.dumps(self.payload, separators=(",", ":"), default=str), stamp, stamp,
        )


_OUTBOX_COLUMNS = (
    '"kind", "recipient", "recipient_email", "dedupe_key", "payload", "next_attempt_at", '
    '"created_at", "status", "attempts", "attachments"'
)
OUTBOX_INSERT_SQLITE = (
    f"INSERT INTO outbox_message ({_OUTBOX_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, '[]') "
    "ON CONFLICT (dedupe_key) DO NOTHING"
)
OUTBOX_INSERT_POSTGRES = (
    f"INSERT INTO outbox_message ({_OUTBOX_COLUMNS}) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, '[]') "
    "ON CONFLICT (dedupe_key) DO NOTHING"
)
# Piccolo's `Table.raw` placeholder style, for use inside a Piccolo transaction on either back end
OUTBOX_INSERT_PICCOLO = (
    f"INSERT INTO outbox_message ({_OUTBOX_COLUMNS}) VALUES ({{}}, {{}}, {{}}, {{}}, {{}}, {{}}, {{}}, "
    "'pending', 0, '[]') ON CONFLICT (dedupe_key) DO NOTHING"
)


class Notifier(Protocol):
    def outbox_rows(self, events: Sequence[DomainEvent]) -> list[OutboxRow]:
        """Which emails these events mean. Pure: no I/O, no await."""


class RecordingNotifier:
    """Remembers the events it was shown and sends nothing (tests of the domain alone)."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def outbox_rows(self, events: Sequence[DomainEvent]) -> list[OutboxRow]:
        self.events.extend(events)
        return []

    def names(self) -> list[str]:
        return [e.name for e in self.events]


# ---------------------------------------------------------------------------------------------
# The event catalogue: the contract between the domain packages and `notify`.
# Ids only (plus what cannot be recomputed later); the renderer loads the rest.
# `booking_ids=None` on a session event means "every confirmed booking of the session at
# delivery time" (notify fans it out); a tuple names the bookings concerned explicitly.


@dataclass(frozen=True)
class WorkshopSubmitted(DomainEvent):
    workshop_id: int
    community_id: int
    host_id: int


@dataclass(frozen=True)
class WorkshopApproved(DomainEvent):
    workshop_id: int
    host_id: int


@dataclass(frozen=True)
class WorkshopRejected(DomainEvent):
    workshop_id: int
    host_id: int
    reason: str


@dataclass(frozen=True)
class SessionUpdated(DomainEvent):
    """Time or place changed; `sequence` is the session's new sequence."""

    session_id: int
    sequence: int
    booking_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class SessionCancelled(DomainEvent):
    session_id: int
    sequence: int
    reason: str
    booking_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class BookingConfirmed(DomainEvent):
    booking_id: int
    session_id: int
    user_id: int
    via_waitlist: bool = False


@dataclass(frozen=True)
class BookingPendingPayment(DomainEvent):
    booking_id: int
    session_id: int
    user_id: int
    checkout_url: str
    hold_expires_at: dt.datetime


@dataclass(frozen=True)
class BookingCancelled(DomainEvent):
    booking_id: int
    session_id: int
    user_id: int
    by: str  # participant | host | organizer | system
    late: bool = False


@dataclass(frozen=True)
class RefundIssued(DomainEvent):
    booking_id: int
    user_id: int
    amount_cents: int
    currency: str


@dataclass(frozen=True)
class HoldExpired(DomainEvent):
    booking_id: int
    session_id: int
    user_id: int


@dataclass(frozen=True)
class WaitlistJoined(DomainEvent):
    entry_id: int
    session_id: int
    user_id: int
    position: int


@dataclass(frozen=True)
class WaitlistOffered(DomainEvent):
    entry_id: int
    session_id: int
    user_id: int
    offer_expires_at: dt.datetime


@dataclass(frozen=True)
class OfferExpired(DomainEvent):
    entry_id: int
    session_id: int
    user_id: int
