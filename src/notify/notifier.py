"""The Notifier that turns domain events into outbox rows: a pure mapping, no I/O.

Every row has a dedupe key naming one real message, so writing it twice (a retried use case,
a fan-out expanded again after a crash) still yields one email:

| event                                   | kind                | dedupe key                                         | recipient |
|-----------------------------------------|---------------------|----------------------------------------------------|-----------|
| BookingConfirmed                        | booking_confirmed   | booking_confirmed:{booking_id}                     | user_id   |
| BookingConfirmed(via_waitlist=True)     | waitlist_booked     | waitlist_booked:{booking_id}                       | user_id   |
| BookingPendingPayment                   | payment_link        | payment_link:{booking_id}                          | user_id   |
| BookingCancelled                        | booking_cancelled   | booking_cancelled:{booking_id}                     | user_id   |
| BookingReleased                         | booking_released    | booking_released:{booking_id}                      | user_id   |
| RefundIssued                            | refund_issued       | refund_issued:{booking_id}                         | user_id   |
| HoldExpired                             | hold_expired        | hold_expired:{booking_id}                          | user_id   |
| WaitlistJoined                          | waitlist_joined     | waitlist_joined:{entry_id}                         | user_id   |
| WaitlistOffered                         | waitlist_offer      | waitlist_offer:{entry_id}                          | user_id   |
| OfferExpired                            | offer_expired       | offer_expired:{entry_id}                           | user_id   |
| SessionUpdated(booking_ids=(…))         | session_updated     | session_updated:{session_id}:{sequence}:{booking_id} | None → the booking's participant, resolved when rendered |
| SessionUpdated(booking_ids=None)        | session_updated     | session_updated:{session_id}:{sequence}  (fan-out row; children as above) | None |
| SessionCancelled(booking_ids=(…))       | session_cancelled   | session_cancelled:{session_id}:{booking_id}        | None → the booking's participant |
| SessionCancelled(waitlist_entry_ids=(…))| session_cancelled   | session_cancelled:{session_id}:entry:{entry_id}    | None → the entry's participant (no invite) |
| WorkshopSubmitted                       | workshop_submitted  | workshop_submitted:{workshop_id}:{at}  (fan-out row; children …:{organizer_id}) | None |
| WorkshopApproved                        | workshop_approved   | workshop_approved:{workshop_id}:{at}               | host_id   |
| WorkshopRejected                        | workshop_rejected   | workshop_rejected:{workshop_id}:{at}               | host_id   |
| EmailVerificationRequested              | verify_email        | verify_email:{nonce}                               | user_id   |
| PasswordResetRequested                  | password_reset      | password_reset:{nonce}                             | user_id   |
| (reminders job)                         | reminder            | reminder:{booking_id}:{offset_seconds}             | participant |
| (reminders job)                         | host_roster         | host_roster:{session_id}                           | host      |
| (feedback job)                          | feedback_request    | feedback_request:{booking_id}                      | participant |

`{at}` is the event's instant in microseconds since the epoch: a workshop may be submitted
and rejected again after edits, and each round is a real message of its own.

A BookingCancelled whose booking is named by a SessionCancelled of the same batch gives no
row of its own: the participant gets the session_cancelled message (with its CANCEL) only.

session_updated rows carry a coalescing key, `session_updated:{session_id}:{booking_id}` (the
fan-out row: `…:participants`): while a row of that key is pending and not yet rendered, a newer
one takes over its dedupe key and payload instead of adding a row, so a burst of changes to
one session gives each participant ONE message, rendered from the session as it then is (its
SEQUENCE still comes from the per-(session, participant) counter, so it only goes up).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from kernel.events import (
    BookingCancelled,
    BookingConfirmed,
    BookingPendingPayment,
    BookingReleased,
    DomainEvent,
    EmailVerificationRequested,
    HoldExpired,
    OfferExpired,
    OutboxRow,
    PasswordResetRequested,
    RefundIssued,
    SessionCancelled,
    SessionUpdated,
    WaitlistJoined,
    WaitlistOffered,
    WorkshopApproved,
    WorkshopRejected,
    WorkshopSubmitted,
)
from kernel.sql import Sql
from notify.repository import outbox_statements

KINDS = (
    "booking_confirmed", "booking_cancelled", "session_updated", "session_cancelled",
    "waitlist_joined", "waitlist_offer", "waitlist_booked", "offer_expired", "hold_expired",
    "payment_link", "refund_issued", "reminder", "host_roster", "workshop_submitted",
    "workshop_approved", "workshop_rejected", "feedback_request", "verify_email", "password_reset",
    "booking_released",
)
# Kinds whose email carries an iCalendar part (and bumps the participant's SEQUENCE)
CALENDAR_METHODS = {
    "booking_confirmed": "REQUEST",
    "waitlist_booked": "REQUEST",
    "session_updated": "REQUEST",
    "booking_cancelled": "CANCEL",
    "session_cancelled": "CANCEL",
}
FANOUT_SESSION_PARTICIPANTS = "session_participants"
FANOUT_COMMUNITY_ORGANIZERS = "community_organizers"


def instant_key(event: DomainEvent) -> int:
    """The event's instant as an integer, for keys of messages that may recur."""
    return int(event.at.timestamp() * 1_000_000)


def session_updated_key(session_id: int, sequence: int, booking_id: int) -> str:
    return f"session_updated:{session_id}:{sequence}:{booking_id}"


def session_updated_coalesce_key(session_id: int, booking_id: int | None) -> str:
    """One pending session_updated per (session, booking) — or per session for the fan-out row:
    a burst of changes gives each participant one message with the latest state."""
    return f"session_updated:{session_id}:{'participants' if booking_id is None else booking_id}"


