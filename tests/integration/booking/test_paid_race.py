"""Thirty people in two OS processes race for the last seat of a paid session, each booking
through the service (a hold, then a Checkout Session from the fake Stripe): one hold, one
Checkout Session, and never more holds + confirmed seats than the capacity."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import T0
from tests.factories import make_session, make_user, make_workshop
from tests.fake_stripe import FakeStripe
from tests.integration.booking.support import race_processes, rows

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]


async def test_thirty_bookers_two_processes_one_paid_seat(db, database_url):
    workshop = await make_workshop(payment="stripe", price_cents=1200, capacity=3)
    session = await make_session(workshop)
    for _ in range(2):  # two seats already confirmed: one is left
        await rows("INSERT INTO booking (\"session\", \"user\", seats, status, attendance, amount_cents, currency, "
                   "late_cancellation, checkin_code, active_slot, refunded_cents, created_at, updated_at) "
                   "VALUES ({}, {}, 1, 'confirmed', 'unknown', 1200, 'eur', false, {}, {}, 0, "
                   "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", session["id"], (u := await make_user())["id"],
                   f"CODE{u['id']}", f"{session['id']}:{u['id']}")
    users = [(await make_user())["id"] for _ in range(30)]
    with FakeStripe(now=lambda: T0) as fake:  # the processes' clock
        results = await race_processes(
            "tests.integration.booking.paid_race_process",
            *([database_url, fake.url, str(session["id"]), str(half[0]), str(half[-1])]
              for half in (users[:15], users[15:])), root=ROOT)
        outcomes = {name: sum(r.get(name, 0) for r in results) for name in ("held", "full")}
        assert outcomes == {"held": 1, "full": 29}, results
        assert len(fake.sessions) == 1
    active = await rows("SELECT status, COUNT(*) AS n FROM booking WHERE \"session\" = {} "
                        "AND status IN ('pending_payment', 'confirmed') GROUP BY status ORDER BY status", session["id"])
    assert [(r["status"], int(r["n"])) for r in active] == [("confirmed", 2), ("pending_payment", 1)]
