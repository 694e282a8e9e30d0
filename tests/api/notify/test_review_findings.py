"""What an outside review of text messages found, each a test that failed before its fix."""
from __future__ import annotations

from tests.api.notify.test_sms_webhook import (  # noqa: F401
    PHONE,
    booking_row,
    post,
    reply,
    settings,
    text_was_sent,
)
from tests.factories import auth, make_booking_row, make_session, make_user


async def test_a_number_that_is_no_longer_the_participants_cancels_nothing(client):
    user = await make_user(phone=PHONE, sms_opt_in=True)
    booking = await make_booking_row(await make_session(), user)
    await text_was_sent(booking["id"])
    # the participant moves to another number (the old one is someone else's now)
    answer = await client.patch("/api/v1/me", json={"phone": "+33699999999"}, headers=auth(user))
    assert answer.status_code == 200, answer.text
    response = await post(client, reply("ANNULER"))
    assert (await booking_row(booking["id"]))["status"] == "confirmed"


async def test_the_report_counts_each_guest_as_a_person(client, clock):
    import datetime as dt

    from tests.factories import make_community, make_workshop

    host, organizer, relay = await make_user(), await make_user(), await make_user()
    community = await make_community(organizers=(organizer,))
    await client.post(f"/api/v1/communities/{community['slug']}/relays", json={"email": relay["email"]},
                      headers=auth(organizer))
    workshop = await make_workshop(host=host, community=community, capacity=10)
    session = await make_session(workshop, starts_at=clock.now() + dt.timedelta(days=2))
    for name in ("Ana", "Bea", "Cleo"):
        r = await client.post(f"/api/v1/sessions/{session['id']}/bookings",
                              json={"seats": 1, "guest": {"name": name}}, headers=auth(relay))
        assert r.status_code == 201, r.text
    report = (await client.get(f"/api/v1/communities/{community['slug']}/attendance",
                               headers=auth(organizer))).json()
    (row,) = report["items"]
    assert row["new_participants"] == report["workshops"][0]["new_participants"] == report["total"]["new_participants"]


async def test_relay_deletes_account(client, clock, app):
    import datetime as dt

    from tests.factories import make_community, make_workshop

    host, organizer, relay = await make_user(), await make_user(), await make_user()
    community = await make_community(organizers=(organizer,))
    await client.post(f"/api/v1/communities/{community['slug']}/relays", json={"email": relay["email"]},
                      headers=auth(organizer))
    workshop = await make_workshop(host=host, community=community, capacity=10)
    session = await make_session(workshop, starts_at=clock.now() + dt.timedelta(days=2))
    g = await client.post(f"/api/v1/sessions/{session['id']}/bookings",
                          json={"seats": 1, "guest": {"name": "Ana", "phone": "0612345678"}}, headers=auth(relay))
    assert g.status_code == 201
    d = await client.delete("/api/v1/me", headers=auth(relay))
    roster = await client.get(f"/api/v1/sessions/{session['id']}/roster", headers=auth(host))
    slip = await client.get(f"/bookings/{g.json()['id']}/slip", headers=auth(host))
    assert d.status_code == 204 and roster.status_code == 200 and slip.status_code == 200


async def test_an_account_cannot_lift_a_numbers_stop_only_the_number_can(client):
    from accounts.repository import is_opted_out

    owner = await make_user(phone=PHONE, sms_opt_in=True)
    booking = await make_booking_row(await make_session(), owner)
    await text_was_sent(booking["id"])
    assert (await post(client, reply("STOP"))).status_code == 200
    stranger = await make_user()
    answer = await client.patch("/api/v1/me", json={"phone": "06 12 34 56 01", "sms_opt_in": True},
                                headers=auth(stranger))
    assert answer.status_code == 200, answer.text
    assert await is_opted_out(PHONE)
    started = await post(client, reply("start"))
    assert started.status_code == 200 and "STOP" in started.text
    assert not await is_opted_out(PHONE)
