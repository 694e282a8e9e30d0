"""POST /api/v1/sms/twilio/webhook: replies to texts, signed like Twilio signs them (the SDK's
validator over ALVEOLE_BASE_URL + the path). ANNULER cancels through the same service as any
cancellation (the waitlist is promoted), OUI records the confirmation, STOP opts out; a forged
or replayed request is 403 with nothing changed; anything else gets the help answer."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json

import pytest

from kernel.settings import Settings
from notify.tables import OutboxMessage
from tests.factories import make_booking_row, make_session, make_user, make_workshop
from tests.fake_twilio import FakeTwilio, sign
from tests.integration.booking.support import book, join, rows

URL = "/api/v1/sms/twilio/webhook"
PHONE = "+33612345601"
_sids = itertools.count(1)


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(database_url=database_url, mail_dir=tmp_path / "mail", sms_dir=tmp_path / "sms",
                    base_url="http://alveole.test", worker_poll_seconds=0.05,
                    sms_url=FakeTwilio().sms_url)


def reply(body: str, phone: str = PHONE, sid: str | None = None) -> dict[str, str]:
    return {"MessageSid": sid or f"SM{next(_sids):032d}", "AccountSid": "AC" + "0" * 32, "From": phone,
            "To": "+33700000000", "Body": body, "NumMedia": "0"}


async def post(client, params: dict[str, str], signature: str | None = "sign"):
    headers = {}
    if signature == "sign":
        headers["X-Twilio-Signature"] = sign("http://alveole.test" + URL, params)
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return await client.post(URL, data=params, headers=headers)


async def text_was_sent(booking_id: int, phone: str = PHONE, kind: str = "reminder", language: str = "fr",
                        at: dt.datetime | None = None) -> None:
    """The outbox row of a text sent to `phone` about `booking_id` (what a reply acts on)."""
    at = at or dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)
    await OutboxMessage.insert(OutboxMessage(
        kind=kind, channel="sms", recipient_email=phone, dedupe_key=f"sms:{kind}:{booking_id}:{at.timestamp()}",
        payload={"booking_id": booking_id}, subject=language, body_text="...", status="sent", sent_at=at))


async def booking_row(booking_id: int) -> dict:
    (row,) = await rows("SELECT status, confirmed_by_text_at, cancelled_by FROM booking WHERE id = {}", booking_id)
    return row


class TestSignature:
    @pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
    async def test_a_missing_or_wrong_signature_is_403_and_changes_nothing(self, client, signature):
        user = await make_user(phone=PHONE, sms_opt_in=True)
        booking = await make_booking_row(await make_session(), user)
        await text_was_sent(booking["id"])
        response = await post(client, reply("ANNULER"), signature)
        assert response.status_code == 403 and response.json()["type"].endswith("/invalid-signature")
        assert (await booking_row(booking["id"]))["status"] == "confirmed"

    async def test_a_signature_for_another_url_is_refused(self, client):
        params = reply("STOP")
        response = await client.post(URL, data=params, headers={
            "X-Twilio-Signature": sign("http://internal:8000" + URL, params)})
        assert response.status_code == 403
        assert await rows("SELECT * FROM sms_opt_out") == []

    async def test_a_replayed_message_is_refused_and_not_acted_on_twice(self, client):
        user = await make_user(phone=PHONE, sms_opt_in=True)
        booking = await make_booking_row(await make_session(), user)
        await text_was_sent(booking["id"])
        params = reply("OUI")
        first = await post(client, params)
        assert first.status_code == 200
        confirmed_at = (await booking_row(booking["id"]))["confirmed_by_text_at"]
        assert confirmed_at is not None
        again = await post(client, params)
        assert again.status_code == 403 and again.json()["type"].endswith("/invalid-signature")

    async def test_without_twilio_configured_every_request_is_refused(self, client, app):
        app.state.runtime.settings = dataclasses.replace(app.state.runtime.settings, sms_url=None)
        assert (await post(client, reply("STOP"))).status_code == 403


class TestReplies:
    async def test_annuler_cancels_the_booking_and_promotes_the_waitlist(self, client):
        session = await make_session(await make_workshop(capacity=1))
        holder = await make_user(phone=PHONE, sms_opt_in=True, locale="fr")
        booking = (await book(client, holder, session["id"], 1)).json()
        waiting = await make_user()
        entry = (await join(client, waiting, session["id"])).json()
        await text_was_sent(booking["id"])

        response = await post(client, reply("  annulér "))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/xml")
        assert "<Response><Message>" in response.text and "libérée" in response.text
        row = await booking_row(booking["id"])
        assert (row["status"], row["cancelled_by"]) == ("cancelled", "participant")
        (promoted,) = await rows("SELECT status FROM waitlist_entry WHERE id = {}", entry["id"])
        assert promoted["status"] in ("offered", "booked")

    async def test_cancel_in_english_too(self, client):
        user = await make_user(phone=PHONE, sms_opt_in=True)
        booking = await make_booking_row(await make_session(), user)
        await text_was_sent(booking["id"], language="en")
        response = await post(client, reply("Cancel"))
        assert "freed" in response.text
        assert (await booking_row(booking["id"]))["status"] == "cancelled"

    async def test_oui_records_the_confirmation_and_changes_nothing_else(self, client):
        user = await make_user(phone=PHONE, sms_opt_in=True)
        booking = await make_booking_row(await make_session(), user)
        await text_was_sent(booking["id"])
        response = await post(client, reply("Oui !"))
        assert response.status_code == 200 and "Merci" in response.text
        row = await booking_row(booking["id"])
        assert row["status"] == "confirmed" and row["confirmed_by_text_at"] is not None

    async def test_the_roster_shows_who_confirmed_by_text(self, client, settings):
        from tests.api.web.test_participant_pages import as_user
        from tests.api.workshops.test_pages import BROWSER, html_page
        from tests.factories import auth

        host = await make_user()
        session = await make_session(await make_workshop(host))
        texted = await make_booking_row(session, await make_user(phone=PHONE, sms_opt_in=True,
                                                                 display_name="Texted"))
        other = await make_booking_row(session, await make_user(display_name="Other"))
        await text_was_sent(texted["id"])
        await post(client, reply("OUI"))
        roster = (await client.get(f"/api/v1/sessions/{session['id']}/roster", headers=auth(host))).json()
        marks = {item["booking_id"]: item["confirmed_by_text"] for item in roster["items"]}
        assert marks == {texted["id"]: True, other["id"]: False}
        as_user(client, host, settings)
        page = html_page(await client.get(f"/sessions/{session['id']}/roster", headers=BROWSER))
        assert page.visible.count("Confirmed by text") == 1

    async def test_the_last_text_decides_which_booking(self, client):
        user = await make_user(phone=PHONE, sms_opt_in=True)
        older = await make_booking_row(await make_session(), user)
        newer = await make_booking_row(await make_session(), user)
        await text_was_sent(older["id"], at=dt.datetime(2026, 12, 1, 8, tzinfo=dt.timezone.utc))
        await text_was_sent(newer["id"], at=dt.datetime(2026, 12, 1, 9, tzinfo=dt.timezone.utc))
        await post(client, reply("ANNULER"))
        assert (await booking_row(older["id"]))["status"] == "confirmed"
        assert (await booking_row(newer["id"]))["status"] == "cancelled"

    async def test_a_neighbour_booked_by_a_relay_frees_the_seat_by_text(self, client):
        """The guest has no account: ANNULER from the phone the relay gave cancels that booking
        (as the relay who made it), and the relay's own booking stays."""
        from booking.tables import Booking

        relay = await make_user()
        session = await make_session()
        guest = await make_booking_row(session, relay, booked_by=relay["id"], source="relay", guest_name="Mme Duval",
                                       guest_phone=PHONE, active_slot=None)
        await Booking.update({Booking.user: None}).where(Booking.id == guest["id"])
        own = await make_booking_row(session, relay)
        await text_was_sent(guest["id"])
        response = await post(client, reply("annuler"))
        assert response.status_code == 200, response.text
        assert (await booking_row(guest["id"]))["status"] == "cancelled"
        assert (await booking_row(own["id"]))["status"] == "confirmed"

    async def test_stop_opts_the_number_out(self, client):
        user = await make_user(phone=PHONE, sms_opt_in=True)
        booking = await make_booking_row(await make_session(), user)
        await text_was_sent(booking["id"])
        response = await post(client, reply("stop"))
        assert response.status_code == 200 and "plus de SMS" in response.text
        assert [r["phone"] for r in await rows("SELECT phone FROM sms_opt_out")] == [PHONE]
        (me,) = await rows("SELECT sms_opt_in FROM app_user WHERE id = {}", user["id"])
        assert not me["sms_opt_in"]
        assert (await booking_row(booking["id"]))["status"] == "confirmed"

    @pytest.mark.parametrize("case", ["other words", "unknown number", "started", "no text yet"])
    async def test_anything_else_gets_the_help_answer_and_changes_nothing(self, client, clock, case):
        user = await make_user(phone=PHONE, sms_opt_in=True)
        session = await make_session()
        booking = await make_booking_row(session, user)
        if case != "no text yet":
            await text_was_sent(booking["id"])
        if case == "started":
            clock.set(session["starts_at"] + dt.timedelta(minutes=1))
        body = "Je serai en retard" if case == "other words" else "ANNULER"
        phone = "+33699999999" if case == "unknown number" else PHONE
        response = await post(client, reply(body, phone=phone))
        assert response.status_code == 200 and "ANNULER" in response.text and "STOP" in response.text
        row = await booking_row(booking["id"])
        assert row["status"] == "confirmed" and row["confirmed_by_text_at"] is None
        assert await rows("SELECT * FROM sms_opt_out") == []


def test_the_answers_are_twiml():
    from notify.replies import twiml

    assert json.dumps(twiml("a & b")).count("&amp;") == 1
