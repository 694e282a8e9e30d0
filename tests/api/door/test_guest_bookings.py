"""Bookings for neighbours without an account: by a relay of the community, the host or an
organizer, through the same engine and capacity rule; free and on-site workshops only."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import book, rows

GUEST = {"name": "Mme Lefèvre", "phone": "06 12 34 56 78", "note": "needs the lift"}


@pytest.fixture
async def cast(clock, client):
    host, organizer, relay = await make_user(), await make_user(), await make_user(display_name="Médiathèque")
    community = await make_community(organizers=(organizer,))
    other_community = await make_community()
    await client.post(f"/api/v1/communities/{community['slug']}/relays", json={"email": relay["email"]},
                      headers=auth(organizer))
    other_relay = await make_user()
    await client.post(f"/api/v1/communities/{other_community['slug']}/relays",
                      json={"email": other_relay["email"]}, headers=auth(await _organizer_of(other_community)))
    workshop = await make_workshop(host=host, community=community, capacity=3, payment="on_site", price_cents=500)
    session = await make_session(workshop, starts_at=clock.now() + dt.timedelta(days=2))
    return dict(host=host, organizer=organizer, relay=relay, other_relay=other_relay, session=session,
                community=community, user=await make_user(), admin=await make_user(is_admin=True),
                other_organizer=await _organizer_of(other_community))


async def _organizer_of(community):
    from accounts.tables import Organizer

    rows_ = await Organizer.select(Organizer.user).where(Organizer.community == community["id"])
    if rows_:
        from accounts.tables import User

        user = await User.select(User.email).where(User.id == rows_[0]["user"]).first()
        return {"id": rows_[0]["user"], "email": user["email"], "token": (await _token(rows_[0]["user"]))}
    organizer = await make_user()
    from accounts.tables import Organizer as O

    await O.insert(O(community=community["id"], user=organizer["id"], pair=f"{community['id']}:{organizer['id']}"))
    return organizer


async def _token(user_id):
    from accounts.auth import issue_token
    from tests.factories import NOW

    return await issue_token(user_id, NOW)


async def guest_book(client, who, session_id, seats=1, guest=None):
    return await client.post(f"/api/v1/sessions/{session_id}/bookings", json={"seats": seats, "guest": GUEST if guest is None else guest},
                             headers=auth(who) if who else {})


async def count_bookings(session_id):
    return (await rows('SELECT COUNT(*) AS n FROM booking WHERE "session" = {}', session_id))[0]["n"]


@pytest.mark.parametrize("who", ["relay", "host", "organizer", "admin"])
async def test_a_relay_the_host_or_an_organizer_books_for_a_neighbour(client, cast, who):
    answer = await guest_book(client, cast[who], cast["session"]["id"], 2)
    assert answer.status_code == 201, answer.text
    booking = answer.json()
    assert booking["user_id"] is None and booking["source"] == "relay"
    assert booking["booked_by"] == cast[who]["id"]
    assert booking["guest"] == {"name": "Mme Lefèvre", "phone": "+33612345678", "note": "needs the lift"}
    assert booking["status"] == "confirmed" and booking["amount_cents"] == 1000
    # the one who booked is told (the confirmation email goes to them)
    outbox = await rows("SELECT kind, recipient AS recipient_id FROM outbox_message WHERE dedupe_key = {}",
                        f"booking_confirmed:{booking['id']}")
    assert outbox == [{"kind": "booking_confirmed", "recipient_id": cast[who]["id"]}]
    # the one who booked reads and cancels it
    read = await client.get(f"/api/v1/bookings/{booking['id']}", headers=auth(cast[who]))
    assert read.status_code == 200 and read.json()["guest"]["name"] == "Mme Lefèvre"
    cancelled = await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=auth(cast[who]))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_a_relay_books_several_neighbours_in_one_session(client, cast):
    for name in ("A", "B", "C"):
        answer = await guest_book(client, cast["relay"], cast["session"]["id"], 1, {"name": name})
        assert answer.status_code == 201, answer.text
    full = await guest_book(client, cast["relay"], cast["session"]["id"], 1, {"name": "D"})
    assert full.status_code == 409 and full.json()["type"].endswith("session-full")
    me = await book(client, cast["user"], cast["session"]["id"], 1)
    assert me.status_code == 409 and me.json()["type"].endswith("session-full")
    assert await count_bookings(cast["session"]["id"]) == 3


@pytest.mark.parametrize("who,status", [("other_relay", 403), ("user", 403), ("other_organizer", 403),
                                        ("anonymous", 401)])
async def test_others_may_not_book_for_a_neighbour(client, cast, who, status):
    answer = await guest_book(client, cast.get(who), cast["session"]["id"])
    assert answer.status_code == status, answer.text
    assert await count_bookings(cast["session"]["id"]) == 0


async def test_a_stripe_workshop_is_refused(client, cast, clock):
    paid = await make_session(await make_workshop(host=cast["host"], community=cast["community"], payment="stripe",
                                                  price_cents=900), starts_at=clock.now() + dt.timedelta(days=2))
    answer = await guest_book(client, cast["relay"], paid["id"])
    assert answer.status_code == 409 and answer.json()["type"].endswith("invalid-state")
    assert await count_bookings(paid["id"]) == 0


@pytest.mark.parametrize("guest,field", [({"name": "  "}, "guest.name"), ({}, "guest.name"),
                                         ({"name": "Ana", "phone": "12"}, "guest.phone"),
                                         ({"name": "Ana", "phone": "not a phone"}, "guest.phone")])
async def test_a_bad_guest_is_a_400_naming_the_field(client, cast, guest, field):
    answer = await guest_book(client, cast["relay"], cast["session"]["id"], 1, guest)
    assert answer.status_code == 400, answer.text
    assert field in answer.text
    assert await count_bookings(cast["session"]["id"]) == 0


async def test_a_relay_of_another_community_may_not_read_or_cancel(client, cast):
    booking = (await guest_book(client, cast["relay"], cast["session"]["id"])).json()
    for who in ("other_relay", "user"):
        assert (await client.get(f"/api/v1/bookings/{booking['id']}", headers=auth(cast[who]))).status_code == 403
        answer = await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=auth(cast[who]))
        assert answer.status_code == 403
    assert (await rows("SELECT status FROM booking WHERE id = {}", booking["id"]))[0]["status"] == "confirmed"


async def test_the_roster_shows_the_neighbour_by_name_with_phone(client, cast):
    booking = (await guest_book(client, cast["relay"], cast["session"]["id"])).json()
    roster = (await client.get(f"/api/v1/sessions/{cast['session']['id']}/roster", headers=auth(cast["host"]))).json()
    item = next(i for i in roster["items"] if i["booking_id"] == booking["id"])
    assert item["display_name"] == "Mme Lefèvre" and item["source"] == "relay"
    assert item["guest_phone"] == "+33612345678"


async def test_the_worker_erases_a_neighbours_name_and_phone_30_days_after_the_session(client, cast, clock, runtime):
    from alveole.worker import run_once

    booking = (await guest_book(client, cast["relay"], cast["session"]["id"], 2)).json()
    clock.set(cast["session"]["ends_at"] + dt.timedelta(days=29, hours=23))
    assert (await run_once(runtime))["booking.erase_guests"] == 0
    clock.set(cast["session"]["ends_at"] + dt.timedelta(days=30, seconds=1))
    assert (await run_once(runtime))["booking.erase_guests"] == 1
    row = (await rows("SELECT guest_name, guest_phone, guest_note, seats, source, status FROM booking WHERE id = {}",
                      booking["id"]))[0]
    assert row == {"guest_name": None, "guest_phone": None, "guest_note": None, "seats": 2, "source": "relay",
                   "status": "confirmed"}
    assert (await run_once(runtime))["booking.erase_guests"] == 0


async def test_the_relays_confirmation_names_the_neighbour(client, cast, runtime):
    from alveole.worker import run_once
    from notify.tables import OutboxMessage

    booking = (await guest_book(client, cast["relay"], cast["session"]["id"])).json()
    await run_once(runtime)  # the worker renders and sends it
    sent = await OutboxMessage.select(OutboxMessage.body_text, OutboxMessage.recipient_email).where(
        OutboxMessage.dedupe_key == f"booking_confirmed:{booking['id']}").first()
    assert sent["recipient_email"] == cast["relay"]["email"]
    assert "Mme Lefèvre" in sent["body_text"]


async def test_the_relay_is_reminded_and_no_feedback_request_goes_to_a_guest(client, cast, clock, runtime):
    from alveole.worker import run_once

    booking = (await guest_book(client, cast["relay"], cast["session"]["id"])).json()
    clock.set(cast["session"]["starts_at"] - dt.timedelta(hours=1, minutes=59))
    await run_once(runtime)
    reminders = await rows("SELECT recipient, dedupe_key FROM outbox_message WHERE kind = 'reminder'"
                           " AND channel = 'email'")
    assert [r["dedupe_key"].split(":")[1] for r in reminders] == [str(booking["id"])], reminders
    assert reminders and {r["recipient"] for r in reminders} == {cast["relay"]["id"]}
    # the neighbour's phone gets the text (issue 23), not the relay's
    texts = await rows("SELECT recipient, recipient_email, dedupe_key FROM outbox_message WHERE kind = 'reminder'"
                       " AND channel = 'sms'")
    assert [(t["recipient"], t["recipient_email"]) for t in texts] == [(None, booking["guest"]["phone"])], texts
    clock.set(cast["session"]["ends_at"] + dt.timedelta(hours=2))
    await run_once(runtime)
    assert not await rows("SELECT id FROM outbox_message WHERE kind = 'feedback_request'")
