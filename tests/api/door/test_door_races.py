"""Self, relay and walk-in bookings race for the last seats through one engine: never oversold."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import book, rows, seats_taken_now

pytestmark = pytest.mark.slow


async def test_thirty_mixed_bookers_for_the_last_seats(client, clock):
    host, organizer, relay = await make_user(), await make_user(), await make_user()
    community = await make_community(organizers=(organizer,))
    answer = await client.post(f"/api/v1/communities/{community['slug']}/relays", json={"email": relay["email"]},
                               headers=auth(organizer))
    assert answer.status_code == 201
    workshop = await make_workshop(host=host, community=community, capacity=12, payment="on_site", price_cents=300)
    session = await make_session(workshop, starts_at=clock.now() + dt.timedelta(minutes=30))
    for _ in range(7):  # 5 seats left
        assert (await book(client, await make_user(), session["id"])).status_code == 201
    sid = session["id"]
    users = [await make_user() for _ in range(10)]

    def guest(i):
        return client.post(f"/api/v1/sessions/{sid}/bookings", json={"seats": 1, "guest": {"name": f"Voisin {i}"}},
                           headers=auth(relay))

    def walk_in(i):
        return client.post(f"/api/v1/sessions/{sid}/walk-ins", json={"seats": 1, "name": f"Passant {i}"},
                           headers=auth(host))

    attempts = [book(client, u, sid) for u in users] + [guest(i) for i in range(10)] + [walk_in(i) for i in range(10)]
    answers = await asyncio.gather(*attempts)
    codes = [a.status_code for a in answers]
    assert codes.count(201) == 5 and codes.count(409) == 25, codes
    assert {a.json()["type"].rsplit("/", 1)[1] for a in answers if a.status_code == 409} == {"session-full"}
    confirmed = await rows("SELECT COALESCE(SUM(seats), 0) AS n FROM booking WHERE \"session\" = {} "
                           "AND status = 'confirmed'", sid)
    assert int(confirmed[0]["n"]) == 12 == await seats_taken_now(sid, clock.now())
