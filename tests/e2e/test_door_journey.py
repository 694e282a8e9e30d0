"""The door and the desk in chromium, in French, JavaScript off: the organizer names a relay, the
relay (Louis, at a library desk) books a seat for a neighbour without email and prints her slip;
at the door the host (Amina) checks the neighbour in with the slip's code, lets a walk-in in,
puts two people on standby once it is full, releases the seat of a participant who did not come
(Chloé) to the first of them, and the organizer's dashboard counts it all. The slip and the
programme are printed to PDF by chromium, and a page of each is rendered as printed (print
media) into docs/screenshots/ to be looked at.

What a browser cannot do is done in the server's database, as test_journey.py does: the session
is made starting in 40 minutes (check-in and the door open an hour before), then its start is
moved 15 minutes into the past (the release opens 10 minutes after the start)."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
from pathlib import Path

import pytest

from alveole import demo
from tests.e2e.conftest import ADMIN, HOST, ORGANIZER, PARTICIPANT, expect_title
from tests.e2e.test_journey import _french

pytestmark = pytest.mark.slow
UTC = dt.UTC
# the test's output folder; ALVEOLE_DOOR_SHOTS=docs/screenshots refreshes the committed ones
SHOTS_DIR = os.environ.get("ALVEOLE_DOOR_SHOTS")
AMINA = demo.AMINA.email
TITLE = "Couture et raccommodage"
del ADMIN, HOST


def t(msgid: str, **values: object) -> str:
    text = _french().get(msgid) or pytest.fail(f"no French translation of {msgid!r}")
    return text % values if values else text


def _db(database):
    return sqlite3.connect(database, timeout=30)


def a_session_soon(database) -> int:
    """A session of Amina's on-site sewing workshop starting in 40 minutes, 3 seats."""
    starts = (dt.datetime.now(UTC) + dt.timedelta(minutes=40)).replace(microsecond=0)
    with _db(database) as conn:
        (workshop,) = conn.execute("SELECT id FROM workshop WHERE title = ?", (TITLE,)).fetchone()
        cursor = conn.execute(
            "INSERT INTO workshop_session (workshop, starts_at, ends_at, timezone, capacity, status, sequence,"
            " cancel_reason, created_at, updated_at, short_code) VALUES (?, ?, ?, 'Europe/Paris', 3, 'scheduled',"
            " 0, '', ?, ?, 'D00RXX')", (workshop, str(starts), str(starts + dt.timedelta(hours=2)), str(starts),
                                        str(starts)))
        session_id = cursor.lastrowid
    conn.close()
    return session_id


def it_started_15_minutes_ago(database, session_id: int) -> None:
    starts = (dt.datetime.now(UTC) - dt.timedelta(minutes=15)).replace(microsecond=0)
    with _db(database) as conn:
        changed = conn.execute("UPDATE workshop_session SET starts_at = ?, ends_at = ? WHERE id = ?",
                               (str(starts), str(starts + dt.timedelta(hours=2)), session_id)).rowcount
    conn.close()
    assert changed == 1


def print_to_paper(page, shots: Path, name: str, width_px: int, height_px: int) -> None:
    """The page printed by chromium to PDF (kept beside the test's output), and as it prints
    (print media, the paper's size) into docs/screenshots/{name}.png."""
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf.startswith(b"%PDF")
    (shots / f"{name}.pdf").write_bytes(pdf)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": width_px, "height": height_px})
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    page.emulate_media(media="screen")


def pages_in(pdf_path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf_path.read_bytes()))


