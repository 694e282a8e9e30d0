"""Payment holds (the store's hold path, which payments will open), the worker's expiry jobs,
account release and the seat statistics."""
from __future__ import annotations

import datetime as dt
from functools import partial

import pytest

from kernel.errors import InvalidState
from alveole.worker import run_once
from booking import ops, repository, service
from booking.stats import BookingStatsFromDatabase
from tests.factories import make_session, make_user, make_workshop
from tests.integration.booking.support import (
    HOLDS, book_in_store, confirm_in_store, join_in_store, rows, seats_taken_now,
)
from kernel.ports import Rating, SessionSeats
from kernel.sql import fetch_one


async def paid_session(capacity=2, **workshop):
    return await make_session(await make_workshop(payment="stripe", price_cents=1500, capacity=capacity, **workshop))


async def status_of(table, row_id):
    return (await rows(f"SELECT status FROM {table} WHERE id = {{}}", row_id))[0]["status"]


class TestHolds:
    async def test_a_hold_takes_seats_until_it_expires(self, runtime, clock, notifier):
        session = await paid_session()
        booking = await book_in_store(runtime, session["id"], (await make_user())["id"], 2)
        assert (booking.status, booking.amount_cents) == ("pending_payment", 3000)
        assert booking.hold_expires_at == clock.now() + dt.timedelta(minutes=30)
        assert notifier.names() == ["BookingPendingPayment"]
        assert await seats_taken_now(session["id"], clock.now()) == 2
        clock.advance(minutes=30)
        # lazily: at the deadline the hold stops counting before anything marks it
        assert await seats_taken_now(session["id"], clock.now()) == 0
        assert await status_of("booking", booking.id) == "pending_payment"

    async def test_the_worker_expires_holds_and_promotes(self, runtime, clock, notifier):
        session = await paid_session(capacity=2)
        holder = await make_user()
        booking = await book_in_store(runtime, session["id"], holder["id"], 2)
        entry_id, _ = await join_in_store(runtime, session["id"], (await make_user())["id"], 2)
        clock.advance(minutes=31)
        # the job with payments on (run_once uses the server's policy: online payment off)
        assert await service.expire_holds(runtime, HOLDS) == 1
        assert await status_of("booking", booking.id) == "expired"
        assert await status_of("waitlist_entry", entry_id) == "booked"
        assert [e.booking_id for e in notifier.of("HoldExpired")] == [booking.id]
        assert (await run_once(runtime))["booking.expire_holds"] == 0

    async def test_the_job_runs_in_the_worker(self, runtime, clock, notifier):
        session = await paid_session()
        booking = await book_in_store(runtime, session["id"], (await make_user())["id"])
        clock.advance(minutes=30)
        assert (await run_once(runtime))["booking.expire_holds"] == 1
        assert await status_of("booking", booking.id) == "expired"
        assert [e.booking_id for e in notifier.of("HoldExpired")] == [booking.id]

    async def test_an_expired_hold_frees_the_slot(self, runtime, clock):
        session, user = await paid_session(capacity=3), await make_user()
        await book_in_store(runtime, session["id"], user["id"])
        clock.advance(minutes=30)
        again = await book_in_store(runtime, session["id"], user["id"])
        assert again.status == "pending_payment"

    async def test_the_next_booker_settles_first_so_the_waitlist_keeps_its_place(self, runtime, clock, notifier):
        session = await paid_session(capacity=1)
        booking = await book_in_store(runtime, session["id"], (await make_user())["id"])
        waiting = await make_user()
        entry_id, _ = await join_in_store(runtime, session["id"], waiting["id"])
        clock.advance(minutes=45)  # the hold lapsed; no worker ran yet
        with pytest.raises(Exception) as caught:
            await book_in_store(runtime, session["id"], (await make_user())["id"])
        assert getattr(caught.value, "slug", None) == "session-full"
        # the refused booking still settled the session: expiry and promotion stand
        assert await status_of("booking", booking.id) == "expired"
        assert await status_of("waitlist_entry", entry_id) == "booked"
        assert notifier.names()[-2:] == ["HoldExpired", "BookingPendingPayment"]
        outbox = await rows("SELECT kind FROM outbox_message ORDER BY id")
        assert [r["kind"] for r in outbox][-2:] == ["HoldExpired", "BookingPendingPayment"]

    async def test_confirming_a_hold(self, runtime, clock, notifier):
        session = await paid_session()
        booking = await book_in_store(runtime, session["id"], (await make_user())["id"])
        confirmed = await confirm_in_store(runtime, booking.id)
        assert confirmed.status == "confirmed" and confirmed.hold_expires_at is None
        clock.advance(hours=1)
        assert await seats_taken_now(session["id"], clock.now()) == 1

    async def test_a_lapsed_hold_cannot_be_confirmed(self, runtime, clock):
        session = await paid_session()
        booking = await book_in_store(runtime, session["id"], (await make_user())["id"])
        clock.advance(minutes=30)
        with pytest.raises(InvalidState):
            await confirm_in_store(runtime, booking.id)
        assert await status_of("booking", booking.id) == "expired"

    async def test_no_promotion_once_the_session_has_started(self, runtime, clock):
        session = await paid_session(capacity=1)
        clock.set(session["starts_at"] - dt.timedelta(minutes=10))
        booking = await book_in_store(runtime, session["id"], (await make_user())["id"])
        entry_id, _ = await join_in_store(runtime, session["id"], (await make_user())["id"])
        clock.set(session["starts_at"] + dt.timedelta(minutes=30))
        assert await service.expire_holds(runtime, HOLDS) == 1
        assert await status_of("booking", booking.id) == "expired"
        assert await status_of("waitlist_entry", entry_id) == "waiting"


