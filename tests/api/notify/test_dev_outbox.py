"""/dev/outbox: the rows and each rendered message in dev mode; nothing in prod."""
from __future__ import annotations

import dataclasses

import httpx

from alveole.app import create_app
from kernel.events import BookingConfirmed, WorkshopSubmitted
from alveole.worker import run_once
from notify.jobs import JOBS
from notify.outbox import insert_rows
from tests.conftest import running
from tests.factories import make_booking_row, make_community, make_session, make_user, make_workshop


async def test_lists_rows_and_shows_a_message_with_its_parts(client, runtime, clock):
    alice = await make_user(display_name="Alice <script>")
    session = await make_session()
    booking = await make_booking_row(session, alice)
    await insert_rows(runtime.notifier.outbox_rows([BookingConfirmed(
        at=clock.now(), booking_id=booking["id"], session_id=session["id"], user_id=alice["id"])]), clock.now())
    await run_once(runtime, JOBS)
    community = await make_community(organizers=(await make_user(),))
    workshop = await make_workshop(community=community, status="submitted")
    await insert_rows(runtime.notifier.outbox_rows([WorkshopSubmitted(
        at=clock.now(), workshop_id=workshop["id"], community_id=community["id"],
        host_id=workshop["host"])]), clock.now())

    page = await client.get("/dev/outbox")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "booking_confirmed" in page.text and alice["email"] in page.text
    assert "sent" in page.text and "workshop_submitted" in page.text and "(fan-out)" in page.text
    assert 'href="/dev/outbox/1"' in page.text

    detail = await client.get("/dev/outbox/1")
    assert detail.status_code == 200
    assert '<iframe sandbox=""' in detail.text and "srcdoc=" in detail.text
    assert "Alice &amp;lt;script&amp;gt;" in detail.text  # escaped in the email, escaped again in srcdoc
    assert "<script>" not in detail.text
    assert "Booking confirmed: Fix your bike" in detail.text
    assert "Message-ID" in detail.text and "&lt;outbox.1." in detail.text
    assert 'href="/dev/outbox/1/invite.ics"' in detail.text
    ics = await client.get("/dev/outbox/1/invite.ics")
    assert ics.status_code == 200 and "METHOD:REQUEST" in ics.text
    eml = await client.get("/dev/outbox/1/message.eml")
    assert eml.status_code == 200 and b"X-Alveole-Kind: booking_confirmed" in eml.content

    fan_out = await client.get("/dev/outbox/2")
    assert fan_out.status_code == 200 and "fan-out row" in fan_out.text


async def test_a_pending_row_is_previewed_without_touching_its_sequence(client, runtime, clock):
    from notify.tables import InviteSequence

    alice = await make_user()
    session = await make_session()
    booking = await make_booking_row(session, alice)
    await insert_rows(runtime.notifier.outbox_rows([BookingConfirmed(
        at=clock.now(), booking_id=booking["id"], session_id=session["id"], user_id=alice["id"])]), clock.now())
    detail = await client.get("/dev/outbox/1")
    assert detail.status_code == 200 and "Preview" in detail.text and "<iframe" in detail.text
    assert await InviteSequence.count() == 0
    assert (await client.get("/dev/outbox/1/message.eml")).status_code == 404


async def test_texts_are_listed_and_shown(client, runtime, clock, tmp_path):
    from kernel.events import SessionUpdated

    runtime.settings = dataclasses.replace(runtime.settings, sms_dir=tmp_path / "sms")
    runtime.texter = None
    session = await make_session()
    booking = await make_booking_row(session, await make_user(phone="+33612345678", sms_opt_in=True))
    await insert_rows(runtime.notifier.outbox_rows([SessionUpdated(
        at=clock.now(), session_id=session["id"], sequence=1, booking_ids=(booking["id"],))]), clock.now())
    await run_once(runtime, JOBS)
    await run_once(runtime, JOBS)
    page = await client.get("/dev/outbox")
    assert "session_updated</a> (text)" in page.text and "+33612345678" in page.text
    detail = await client.get("/dev/outbox/2")
    assert "Text message to +33612345678" in detail.text and "ANNULER" in detail.text
    (written,) = (tmp_path / "sms").glob("*.txt")
    assert "ANNULER" in written.read_text()


async def test_unknown_message_is_404_and_bad_paging_a_400(client):
    for message_id in (12345, 2**31, 2**63, 10**30):
        answer = await client.get(f"/dev/outbox/{message_id}")
        assert answer.status_code == 404
    for query in ("offset=-1", f"offset={2**63}", "limit=0", "limit=abc"):
        answer = await client.get(f"/dev/outbox?{query}")
        assert answer.status_code == 400, query
        assert answer.json()["type"].endswith("/validation-error")


async def test_nothing_in_prod(settings, clock):
    prod = dataclasses.replace(settings, env="prod", secret_key="x" * 40)
    app = create_app(prod, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://alveole.test") as http:
        for path in ("/dev/outbox", "/dev/outbox/1", "/dev/outbox/1/invite.ics"):
            answer = await http.get(path)
            assert answer.status_code == 404
            assert answer.headers["content-type"].startswith("application/problem+json")
