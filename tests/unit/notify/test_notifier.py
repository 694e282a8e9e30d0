"""OutboxNotifier: every event maps to the right kind, recipient and a stable dedupe key."""
from __future__ import annotations

import datetime as dt

import pytest

from kernel.events import (
    BookingCancelled,
    BookingConfirmed,
    BookingPendingPayment,
    HoldExpired,
    OfferExpired,
    RefundIssued,
    SessionCancelled,
    SessionUpdated,
    WaitlistJoined,
    WaitlistOffered,
    WorkshopApproved,
    WorkshopRejected,
    WorkshopSubmitted,
)
from importlib.resources import files
from notify.repository import outbox_params
from notify.notifier import (
    CALENDAR_METHODS,
    FANOUT_COMMUNITY_ORGANIZERS,
    FANOUT_SESSION_PARTICIPANTS,
    KINDS,
    OutboxNotifier,
)

AT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
LATER = AT + dt.timedelta(minutes=5)


def rows(*events):
    return OutboxNotifier().outbox_rows(list(events))


def one(event):
    (row,) = rows(event)
    return row.kind, row.dedupe_key, row.recipient_id


@pytest.mark.parametrize(("event", "expected"), [
    (BookingConfirmed(at=AT, booking_id=7, session_id=3, user_id=5),
     ("booking_confirmed", "booking_confirmed:7", 5)),
    (BookingConfirmed(at=AT, booking_id=7, session_id=3, user_id=5, via_waitlist=True),
     ("waitlist_booked", "waitlist_booked:7", 5)),
    (BookingPendingPayment(at=AT, booking_id=7, session_id=3, user_id=5,
                           checkout_url="https://pay", hold_expires_at=LATER),
     ("payment_link", "payment_link:7", 5)),
    (BookingCancelled(at=AT, booking_id=7, session_id=3, user_id=5, by="participant"),
     ("booking_cancelled", "booking_cancelled:7", 5)),
    (RefundIssued(at=AT, booking_id=7, user_id=5, amount_cents=1500, currency="eur"),
     ("refund_issued", "refund_issued:7", 5)),
    (HoldExpired(at=AT, booking_id=7, session_id=3, user_id=5),
     ("hold_expired", "hold_expired:7", 5)),
    (WaitlistJoined(at=AT, entry_id=9, session_id=3, user_id=5, position=2),
     ("waitlist_joined", "waitlist_joined:9", 5)),
    (WaitlistOffered(at=AT, entry_id=9, session_id=3, user_id=5, offer_expires_at=LATER),
     ("waitlist_offer", "waitlist_offer:9", 5)),
    (OfferExpired(at=AT, entry_id=9, session_id=3, user_id=5),
     ("offer_expired", "offer_expired:9", 5)),
    (WorkshopApproved(at=AT, workshop_id=4, host_id=6),
     ("workshop_approved", f"workshop_approved:4:{int(AT.timestamp() * 1_000_000)}", 6)),
])
def test_one_event_one_row_for_its_participant(event, expected):
    assert one(event) == expected


def test_rejection_goes_to_the_host_with_the_reason_and_each_round_is_its_own_message():
    first = rows(WorkshopRejected(at=AT, workshop_id=4, host_id=6, reason="Too vague"))[0]
    again = rows(WorkshopRejected(at=LATER, workshop_id=4, host_id=6, reason="Still vague"))[0]
    assert (first.kind, first.recipient_id, first.payload["reason"]) == ("workshop_rejected", 6, "Too vague")
    assert first.dedupe_key.startswith("workshop_rejected:4:")
    assert first.dedupe_key != again.dedupe_key


def test_submission_is_one_fan_out_row_to_the_community_organizers():
    (row,) = rows(WorkshopSubmitted(at=AT, workshop_id=4, community_id=2, host_id=6))
    assert row.kind == "workshop_submitted" and row.recipient_id is None
    assert row.payload["fanout"] == FANOUT_COMMUNITY_ORGANIZERS
    assert row.payload["community_id"] == 2 and row.payload["workshop_id"] == 4
    assert row.dedupe_key == f"workshop_submitted:4:{int(AT.timestamp() * 1_000_000)}"


def test_session_update_without_bookings_named_is_one_fan_out_row():
    (row,) = rows(SessionUpdated(at=AT, session_id=3, sequence=2))
    assert (row.kind, row.dedupe_key, row.recipient_id) == ("session_updated", "session_updated:3:2", None)
    assert row.payload["fanout"] == FANOUT_SESSION_PARTICIPANTS
    assert row.payload["session_id"] == 3 and row.payload["sequence"] == 2


def test_session_update_with_bookings_named_is_one_row_per_booking():
    found = rows(SessionUpdated(at=AT, session_id=3, sequence=2, booking_ids=(10, 11, 10)))
    assert [r.dedupe_key for r in found] == ["session_updated:3:2:10", "session_updated:3:2:11"]
    assert [r.payload["booking_id"] for r in found] == [10, 11]
    assert all("fanout" not in r.payload for r in found)


def test_each_new_sequence_of_a_session_is_a_new_message():
    assert rows(SessionUpdated(at=AT, session_id=3, sequence=2, booking_ids=(10,)))[0].dedupe_key != \
        rows(SessionUpdated(at=AT, session_id=3, sequence=3, booking_ids=(10,)))[0].dedupe_key


def test_session_cancellation_is_one_row_per_booking_with_the_reason():
    found = rows(SessionCancelled(at=AT, session_id=3, sequence=4, reason="Flooded", booking_ids=(10, 11)))
    assert [(r.kind, r.dedupe_key) for r in found] == [
        ("session_cancelled", "session_cancelled:3:10"), ("session_cancelled", "session_cancelled:3:11")]
    assert {r.payload["reason"] for r in found} == {"Flooded"}


def test_a_booking_cancelled_with_its_session_gets_only_the_session_message():
    found = rows(
        BookingCancelled(at=AT, booking_id=10, session_id=3, user_id=5, by="host"),
        BookingCancelled(at=AT, booking_id=12, session_id=8, user_id=5, by="participant"),
        SessionCancelled(at=AT, session_id=3, sequence=4, reason="Flooded", booking_ids=(10,)),
        RefundIssued(at=AT, booking_id=10, user_id=5, amount_cents=500, currency="eur"),
    )
    assert [r.dedupe_key for r in found] == [
        "booking_cancelled:12", "session_cancelled:3:10", "refund_issued:10"]


def test_mapping_is_deterministic_and_json_safe():
    import json

    events = [BookingPendingPayment(at=AT, booking_id=7, session_id=3, user_id=5,
                                    checkout_url="https://pay", hold_expires_at=LATER),
              SessionUpdated(at=AT, session_id=3, sequence=2, booking_ids=(1, 2))]
    first, second = rows(*events), rows(*events)
    assert first == second
    for row in first:
        assert json.loads(outbox_params(row, AT)[4])["event"] == type(
            next(e for e in events if e.name == row.payload["event"])).__name__
    assert first[0].payload["hold_expires_at"] == LATER.isoformat()


def test_every_kind_has_text_and_html_templates_and_calendar_kinds_are_known():
    for kind in KINDS:
        assert (files("notify") / "templates" / "email" / f"{kind}.txt").is_file(), kind
        assert (files("notify") / "templates" / "email" / f"{kind}.html").is_file(), kind
    assert set(CALENDAR_METHODS) <= set(KINDS)
    assert len(KINDS) == len(set(KINDS)) == 20  # + verify_email, password_reset, booking_released
