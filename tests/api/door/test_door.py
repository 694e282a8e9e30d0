"""At the door: walk-ins, the standby list, and the release of no-shows to it (host, organizer)."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import book, rows


@pytest.fixture
async def cast(clock, client):
    host, organizer = await make_user(), await make_user()
    community = await make_community(organizers=(organizer,))
    workshop = await make_workshop(host=host, community=community, capacity=3, payment="free")
    session = await make_session(workshop, starts_at=clock.now() + dt.timedelta(days=1))
    other_organizer = await make_user()
    await make_community(organizers=(other_organizer,))
    return dict(host=host, organizer=organizer, session=session, community=community, workshop=workshop,
                participant=await make_user(), late=await make_user(), user=await make_user(),
                other_organizer=other_organizer, admin=await make_user(is_admin=True), other_host=await make_user())


def at_start(clock, cast, **delta):
    clock.set(cast["session"]["starts_at"] + dt.timedelta(**delta))


async def door(client, cast, who, what, body=None):
    headers = auth(cast[who]) if cast.get(who) else {}
    return await client.post(f"/api/v1/sessions/{cast['session']['id']}/{what}", json=body, headers=headers)


async def count(sql, *params):
    return (await rows(sql, *params))[0]["n"]


class TestWalkIn:
    async def test_from_an_hour_before_the_start_to_the_end(self, client, cast, clock):
        at_start(clock, cast, minutes=-61)
        early = await door(client, cast, "host", "walk-ins", {"name": "Paul", "seats": 1})
        assert early.status_code == 409 and early.json()["type"].endswith("invalid-state")
        at_start(clock, cast, minutes=-60)
        answer = await door(client, cast, "host", "walk-ins", {"name": "Paul", "seats": 2})
        assert answer.status_code == 201, answer.text
        walk_in = answer.json()
        assert walk_in["source"] == "walk_in" and walk_in["attendance"] == "attended"
        assert walk_in["user_id"] is None and walk_in["guest"]["name"] == "Paul"
        clock.set(cast["session"]["ends_at"] + dt.timedelta(seconds=1))
        late = await door(client, cast, "organizer", "walk-ins", {"seats": 1})
        assert late.status_code == 409
        assert await count('SELECT COUNT(*) AS n FROM booking WHERE "session" = {}', cast["session"]["id"]) == 1

    async def test_counted_against_capacity(self, client, cast, clock):
        await book(client, cast["participant"], cast["session"]["id"], 2, expect=201)
        at_start(clock, cast, minutes=5)
        assert (await door(client, cast, "organizer", "walk-ins", {"seats": 1})).status_code == 201
        full = await door(client, cast, "host", "walk-ins", {"seats": 1})
        assert full.status_code == 409 and full.json()["type"].endswith("session-full")

    @pytest.mark.parametrize("who,status", [("anonymous", 401), ("user", 403), ("participant", 403),
                                            ("other_organizer", 403), ("other_host", 403)])
    async def test_refused_to_others(self, client, cast, clock, who, status):
        await book(client, cast["participant"], cast["session"]["id"], 1, expect=201)
        at_start(clock, cast, minutes=20)
        for what, body in (("walk-ins", {"seats": 1}), ("standby", {"seats": 1}), ("release-no-shows", None)):
            answer = await door(client, cast, who, what, body)
            assert answer.status_code == status, (what, answer.text)
        assert await count('SELECT COUNT(*) AS n FROM booking WHERE "session" = {}', cast["session"]["id"]) == 1
        assert await count("SELECT COUNT(*) AS n FROM standby_entry") == 0
        assert (await rows('SELECT attendance FROM booking'))[0]["attendance"] == "unknown"


class TestStandbyAndRelease:
    async def test_standby_only_when_full(self, client, cast, clock):
        at_start(clock, cast, minutes=-30)
        answer = await door(client, cast, "host", "standby", {"name": "Inès", "seats": 1})
        assert answer.status_code == 409 and answer.json()["type"].endswith("invalid-state")

    async def test_release_before_its_time_is_refused(self, client, cast, clock):
        await book(client, cast["participant"], cast["session"]["id"], 1, expect=201)
        at_start(clock, cast, minutes=9, seconds=59)
        answer = await door(client, cast, "host", "release-no-shows")
        assert answer.status_code == 409 and answer.json()["type"].endswith("invalid-state")
        assert (await rows("SELECT attendance, status FROM booking"))[0] == {"attendance": "unknown",
                                                                              "status": "confirmed"}

    async def test_no_shows_seats_go_to_standby_in_order(self, client, cast, clock):
        sid = cast["session"]["id"]
        came = (await book(client, cast["participant"], sid, 1, expect=201)).json()
        stayed_home = (await book(client, cast["late"], sid, 2, expect=201)).json()
        at_start(clock, cast, minutes=-10)
        checked = await client.post(f"/api/v1/sessions/{sid}/checkin", json={"checkin_code": came["checkin_code"]},
                                    headers=auth(cast["host"]))
        assert checked.status_code == 200, checked.text
        first = (await door(client, cast, "host", "standby", {"name": "Inès", "seats": 2})).json()
        second = (await door(client, cast, "host", "standby", {"name": "Jo", "seats": 1})).json()
        third = (await door(client, cast, "organizer", "standby", {"seats": 1})).json()
        assert (first["position"], second["position"], third["position"]) == (1, 2, 3)
        roster = (await client.get(f"/api/v1/sessions/{sid}/roster", headers=auth(cast["host"]))).json()
        assert [e["name"] for e in roster["standby"]] == ["Inès", "Jo", None]
        at_start(clock, cast, minutes=10)
        answer = await door(client, cast, "host", "release-no-shows")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"released_seats": 2, "served": [first["id"]]}
        released = (await rows("SELECT status, attendance, released_at FROM booking WHERE id = {}",
                               stayed_home["id"]))[0]
        assert released["status"] == "cancelled" and released["attendance"] == "no_show"
        assert released["released_at"] is not None
        served = await rows("SELECT source, attendance, seats, guest_name FROM booking WHERE source = 'standby'")
        assert served == [{"source": "standby", "attendance": "attended", "seats": 2, "guest_name": "Inès"}]
        told = await rows("SELECT kind, recipient FROM outbox_message WHERE kind = 'booking_released'")
        assert told == [{"kind": "booking_released", "recipient": cast["late"]["id"]}]
        again = await door(client, cast, "host", "release-no-shows")
        assert again.json() == {"released_seats": 0, "served": []}
        # the participant who came keeps their seat, and the session is full again
        assert (await rows("SELECT attendance FROM booking WHERE id = {}", came["id"]))[0]["attendance"] == "attended"
        assert (await door(client, cast, "host", "walk-ins", {"seats": 1})).status_code == 409

    async def test_paid_online_bookings_are_never_released(self, client, cast, clock):
        from booking.tables import Booking

        paid_workshop = await make_workshop(host=cast["host"], community=cast["community"], payment="stripe",
                                            price_cents=1000, capacity=2)
        session = await make_session(paid_workshop, starts_at=cast["session"]["starts_at"])
        from tests.factories import make_booking_row

        paid = await make_booking_row(session, cast["participant"], amount_cents=1000)
        at_start(clock, cast, minutes=30)
        answer = await client.post(f"/api/v1/sessions/{session['id']}/release-no-shows", headers=auth(cast["host"]))
        assert answer.status_code == 200 and answer.json()["released_seats"] == 0
        row = await Booking.select(Booking.status, Booking.attendance).where(Booking.id == paid["id"]).first()
        assert row == {"status": "confirmed", "attendance": "unknown"}


async def test_the_report_counts_the_door_and_the_desk(client, cast, clock):
    """Relay bookings, walk-ins, standby seats served and released no-shows, per session, per
    workshop and for the community (JSON and CSV)."""
    sid = cast["session"]["id"]
    relay = await make_user()
    await client.post(f"/api/v1/communities/{cast['community']['slug']}/relays", json={"email": relay["email"]},
                      headers=auth(cast["organizer"]))
    guest = await client.post(f"/api/v1/sessions/{sid}/bookings", json={"seats": 1, "guest": {"name": "Ana"}},
                              headers=auth(relay))
    assert guest.status_code == 201
    await book(client, cast["participant"], sid, 1, expect=201)
    at_start(clock, cast, minutes=-5)
    assert (await door(client, cast, "host", "walk-ins", {"seats": 1})).status_code == 201
    assert (await door(client, cast, "host", "standby", {"name": "Inès", "seats": 2})).status_code == 201
    at_start(clock, cast, minutes=15)
    assert (await door(client, cast, "host", "release-no-shows")).json()["released_seats"] == 2
    report = (await client.get(f"/api/v1/communities/{cast['community']['slug']}/attendance",
                               headers=auth(cast["organizer"]))).json()
    (row,) = [r for r in report["items"] if r["session_id"] == sid]
    door_figures = {k: row[k] for k in ("relay_bookings", "walk_in_seats", "standby_seats_served",
                                        "released_no_show_seats")}
    assert door_figures == {"relay_bookings": 1, "walk_in_seats": 1, "standby_seats_served": 2,
                            "released_no_show_seats": 2}
    assert {k: report["total"][k] for k in door_figures} == door_figures
    assert {k: report["workshops"][0][k] for k in door_figures} == door_figures
    csv = await client.get(f"/api/v1/communities/{cast['community']['slug']}/attendance?format=csv",
                           headers=auth(cast["organizer"]))
    header = csv.text.lstrip("\ufeff").splitlines()[0].split(",")
    assert header[-4:] == ["relay_bookings", "walk_in_seats", "standby_seats_served", "released_no_show_seats"]