def test_the_door_and_the_desk_in_french(new_page, demo_server, tmp_path):
    database = demo_server.database
    shots = Path(SHOTS_DIR) if SHOTS_DIR else tmp_path
    session_id = a_session_soon(database)

    # the organizer names Louis (a library desk) a relay of Belleville
    nadia = new_page(locale="fr-FR", user=ORGANIZER)
    nadia.goto("/organize/communities/belleville/relays")
    expect_title(nadia, t("Relays: %(name)s", name="Belleville"))
    nadia.get_by_label(t("Email of their Alvéole account")).fill(demo.LOUIS.email)
    nadia.get_by_role("button", name=t("Add a relay")).click()
    assert t("Relay added.") in nadia.get_by_role("status").first.inner_text()
    assert "Louis" in nadia.locator("main").inner_text()

    # Louis books, at the desk, a seat for Mme Lefèvre (no email) and prints her slip
    louis = new_page(locale="fr-FR", user=demo.LOUIS.email)
    louis.goto("/desk")
    expect_title(louis, t("Book for a neighbour"))
    louis.get_by_label(t("Session")).select_option(value=str(session_id))
    louis.get_by_label(t("Neighbour's name")).fill("Mme Lefèvre")
    louis.get_by_label(t("Phone (optional)")).fill("06 12 34 56 78")
    louis.get_by_label(t("Note for the host (optional)")).fill("Vient avec sa machine à coudre")
    louis.get_by_role("button", name=t("Book and print the slip")).click()
    expect_title(louis, t("Booking slip: %(title)s", title=TITLE))
    slip_text = louis.locator("main").inner_text()
    assert "Mme Lefèvre" in slip_text and TITLE in slip_text and t("Show this code at the door") in slip_text
    assert "3,00" in slip_text  # to pay on site, in French
    code = louis.locator(".code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)
    assert louis.locator(".qr svg").count() == 1
    print_to_paper(louis, shots, "slip", 397, 560)  # A6 at 96 px per inch
    assert pages_in(shots / "slip.pdf") == 1
    louis.goto("/me/neighbours")
    assert "Mme Lefèvre" in louis.locator("main").inner_text()

    # Chloé books a seat for herself (through the API, with her own login) and will not come
    api = louis.context.request
    token = api.post("/api/v1/auth/login", data=json.dumps({"email": PARTICIPANT, "password": demo.PASSWORD}),
                     headers={"Content-Type": "application/json"}).json()["token"]
    booked = api.post(f"/api/v1/sessions/{session_id}/bookings", data=json.dumps({"seats": 1}),
                      headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    assert booked.status == 201, booked.text()

    # at the door, on Amina's phone: the neighbour checks in with her slip, a walk-in fills the
    # last seat, two people wait on standby
    amina = new_page(locale="fr-FR", width=360, user=AMINA)
    amina.goto(f"/sessions/{session_id}/roster")
    expect_title(amina, t("Roster: %(title)s", title=TITLE))
    amina.get_by_label(t("Check-in code")).fill(code.lower())
    amina.get_by_role("button", name=t("Check in")).click()
    assert t("Checked in: %(name)s (%(num)s seat).", name="Mme Lefèvre", num=1) in amina.locator("main").inner_text()
    amina.get_by_label(t("Walk-in's name (optional)")).fill("Paul")
    amina.get_by_role("button", name=t("Add a walk-in")).click()
    assert t("Walk-in added.") in amina.get_by_role("status").first.inner_text()
    for name in ("Inès", "Jo"):
        amina.get_by_label(t("Name (optional)")).fill(name)
        amina.get_by_role("button", name=t("Put on standby")).click()
        assert t("Added to the standby list.") in amina.get_by_role("status").first.inner_text()
    door = amina.locator("#door").inner_text()
    assert "Inès" in door and "Jo" in door
    amina.get_by_role("button", name=t("Release no-shows")).click()
    assert t("This cannot be done now.") in amina.get_by_role("status").first.inner_text()  # not 10 min yet

    it_started_15_minutes_ago(database, session_id)
    amina.goto(f"/sessions/{session_id}/roster")
    amina.get_by_role("button", name=t("Release no-shows")).click()
    assert t("No-shows released to the standby list.") in amina.get_by_role("status").first.inner_text()
    roster = amina.locator("main").inner_text()
    assert "Inès" in roster and t("from standby") in roster
    assert "Jo" in amina.locator("#door").inner_text()  # still waiting: one seat was released
    amina.screenshot(path=str(shots / "roster-door-phone.png"), full_page=True)

    # the organizer's dashboard counts it all
    nadia.goto("/organize/dashboard?community=belleville")
    row = nadia.locator("#door-table tbody tr", has_text=TITLE)
    assert row.count() == 1
    assert [c.strip() for c in row.locator("td").all_inner_texts()] == ["1", "1", "1", "1"]

    # the programme of the next 14 days, printed on A4 (the session above, with its code, is in it)
    visitor = new_page(locale="fr-FR")
    visitor.goto("/communities/belleville/programme")
    expect_title(visitor, t("Programme: %(name)s", name="Belleville"))
    text = visitor.locator("main").inner_text()
    assert t("Book at the desk, or online at %(base)s/s/CODE with the session's code.",
             base=demo_server.url) in text
    short = visitor.locator(".short strong").first.inner_text()
    print_to_paper(visitor, shots, "programme", 794, 1123)  # A4 at 96 px per inch
    visitor.goto(f"/s/{short}")
    assert "/workshops/" in visitor.url
