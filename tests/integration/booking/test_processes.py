"""Two OS processes book the same session on one database (SQLite file or PostgreSQL):
never oversold, and both processes exit cleanly (their writer threads stop)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import make_session, make_user
from tests.integration.booking.support import race_processes, rows

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]


async def test_two_processes_never_oversell(db, database_url):
    session = await make_session(capacity=40)
    users = [(await make_user())["id"] for _ in range(160)]
    halves = [users[:80], users[80:]]
    results = await race_processes(
        "tests.integration.booking.race_process",
        *([database_url, str(session["id"]), str(half[0]), str(half[-1])] for half in halves), root=ROOT)
    assert sum(r["booked"] for r in results) == 40
    assert sum(r["full"] for r in results) == 120
    booked = await rows("SELECT COUNT(*) AS n, COALESCE(SUM(seats), 0) AS seats FROM booking "
                        "WHERE \"session\" = {} AND status = 'confirmed'", session["id"])
    assert (int(booked[0]["n"]), int(booked[0]["seats"])) == (40, 40)
    outbox = await rows("SELECT COUNT(*) AS n FROM outbox_message")
    assert int(outbox[0]["n"]) == 40