class TestReleaseUser:
    async def test_upcoming_bookings_cancelled_entries_withdrawn_waitlists_promoted(self, runtime, clock, notifier):
        leaving, waiting = await make_user(), await make_user()
        full = await make_session(capacity=1)
        booked = await book_in_store(runtime, full["id"], leaving["id"])
        entry_id, _ = await join_in_store(runtime, full["id"], waiting["id"])
        other = await make_session(capacity=1)
        await book_in_store(runtime, other["id"], (await make_user())["id"])
        queued, _ = await join_in_store(runtime, other["id"], leaving["id"])
        past = await make_session(starts_at=clock.now() + dt.timedelta(hours=1))
        old = await book_in_store(runtime, past["id"], leaving["id"])
        clock.advance(hours=2)  # `past` has started: its booking stays, for the counts
        assert await service.release_user(runtime, leaving["id"]) == 2
        assert await status_of("booking", booked.id) == "cancelled"
        assert await status_of("waitlist_entry", entry_id) == "booked"
        assert await status_of("waitlist_entry", queued) == "withdrawn"
        assert await status_of("booking", old.id) == "confirmed"
        assert [e.by for e in notifier.of("BookingCancelled")] == ["system"]
        assert await service.release_user(runtime, leaving["id"]) == 0


class TestStats:
    async def test_seats_by_session(self, runtime, clock):
        stats = BookingStatsFromDatabase()
        paid, free, empty = await paid_session(capacity=5), await make_session(capacity=2), await make_session()
        await book_in_store(runtime, paid["id"], (await make_user())["id"], 2)
        clock.advance(minutes=10)
        await book_in_store(runtime, paid["id"], (await make_user())["id"], 1)
        for _ in range(2):
            await book_in_store(runtime, free["id"], (await make_user())["id"], 1)
        for _ in range(3):
            await join_in_store(runtime, free["id"], (await make_user())["id"])
        found = await stats.seats_by_session([paid["id"], free["id"], empty["id"]], clock.now())
        assert found == {paid["id"]: SessionSeats(3, 0), free["id"]: SessionSeats(2, 3), empty["id"]: SessionSeats(0, 0)}
        later = await stats.seats_by_session([paid["id"]], clock.now() + dt.timedelta(minutes=20))
        assert later == {paid["id"]: SessionSeats(1, 0)}  # the first hold lapsed
        assert await stats.seats_by_session([], clock.now()) == {}

    async def test_offered_seats_count_until_the_offer_lapses(self, runtime, clock):
        stats = BookingStatsFromDatabase()
        session = await make_session(await make_workshop(capacity=1, waitlist_mode="offer", offer_ttl_minutes=15))
        holder = await make_user()
        booking = await book_in_store(runtime, session["id"], holder["id"])
        await join_in_store(runtime, session["id"], (await make_user())["id"])
        await runtime.store.run(partial(ops.cancel_booking, booking_id=booking.id, actor_id=holder["id"],
                                            now=clock.now(), policy=HOLDS))
        assert await stats.seats_by_session([session["id"]], clock.now()) == {session["id"]: SessionSeats(1, 0)}
        assert (await stats.seats_by_session([session["id"]], clock.now() + dt.timedelta(minutes=15))
                == {session["id"]: SessionSeats(0, 0)})

    async def test_the_stats_count_seats_as_the_operations_do(self, runtime, clock):
        """One seat count: the stats port agrees with the operations' occupancy, before and
        after a hold lapses (and before anything marks it expired)."""
        session = await paid_session(capacity=3)
        await book_in_store(runtime, session["id"], (await make_user())["id"], 2)
        clock.advance(minutes=20)
        await book_in_store(runtime, session["id"], (await make_user())["id"], 1)
        await join_in_store(runtime, session["id"], (await make_user())["id"])
        for at, taken in ((clock.now(), 3), (clock.now() + dt.timedelta(minutes=15), 1)):
            occupancy = ops.occupancy_from_row(await fetch_one(repository.OCCUPANCY, session["id"], at, ""))
            seats = await BookingStatsFromDatabase().seats_by_session([session["id"]], at)
            assert (occupancy.taken, occupancy.waiting) == (taken, 1)
            assert seats == {session["id"]: SessionSeats(occupancy.taken, occupancy.waiting)}

    async def test_ratings(self, runtime, clock):
        from booking.tables import Feedback

        stats = BookingStatsFromDatabase()
        host = await make_user()
        rated, sparse = await make_workshop(host=host), await make_workshop(host=host)
        for workshop, ratings in ((rated, (5, 4, 4)), (sparse, (1,))):
            session = await make_session(workshop, capacity=5)
            for rating in ratings:
                booking = await book_in_store(runtime, session["id"], (await make_user())["id"])
                await Feedback.insert(Feedback(booking=booking.id, rating=rating, comment=""))
        found = await stats.rating_by_workshop([rated["id"], sparse["id"], 999])
        assert found == {rated["id"]: Rating(4.33, 3), sparse["id"]: Rating(None, 1), 999: Rating(None, 0)}
        assert await stats.rating_of_host(host["id"]) == Rating(3.5, 4)
        assert await stats.rating_of_host((await make_user())["id"]) == Rating(None, 0)
