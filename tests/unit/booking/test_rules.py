"""The booking rules alone: no database, no clock but the one passed in."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from kernel.errors import Forbidden, InvalidState, ValidationFailed
from booking import rules
from booking.errors import (
    AlreadyBooked,
    BookingClosed,
    CapacityBelowBookings,
    PaymentsNotConfigured,
    SessionFull,
    WaitlistDisabled,
)
from booking.rules import BookingPolicy, Occupancy, SessionFacts, WaitingEntry

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
SESSION = SessionFacts(
    id=1, workshop_id=2, host_id=3, community_id=4, starts_at=NOW + dt.timedelta(days=2),
    ends_at=NOW + dt.timedelta(days=2, hours=2), timezone="Europe/Paris", capacity=10, status="scheduled",
    sequence=0, workshop_status="published", payment="free", price_cents=0, currency="eur",
    max_seats_per_booking=4, waitlist_enabled=True, waitlist_mode="auto", offer_ttl_minutes=60,
    cancellation_deadline_hours=24,
)
HOLD = BookingPolicy(payment_hold=dt.timedelta(minutes=30))


def entries(*sizes: int) -> list[WaitingEntry]:
    return [WaitingEntry(id=n, user_id=100 + n, seats=s) for n, s in enumerate(sizes, start=1)]


class TestSeats:
    @pytest.mark.parametrize("capacity, taken, free", [(10, 0, 10), (10, 10, 0), (10, 12, 0), (3, 1, 2)])
    def test_seats_free(self, capacity, taken, free):
        assert rules.seats_free(capacity, taken) == free

    def test_taken_counts_offers_too(self):
        assert Occupancy(booked=3, offered=2, waiting=5).taken == 5

    @pytest.mark.parametrize("seats", [0, -1, 5])
    def test_out_of_range_seats_name_the_field(self, seats):
        with pytest.raises(ValidationFailed) as caught:
            rules.check_seats(seats, 4)
        assert caught.value.extra["errors"][0]["field"] == "seats"

    def test_room(self):
        rules.ensure_room(10, 7, 3)
        with pytest.raises(SessionFull) as caught:
            rules.ensure_room(10, 8, 3)
        assert caught.value.extra["seats_left"] == 2


class TestClosed:
    def test_open(self):
        assert rules.closed_reason(SESSION, NOW) is None

    @pytest.mark.parametrize("session, now", [
        (replace(SESSION, status="cancelled"), NOW),
        (replace(SESSION, workshop_status="draft"), NOW),
        (replace(SESSION, workshop_status="archived"), NOW),
        (SESSION, SESSION.starts_at),
        (SESSION, SESSION.starts_at + dt.timedelta(seconds=1)),
    ])
    def test_closed(self, session, now):
        with pytest.raises(BookingClosed):
            rules.ensure_open(session, now)
        assert not rules.may_promote(session, now)

    def test_already_booked_or_waiting(self):
        rules.ensure_not_booked(False, False)
        for flags in ((True, False), (False, True)):
            with pytest.raises(AlreadyBooked):
                rules.ensure_not_booked(*flags)


class TestNewBooking:
    def test_free(self):
        assert rules.new_booking(SESSION, 3, NOW, BookingPolicy()) == rules.NewBooking("confirmed", 0, "eur", None)

    def test_on_site_owes_price_times_seats(self):
        session = replace(SESSION, payment="on_site", price_cents=1500)
        assert rules.new_booking(session, 3, NOW, BookingPolicy()).amount_cents == 4500

    def test_online_payment_opens_a_hold(self):
        session = replace(SESSION, payment="stripe", price_cents=1000)
        new = rules.new_booking(session, 2, NOW, HOLD)
        assert (new.status, new.amount_cents, new.hold_expires_at) == ("pending_payment", 2000, NOW + HOLD.payment_hold)

    def test_online_payment_without_a_provider(self):
        with pytest.raises(PaymentsNotConfigured):
            rules.new_booking(replace(SESSION, payment="stripe"), 1, NOW, BookingPolicy())


class TestCancellation:
    @pytest.mark.parametrize("hours_before, late", [(48, False), (24.001, False), (24, True), (1, True)])
    def test_late_from_the_deadline_on(self, hours_before, late):
        starts = SESSION.starts_at
        assert rules.is_late_cancellation(starts, 24, starts - dt.timedelta(hours=hours_before)) is late

    def test_zero_deadline_is_never_late_before_the_start(self):
        starts = SESSION.starts_at
        assert not rules.is_late_cancellation(starts, 0, starts - dt.timedelta(seconds=1))

    @pytest.mark.parametrize("user, organizer, role", [
        (7, False, "participant"), (3, False, "host"), (9, True, "organizer"), (9, False, None), (7, True, "participant"),
    ])
    def test_roles(self, user, organizer, role):
        assert rules.cancellation_role(user, participant_id=7, host_id=3, is_organizer=organizer) == role

    def test_only_active_bookings_before_the_start(self):
        rules.ensure_cancellable("confirmed", SESSION, NOW)
        rules.ensure_cancellable("pending_payment", SESSION, NOW)
        for status in ("cancelled", "expired"):
            with pytest.raises(InvalidState):
                rules.ensure_cancellable(status, SESSION, NOW)
        with pytest.raises(BookingClosed):
            rules.ensure_cancellable("confirmed", SESSION, SESSION.starts_at)


class TestWaitlistOrder:
    def test_first_come_first_served(self):
        assert [e.id for e in rules.next_waitlist_entries(entries(1, 1, 1), 2)] == [1, 2]

    def test_too_big_is_skipped_and_smaller_later_ones_served(self):
        assert [e.id for e in rules.next_waitlist_entries(entries(1, 2, 1), 2)] == [1, 3]
        assert [e.id for e in rules.next_waitlist_entries(entries(3, 2, 2, 1), 3)] == [1]
        assert [e.id for e in rules.next_waitlist_entries(entries(4, 2, 2, 1), 3)] == [2, 4]

    def test_order_is_by_id_whatever_the_input_order(self):
        assert [e.id for e in rules.next_waitlist_entries(entries(1, 1, 1)[::-1], 2)] == [1, 2]

    def test_nothing_free_nobody_served(self):
        assert rules.next_waitlist_entries(entries(1), 0) == []

    def test_promotion_kinds(self):
        assert rules.promotion_kind(SESSION, BookingPolicy()) == "book"
        assert rules.promotion_kind(replace(SESSION, waitlist_mode="offer"), BookingPolicy()) == "offer"
        assert rules.promotion_kind(replace(SESSION, payment="stripe"), BookingPolicy()) is None
        assert rules.promotion_kind(replace(SESSION, payment="stripe"), HOLD) == "book"

    def test_offer_expiry(self):
        assert rules.offer_expiry(SESSION, NOW) == NOW + dt.timedelta(minutes=60)


class TestJoinWaitlist:
    def test_joins_when_the_seats_wanted_are_not_free(self):
        rules.ensure_may_join_waitlist(SESSION, Occupancy(booked=9), 2)

    def test_book_instead(self):
        with pytest.raises(InvalidState, match="book instead"):
            rules.ensure_may_join_waitlist(SESSION, Occupancy(booked=8), 2)

    def test_disabled(self):
        with pytest.raises(WaitlistDisabled):
            rules.ensure_may_join_waitlist(replace(SESSION, waitlist_enabled=False), Occupancy(booked=10), 1)

    def test_more_than_the_capacity(self):
        with pytest.raises(ValidationFailed):
            rules.ensure_may_join_waitlist(replace(SESSION, capacity=2), Occupancy(booked=2), 3)


class TestSessionChanges:
    def test_capacity_not_below_taken(self):
        rules.ensure_capacity(5, Occupancy(booked=3, offered=2))
        with pytest.raises(CapacityBelowBookings):
            rules.ensure_capacity(4, Occupancy(booked=3, offered=2))

    def test_times(self):
        later = SESSION.starts_at + dt.timedelta(hours=1)
        assert rules.session_times(SESSION, later, None, None, NOW) == (later, SESSION.ends_at)
        with pytest.raises(ValidationFailed):
            rules.session_times(SESSION, SESSION.ends_at, None, None, NOW)
        with pytest.raises(ValidationFailed):
            rules.session_times(SESSION, None, SESSION.starts_at - dt.timedelta(minutes=1), None, NOW)

    def test_naive_times_are_local(self):
        starts, _ = rules.session_times(SESSION, dt.datetime(2026, 12, 3, 10, 0), dt.datetime(2026, 12, 3, 12, 0),
                                        None, NOW)
        assert starts == dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc)

    def test_unchanged_times(self):
        assert rules.session_times(SESSION, None, None, "Asia/Tokyo", NOW) == (SESSION.starts_at, SESSION.ends_at)
        with pytest.raises(ValidationFailed):
            rules.session_times(SESSION, None, None, "Nowhere/Atlantis", NOW)

    def test_who_manages_a_session(self):
        assert rules.session_manager_role(3, 3, False, organizers_too=False) == "host"
        assert rules.session_manager_role(9, 3, True, organizers_too=True) == "organizer"
        with pytest.raises(Forbidden):
            rules.session_manager_role(9, 3, True, organizers_too=False)
        with pytest.raises(Forbidden):
            rules.session_manager_role(9, 3, False, organizers_too=True)

    def test_cancellable_until_the_end(self):
        rules.ensure_session_cancellable(SESSION, SESSION.starts_at)
        with pytest.raises(InvalidState):
            rules.ensure_session_cancellable(SESSION, SESSION.ends_at)
        with pytest.raises(InvalidState):
            rules.ensure_session_cancellable(replace(SESSION, status="cancelled"), NOW)
