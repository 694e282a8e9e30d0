"""Domain events and the Notifier port through which every email leaves a use case.

A use case collects events while it changes the database and, inside the same transaction,
asks the injected `Notifier` which outbox rows they mean (a pure function) and runs the
statements it gives (`Tx.emit`). So a crash can neither lose nor invent a message. The `notify`
package implements the Notifier and owns the outbox's SQL; tests may use `RecordingNotifier`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from kernel.sql import Sql


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
    # set: a pending, unrendered row with the same key takes this one's dedupe key and payload
    # instead of a new row being added (the latest state wins; `notify.repository`)
    coalesce_key: str | None = None
    # "email", or "sms" for a text message (the recipient's number is resolved when it is rendered)
    channel: str = "email"


class Notifier(Protocol):
    """The port through which every email leaves a use case (implemented by `notify`)."""

    def outbox_rows(self, events: Sequence[DomainEvent]) -> list[OutboxRow]:
        """Which emails these events mean. Pure: no I/O, no await."""

    def outbox_writes(self, events: Sequence[DomainEvent], now: dt.datetime) -> list[tuple[Sql, tuple[Any, ...]]]:
        """The statements that write those rows, for the caller's transaction (`Tx.emit`)."""


class RecordingNotifier:
    """Remembers the events it was shown and sends nothing (tests of the domain alone)."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def outbox_rows(self, events: Sequence[DomainEvent]) -> list[OutboxRow]:
        self.events.extend(events)
        return []

    def outbox_writes(self, events: Sequence[DomainEvent], now: dt.datetime) -> list[tuple[Sql, tuple[Any, ...]]]:
        self.outbox_rows(events)
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
    """`booking_ids`: the bookings it cancelled; `waitlist_entry_ids`: the entries it withdrew
    (waiting or offered), whose participants are told too."""

    session_id: int
    sequence: int
    reason: str
    booking_ids: tuple[int, ...] = ()
    waitlist_entry_ids: tuple[int, ...] = ()


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
class BookingReleased(DomainEvent):
    """A free or on-site booking not checked in by start + ALVEOLE_NOSHOW_RELEASE_MINUTES: its
    seats went to the people on standby at the door (`user_id`: its participant, or the relay
    who made it)."""

    booking_id: int
    session_id: int
    user_id: int


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


@dataclass(frozen=True)
class EmailVerificationRequested(DomainEvent):
    """A `verify_email` link for `user_id`; `nonce` derives its token (accounts.tokens)."""

    user_id: int
    nonce: str


@dataclass(frozen=True)
class PasswordResetRequested(DomainEvent):
    """A `password_reset` link for `user_id`; `nonce` derives its token (accounts.tokens)."""

    user_id: int
    nonce: str