def workshop_submitted_key(fanout_key: str, organizer_id: int) -> str:
    return f"{fanout_key}:{organizer_id}"


def reminder_key(booking_id: int, offset_seconds: int) -> str:
    return f"reminder:{booking_id}:{offset_seconds}"


def host_roster_key(session_id: int) -> str:
    return f"host_roster:{session_id}"


def feedback_request_key(booking_id: int) -> str:
    return f"feedback_request:{booking_id}"


class OutboxNotifier:
    """Maps events to outbox rows. Pure and deterministic: the same events give the same rows."""

    def outbox_writes(self, events: Sequence[DomainEvent], now: dt.datetime) -> list[tuple[Sql, tuple[Any, ...]]]:
        return [statement for row in self.outbox_rows(events) for statement in outbox_statements(row, now)]

    def outbox_rows(self, events: Sequence[DomainEvent]) -> list[OutboxRow]:
        covered = {
            booking_id
            for event in events if isinstance(event, SessionCancelled)
            for booking_id in event.booking_ids
        }
        rows: list[OutboxRow] = []
        for event in events:
            if isinstance(event, BookingCancelled) and event.booking_id in covered:
                continue
            rows.extend(self._rows_for(event))
        return rows

    def _rows_for(self, event: DomainEvent) -> list[OutboxRow]:
        payload: dict[str, Any] = event.as_payload()
        payload["event"] = event.name
        match event:
            case BookingConfirmed(booking_id=booking_id, user_id=user_id, via_waitlist=via):
                kind = "waitlist_booked" if via else "booking_confirmed"
                return [OutboxRow(kind, f"{kind}:{booking_id}", user_id, payload)]
            case BookingPendingPayment(booking_id=booking_id, user_id=user_id):
                return [OutboxRow("payment_link", f"payment_link:{booking_id}", user_id, payload)]
            case BookingCancelled(booking_id=booking_id, user_id=user_id):
                return [OutboxRow("booking_cancelled", f"booking_cancelled:{booking_id}", user_id,
                                  payload)]
            case BookingReleased(booking_id=booking_id, user_id=user_id):
                return [OutboxRow("booking_released", f"booking_released:{booking_id}", user_id, payload)]
            case RefundIssued(booking_id=booking_id, user_id=user_id):
                return [OutboxRow("refund_issued", f"refund_issued:{booking_id}", user_id, payload)]
            case HoldExpired(booking_id=booking_id, user_id=user_id):
                return [OutboxRow("hold_expired", f"hold_expired:{booking_id}", user_id, payload)]
            case WaitlistJoined(entry_id=entry_id, user_id=user_id):
                return [OutboxRow("waitlist_joined", f"waitlist_joined:{entry_id}", user_id, payload)]
            case WaitlistOffered(entry_id=entry_id, user_id=user_id):
                return [OutboxRow("waitlist_offer", f"waitlist_offer:{entry_id}", user_id, payload)]
            case OfferExpired(entry_id=entry_id, user_id=user_id):
                return [OutboxRow("offer_expired", f"offer_expired:{entry_id}", user_id, payload)]
            case SessionUpdated(session_id=session_id, sequence=sequence, booking_ids=None):
                payload.pop("booking_ids", None)
                payload["fanout"] = FANOUT_SESSION_PARTICIPANTS
                return [OutboxRow("session_updated", f"session_updated:{session_id}:{sequence}",
                                  None, payload, coalesce_key=session_updated_coalesce_key(session_id, None))]
            case SessionUpdated(session_id=session_id, sequence=sequence, booking_ids=ids):
                payload.pop("booking_ids", None)
                return [
                    OutboxRow("session_updated", session_updated_key(session_id, sequence, b),
                              None, {**payload, "booking_id": b},
                              coalesce_key=session_updated_coalesce_key(session_id, b))
                    for b in dict.fromkeys(ids)
                ]
            case SessionCancelled(session_id=session_id, booking_ids=ids, waitlist_entry_ids=entries):
                payload.pop("booking_ids", None)
                payload.pop("waitlist_entry_ids", None)
                return [
                    OutboxRow("session_cancelled", f"session_cancelled:{session_id}:{b}", None,
                              {**payload, "booking_id": b})
                    for b in dict.fromkeys(ids)
                ] + [
                    OutboxRow("session_cancelled", f"session_cancelled:{session_id}:entry:{e}", None,
                              {**payload, "entry_id": e})
                    for e in dict.fromkeys(entries)
                ]
            case WorkshopSubmitted(workshop_id=workshop_id):
                payload["fanout"] = FANOUT_COMMUNITY_ORGANIZERS
                return [OutboxRow("workshop_submitted",
                                  f"workshop_submitted:{workshop_id}:{instant_key(event)}", None,
                                  payload)]
            case EmailVerificationRequested(user_id=user_id, nonce=nonce):
                # the payload holds the nonce, never the token (accounts.tokens)
                return [OutboxRow("verify_email", f"verify_email:{nonce}", user_id, payload)]
            case PasswordResetRequested(user_id=user_id, nonce=nonce):
                return [OutboxRow("password_reset", f"password_reset:{nonce}", user_id, payload)]
            case WorkshopApproved(workshop_id=workshop_id, host_id=host_id):
                # each approval is a message of its own: an edited workshop is approved again
                return [OutboxRow("workshop_approved",
                                  f"workshop_approved:{workshop_id}:{instant_key(event)}", host_id,
                                  payload)]
            case WorkshopRejected(workshop_id=workshop_id, host_id=host_id):
                return [OutboxRow("workshop_rejected",
                                  f"workshop_rejected:{workshop_id}:{instant_key(event)}", host_id,
                                  payload)]
        return []
