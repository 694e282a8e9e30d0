"""Concurrent marks through the booking store stay consistent: every audit row starts from what
the previous one ended with, the booking holds the last value, a repeated check-in adds nothing,
and feedback raced with a no-show mark is either refused or given before the mark."""
from __future__ import annotations

import asyncio
import datetime as dt
from functools import partial

import pytest

from booking import attendance, feedback
from booking.errors import FeedbackExists
from kernel.errors import Forbidden
from tests.factories import make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import book_in_store, rows

pytestmark = pytest.mark.slow


@pytest.fixture
async def scene(runtime, clock):
    host, organizer = await make_user(), await make_user()
    workshop = await make_workshop(host=host, community=await make_community(organizers=(organizer,)))
    session = await make_session(workshop, starts_at=clock.now() + dt.timedelta(days=1))
    participant = await make_user()
    booking = await book_in_store(runtime, session["id"], participant["id"])
    clock.set(session["starts_at"])
    return dict(host=host, organizer=organizer, participant=participant, session=session, booking=booking)


def mark(runtime, actor, booking_id, value):
    return runtime.store.run(partial(attendance.mark_attendance, booking_id=booking_id, attendance=value,
                                     actor_id=actor["id"], actor_is_admin=False, now=runtime.clock.now()))


async def check_in(runtime, actor, session_id, code):
    booking, _already = await runtime.store.run(partial(
        attendance.check_in, session_id=session_id, code=code, actor_id=actor["id"], actor_is_admin=False,
        now=runtime.clock.now()))
    return booking


async def test_mixed_concurrent_marks_leave_a_consistent_chain(runtime, scene):
    booking = scene["booking"]
    values = ["attended", "no_show", "unknown", "attended", "attended", "no_show"] * 5
    results = await asyncio.gather(*(
        mark(runtime, scene["host"] if i % 2 else scene["organizer"], booking.id, value) if i % 3
        else check_in(runtime, scene["host"], scene["session"]["id"], booking.checkin_code)
        for i, value in enumerate(values)))
    assert all(r.id == booking.id for r in results)
    chain = await rows("SELECT from_attendance, to_attendance FROM attendance_mark WHERE booking = {} ORDER BY id",
                       booking.id)
    assert chain and chain[0]["from_attendance"] == "unknown"
    assert all(a["to_attendance"] == b["from_attendance"] for a, b in zip(chain, chain[1:]))
    assert all(r["from_attendance"] != r["to_attendance"] for r in chain)
    (now,) = await rows("SELECT attendance FROM booking WHERE id = {}", booking.id)
    assert now["attendance"] == chain[-1]["to_attendance"]


async def test_feedback_raced_with_a_no_show_mark(runtime, scene, clock):
    clock.set(scene["session"]["ends_at"])
    booking = scene["booking"]
    give = feedback.give(runtime, scene["participant"]["id"], booking.id, 5, "")
    no_show = mark(runtime, scene["host"], booking.id, "no_show")
    outcome, marked = await asyncio.gather(give, no_show, return_exceptions=True)
    assert marked.attendance == "no_show"
    stored = await rows("SELECT id FROM feedback")
    # serialised by the session lock: feedback first (then the mark), or the mark first (then 403)
    assert (isinstance(outcome, Forbidden) and stored == []) or (not isinstance(outcome, Exception) and len(stored) == 1)
    again = feedback.give(runtime, scene["participant"]["id"], booking.id, 4, "")
    with pytest.raises((Forbidden, FeedbackExists)):
        await again


async def test_many_feedbacks_at_once_store_one(runtime, scene, clock):
    clock.set(scene["session"]["ends_at"])
    outcomes = await asyncio.gather(*(feedback.give(runtime, scene["participant"]["id"], scene["booking"].id, r, "")
                                      for r in (1, 2, 3, 4, 5) * 2), return_exceptions=True)
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(isinstance(o, FeedbackExists) for o in outcomes if isinstance(o, Exception))
    assert len(await rows("SELECT id FROM feedback")) == 1
