"""A stateful test of the booking engine against a small in-memory model.

Random sequences of book / cancel / confirm a hold / join / leave / accept / expire (the
worker's jobs) / capacity change / clock advance run against the real store and database; after
every step the rows must match the model exactly (which entry was served, in FIFO order with the
skip rule, what expired) and the capacity invariant must hold on the rows themselves.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from alveole import bootstrap
from kernel.clock import FrozenClock
from kernel.errors import DomainError
from kernel.runtime import Runtime
from kernel.settings import Settings
from booking import ops, service
from booking.rules import BookingPolicy
from tests.conftest import PG_URL, T0, _truncate_postgres
from tests.factories import make_session, make_user, make_workshop
from tests.integration.booking.support import OutboxCountingNotifier, rows, seats_taken_now

pytestmark = pytest.mark.slow
HOLD = dt.timedelta(minutes=20)
TTL = 30  # minutes an offer stays open
MAX_SEATS = 3
USERS = 6


@dataclass
class MBooking:
    user: int
    seats: int
    status: str
    hold_until: dt.datetime | None = None


@dataclass
class MEntry:
    id: int
    user: int
    seats: int
    status: str = "waiting"
    offer_until: dt.datetime | None = None


class Model:
    """The booking rules, restated as plainly as possible."""

    def __init__(self, capacity: int, payment: str, mode: str, starts_at: dt.datetime) -> None:
        self.capacity, self.payment, self.mode, self.starts_at = capacity, payment, mode, starts_at
        self.bookings: list[MBooking] = []
        self.entries: list[MEntry] = []
        self.now = T0

    def taken(self) -> int:
        return (sum(b.seats for b in self.bookings if b.status == "confirmed")
                + sum(b.seats for b in self.bookings if b.status == "pending_payment" and b.hold_until > self.now)
                + sum(e.seats for e in self.entries if e.status == "offered" and e.offer_until > self.now))

    def open(self) -> bool:
        return self.now < self.starts_at

    def new_booking(self, user: int, seats: int) -> MBooking:
        if self.payment == "stripe":
            return MBooking(user, seats, "pending_payment", self.now + HOLD)
        return MBooking(user, seats, "confirmed")

    def settle(self) -> None:
        for b in self.bookings:
            if b.status == "pending_payment" and b.hold_until <= self.now:
                b.status = "expired"
        for e in self.entries:
            if e.status == "offered" and e.offer_until <= self.now:
                e.status = "expired"
        self.promote()

    def promote(self) -> None:
        if not self.open():
            return
        free = self.capacity - self.taken()
        for e in sorted(self.entries, key=lambda e: e.id):
            if free <= 0:
                break
            if e.status != "waiting" or e.seats > free:
                continue
            free -= e.seats
            if self.mode == "offer":
                e.status, e.offer_until = "offered", self.now + dt.timedelta(minutes=TTL)
            else:
                e.status = "booked"
                self.bookings.append(self.new_booking(e.user, e.seats))

    def active_booking(self, user: int) -> MBooking | None:
        return next((b for b in self.bookings if b.user == user and b.status in ("confirmed", "pending_payment")), None)

    def active_entry(self, user: int) -> MEntry | None:
        return next((e for e in self.entries if e.user == user and e.status in ("waiting", "offered")), None)


class BookingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = Path(tempfile.mkdtemp(prefix="alveole-sm-"))
        self.runtime: Runtime | None = None

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    @initialize(capacity=st.integers(1, 4), payment=st.sampled_from(["free", "stripe"]),
                mode=st.sampled_from(["auto", "offer"]))
    def setup(self, capacity: int, payment: str, mode: str) -> None:
        self.run(self._setup(capacity, payment, mode))

    async def _setup(self, capacity: int, payment: str, mode: str) -> None:
        if PG_URL:
            await _truncate_postgres(PG_URL)
            url = PG_URL
        else:
            path = self.tmp / "alveole.db"
            shutil.copyfile(TEMPLATE, path)
            url = f"sqlite:///{path}"
        self.clock = FrozenClock(T0)
        self.runtime = await bootstrap.start(bootstrap.build_runtime(
            Settings(database_url=url), clock=self.clock, notifier=OutboxCountingNotifier()))
        workshop = await make_workshop(capacity=capacity, payment=payment, price_cents=500 if payment == "stripe" else 0,
                                       waitlist_mode=mode, offer_ttl_minutes=TTL, max_seats_per_booking=4)
        self.host = workshop["host"]
        starts_at = T0 + dt.timedelta(minutes=150)
        self.session = await make_session(workshop, starts_at=starts_at)
        self.users = [(await make_user())["id"] for _ in range(USERS)]
        self.model = Model(capacity, payment, mode, starts_at)
        # someone holds every seat at first: the waitlist has something to wait for
        filler = (await make_user())["id"]
        self.users.append(filler)
        self.model.bookings.append(self.model.new_booking(filler, capacity))
        _, slug = await self._op(ops.book_seats, session_id=self.session["id"], user_id=filler, seats=capacity)
        assert slug is None

    def teardown(self) -> None:
        if self.runtime is not None and self.runtime.database is not None:
            self.run(bootstrap.stop(self.runtime))
        self.loop.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- running operations

    def op(self, fn, **kwargs):
        """Run an operation; returns (result, None) or (None, problem slug)."""
        return self.run(self._op(fn, **kwargs))

    async def _op(self, fn, **kwargs):
        policy = BookingPolicy(payment_hold=HOLD)
        try:
            return await self.runtime.store.run(partial(fn, now=self.clock.now(), policy=policy, **kwargs)), None
        except DomainError as error:
            return None, error.slug

    def expect(self, slug: str | None, expected: str | None) -> None:
        assert slug == expected, f"got {slug!r}, the model expected {expected!r}"

    # -- rules

    @rule(user=st.integers(0, USERS - 1), seats=st.sampled_from([1, 1, 1, 2, 2, 3, 5]))
    def book(self, user: int, seats: int) -> None:
        m, uid = self.model, self.users[user]
        m.settle()
        if seats > 4:
            expected = "validation-error"
        elif not m.open():
            expected = "booking-closed"
        elif (held := m.active_booking(uid)) and held.status == "pending_payment" and held.seats == seats:
            expected = None  # asking again for the same seats (a double click) answers the same hold
        elif m.active_booking(uid) or m.active_entry(uid):
            expected = "already-booked"
        elif seats > m.capacity - m.taken():
            expected = "session-full"
        else:
            expected = None
            m.bookings.append(m.new_booking(uid, seats))
        _, slug = self.op(ops.book_seats, session_id=self.session["id"], user_id=uid, seats=seats)
        self.expect(slug, expected)

    @precondition(lambda self: self.model.bookings)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        m = self.model
        uid = data.draw(st.sampled_from(sorted({b.user for b in m.bookings})))
        target = [b for b in m.bookings if b.user == uid][-1]
        booking_id = self.booking_ids(uid)[-1]
        m.settle()
        if target.status not in ("confirmed", "pending_payment"):
            expected = "invalid-state"
        elif not m.open():
            expected = "booking-closed"
        else:
            expected = None
            target.status = "cancelled"
            m.promote()
        _, slug = self.op(ops.cancel_booking, booking_id=booking_id, actor_id=uid)
        self.expect(slug, expected)

    @precondition(lambda self: self.model.bookings)
    @rule(data=st.data())
    def confirm_payment(self, data: st.DataObject) -> None:
        m = self.model
        uid = data.draw(st.sampled_from(sorted({b.user for b in m.bookings})))
        target, booking_id = [b for b in m.bookings if b.user == uid][-1], self.booking_ids(uid)[-1]
        m.settle()
        expected = None if target.status == "pending_payment" else "invalid-state"
        if expected is None:
            target.status, target.hold_until = "confirmed", None
        _, slug = self.op(ops.confirm_hold, booking_id=booking_id)
        self.expect(slug, expected)

    @rule(user=st.integers(0, USERS - 1), seats=st.sampled_from([1, 1, 2, 3]))
    def book_or_join(self, user: int, seats: int) -> None:
        """What a participant would do: book while the seats are free, else queue."""
        self.model.settle()
        if self.model.capacity - self.model.taken() >= seats:
            self.book(user, seats)
        else:
            self.join(user, seats)

    @rule(user=st.integers(0, USERS - 1), seats=st.sampled_from([1, 1, 2, 3]))
    def join(self, user: int, seats: int) -> None:
        m, uid = self.model, self.users[user]
        m.settle()
        if not m.open():
            expected = "booking-closed"
        elif seats > m.capacity:
            expected = "validation-error"
        elif m.capacity - m.taken() >= seats:
            expected = "invalid-state"
        elif m.active_booking(uid) or m.active_entry(uid):
            expected = "already-booked"
        else:
            expected = None
        result, slug = self.op(ops.join_waitlist, session_id=self.session["id"], user_id=uid, seats=seats)
        self.expect(slug, expected)
        if result:
            entry_id, position = result
            assert position == 1 + sum(1 for e in m.entries if e.status == "waiting")
            m.entries.append(MEntry(entry_id, uid, seats))

    @precondition(lambda self: self.model.entries)
    @rule(data=st.data())
    def leave(self, data: st.DataObject) -> None:
        m = self.model
        entry = data.draw(st.sampled_from(self.preferring(m.entries, ("waiting", "offered"))))
        uid = entry.user
        m.settle()
        if entry.status not in ("waiting", "offered"):
            expected = "invalid-state"
        else:
            expected, was = None, entry.status
            entry.status = "withdrawn"
            if was == "offered":
                m.promote()
        _, slug = self.op(ops.leave_waitlist, entry_id=entry.id, user_id=uid)
        self.expect(slug, expected)

    @precondition(lambda self: self.model.entries)
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        m = self.model
        entry = data.draw(st.sampled_from(self.preferring(m.entries, ("offered",))))
        uid = entry.user
        m.settle()
        if entry.status == "expired":
            expected = "offer-expired"
        elif entry.status != "offered":
            expected = "invalid-state"
        elif not m.open():
            expected = "booking-closed"
        else:
            expected = None
            entry.status = "booked"
            m.bookings.append(m.new_booking(uid, entry.seats))
        _, slug = self.op(ops.accept_offer, entry_id=entry.id, user_id=uid)
        self.expect(slug, expected)

    @rule(capacity=st.integers(1, 6))
    def change_capacity(self, capacity: int) -> None:
        m = self.model
        m.settle()
        if not m.open():
            expected = "invalid-state"
        elif capacity < m.taken():
            expected = "capacity-below-bookings"
        else:
            expected, grew = None, capacity > m.capacity
            m.capacity = capacity
            if grew:
                m.promote()
        _, slug = self.op(ops.change_session, session_id=self.session["id"], actor_id=self.host,
                          capacity=capacity)
        self.expect(slug, expected)

    @rule()
    def run_expiry_jobs(self) -> None:
        self.model.settle()
        self.run(service.expire_holds(self.runtime, BookingPolicy(payment_hold=HOLD)))
        self.run(service.expire_offers(self.runtime, BookingPolicy(payment_hold=HOLD)))

    @rule(minutes=st.sampled_from([1, 10, 19, 20, 29, 30, 60]))
    def advance_clock(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)
        self.model.now = self.clock.now()

    @staticmethod
    def preferring(entries: list[MEntry], statuses: tuple[str, ...]) -> list[MEntry]:
        """Mostly the entries in these statuses (when there are any), sometimes any entry."""
        chosen = [e for e in entries if e.status in statuses]
        return chosen * 3 + entries if chosen else entries

    # -- checks

    def booking_ids(self, user_id: int) -> list[int]:
        found = self.run(rows("SELECT id FROM booking WHERE \"user\" = {} ORDER BY id", user_id))
        return [r["id"] for r in found]

    @invariant()
    def rows_match_the_model(self) -> None:
        if self.runtime is None:
            return
        m = self.model
        stored = self.run(rows("SELECT \"user\", seats, status, hold_expires_at FROM booking ORDER BY id"))
        got = sorted(((r["user"], r["seats"], r["status"], r["hold_expires_at"]) for r in stored), key=str)
        want = sorted(((b.user, b.seats, b.status, b.hold_until) for b in m.bookings), key=str)
        assert got == want
        entries = self.run(rows("SELECT id, status, offer_expires_at FROM waitlist_entry ORDER BY id"))
        assert [(r["id"], r["status"], r["offer_expires_at"] if r["status"] == "offered" else None) for r in entries] == [
            (e.id, e.status, e.offer_until if e.status == "offered" else None) for e in m.entries]

    @invariant()
    def capacity_is_never_exceeded(self) -> None:
        if self.runtime is None:
            return
        capacity = self.run(rows("SELECT capacity FROM workshop_session WHERE id = {}", self.session["id"]))[0]["capacity"]
        assert self.run(seats_taken_now(self.session["id"], self.clock.now())) <= capacity


TEMPLATE = ""



def test_booking_engine_matches_its_model(migrated_template: str) -> None:
    global TEMPLATE
    TEMPLATE = migrated_template
    runner = BookingMachine.TestCase
    runner.settings = settings(max_examples=int(os.environ.get("ALVEOLE_STATEFUL_EXAMPLES", "25")),
                               stateful_step_count=20, deadline=None,
                               suppress_health_check=[HealthCheck.too_slow])
    runner().runTest()
