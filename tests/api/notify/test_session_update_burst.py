"""A burst of changes to one session gives each participant ONE session_updated email with the
latest state (the pending outbox row is coalesced), and SEQUENCE still only goes up."""
from __future__ import annotations

import datetime as dt
import json

from alveole.worker import run_once
from tests.api.notify.test_invite_sequence import emailed
from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import rows


async def booked(client, session_id: int, user) -> int:
    response = await client.post(f"/api/v1/sessions/{session_id}/bookings", json={"seats": 1}, headers=auth(user))
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def move(client, host, session, minutes: int):
    new = session["starts_at"] + dt.timedelta(minutes=minutes)
    response = await client.patch(f"/api/v1/sessions/{session['id']}", headers=auth(host), json={
        "starts_at": new.isoformat(), "ends_at": (new + dt.timedelta(hours=2)).isoformat()})
    assert response.status_code == 200, response.text
    return response.json()


class TestSessionUpdateBurst:
    async def test_ten_changes_in_a_row_send_each_participant_one_email_with_the_latest_state(
            self, client, runtime, settings):
        host = await make_user()
        session = await make_session(await make_workshop(host=host, community=await make_community()))
        people = [await make_user() for _ in range(3)]
        for person in people:
            await booked(client, session["id"], person)
        for minutes in range(1, 11):
            last = await move(client, host, session, 15 * minutes)
        assert last["sequence"] == 10
        pending = await rows("SELECT payload FROM outbox_message WHERE kind = 'session_updated' ORDER BY id")
        assert len(pending) == len(people)
        payloads = [json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"] for r in pending]
        assert [p["sequence"] for p in payloads] == [10] * len(people)
        await run_once(runtime)
        for person in people:
            updates = [sent for sent in emailed(settings, person["email"])
                       if sent[0] == "REQUEST"]
            # the booking confirmation, then ONE update
            assert len(updates) == 2, updates
            assert updates[1][1] > updates[0][1]
        eml = [p.read_text() for p in settings.mail_dir.glob("*.eml")]
        updated = [text for text in eml if "X-Alveole-Kind: session_updated" in text]
        assert len(updated) == len(people)

    async def test_a_change_after_the_email_went_out_is_a_new_email_with_a_higher_sequence(
            self, client, runtime, settings):
        host, alice = await make_user(), await make_user()
        session = await make_session(await make_workshop(host=host, community=await make_community()))
        await booked(client, session["id"], alice)
        await move(client, host, session, 30)
        await run_once(runtime)
        await move(client, host, session, 60)
        await move(client, host, session, 90)
        await run_once(runtime)
        sequences = [sent[1] for sent in emailed(settings, alice["email"])]
        assert len(sequences) == 3 and sequences == sorted(set(sequences))  # confirm, update, update

    async def test_venue_changes_in_a_row_coalesce_too(self, client, runtime, settings):
        host, alice = await make_user(), await make_user()
        workshop = await make_workshop(host=host, community=await make_community(moderation=False))
        session = await make_session(workshop)
        await booked(client, session["id"], alice)
        for name in ("La Cave", "Le Jardin"):
            response = await client.patch(f"/api/v1/workshops/{workshop['id']}", headers=auth(host), json={
                "venue": {"name": name, "address": "3 rue des Lilas, Paris"}})
            assert response.status_code == 200, response.text
        assert len(await rows("SELECT id FROM outbox_message WHERE kind = 'session_updated'")) == 1
        await run_once(runtime)  # expands the fan-out row
        await run_once(runtime)
        updated = [text for text in (p.read_text() for p in settings.mail_dir.glob("*.eml"))
                   if "X-Alveole-Kind: session_updated" in text]
        assert len(updated) == 1
        assert "Le Jardin" in updated[0] and "La Cave" not in updated[0]
