"""The roster, attendance marks, check-in by code and the check-in QR code: windows, audit rows,
who may do what."""
from __future__ import annotations

import asyncio
import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
import segno

from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import book, join, rows

START_IN = dt.timedelta(days=7)
ROLES = ["anonymous", "participant", "other_participant", "host", "other_host", "organizer",
         "other_organizer", "admin"]
MANAGERS = {"host", "organizer", "admin"}


@pytest.fixture
async def cast(clock, client):
    """A 2-hour session in 7 days of a free workshop, its host, an organizer of its community,
    a participant with a confirmed booking, and strangers of every kind."""
    host, organizer = await make_user(display_name="Hélène Host"), await make_user()
    community = await make_community(organizers=(organizer,))
    workshop = await make_workshop(host=host, community=community, capacity=3, payment="on_site",
                                   price_cents=500)
    session = await make_session(workshop, starts_at=clock.now() + START_IN)
    other_organizer = await make_user()
    other_community = await make_community(organizers=(other_organizer,))
    other_host = await make_user()
    other_session = await make_session(await make_workshop(host=other_host, community=other_community),
                                       starts_at=clock.now() + START_IN)
    participant = await make_user(display_name="Zoé Zed")
    booking = (await book(client, participant, session["id"], 2, expect=201)).json()
    return dict(host=host, organizer=organizer, participant=participant, session=session, booking=booking,
                other_participant=await make_user(), other_host=other_host, other_organizer=other_organizer,
                admin=await make_user(is_admin=True), other_session=other_session, workshop=workshop,
                anonymous=None)


def headers(cast, who):
    return auth(cast[who]) if cast.get(who) else {}


def starts(cast):
    return cast["session"]["starts_at"]


def ends(cast):
    return cast["session"]["ends_at"]


async def mark(client, cast, who, attendance, booking_id=None):
    return await client.post(f"/api/v1/bookings/{booking_id or cast['booking']['id']}/attendance",
                             json={"attendance": attendance}, headers=headers(cast, who))


async def check_in(client, cast, who, code, session_id=None):
    return await client.post(f"/api/v1/sessions/{session_id or cast['session']['id']}/checkin",
                             json={"checkin_code": code}, headers=headers(cast, who))


async def marks_of(booking_id):
    return await rows("SELECT from_attendance, to_attendance, via, marked_by FROM attendance_mark "
                      "WHERE booking = {} ORDER BY id", booking_id)


def slug(response):
    return response.json()["type"].rsplit("/", 1)[-1]


class TestRoster:
    async def test_sorted_by_name_with_what_to_collect_and_the_waitlist_apart(self, client, cast):
        session_id = cast["session"]["id"]
        emile = await make_user(display_name="Émile Est")
        await book(client, emile, session_id, 1, expect=201)  # full: 3 of 3 seats
        bob = await make_user(display_name="bob Bas")
        entry = (await join(client, bob, session_id, 1, expect=201)).json()
        gone = await make_user(display_name="Aaron Away")
        await join(client, gone, session_id, 1, expect=201)
        await client.delete(f"/api/v1/waitlist/{entry['id'] + 1}", headers=auth(gone))

        response = await client.get(f"/api/v1/sessions/{session_id}/roster", headers=auth(cast["host"]))
        assert response.status_code == 200, response.text
        roster = response.json()
        assert [i["display_name"] for i in roster["items"]] == ["Émile Est", "Zoé Zed"]
        zoe = roster["items"][1]
        assert zoe == {"booking_id": cast["booking"]["id"], "display_name": "Zoé Zed", "seats": 2,
                       "status": "confirmed", "attendance": "unknown", "amount_cents": 1000, "currency": "eur",
                       "payment": "on_site", "confirmed_by_text": False}
        assert roster["total"] == 2 and roster["booked_seats"] == 3
        assert roster["waitlist"] == [{"id": entry["id"], "display_name": "bob Bas", "seats": 1, "position": 1,
                                       "status": "waiting"}]

    async def test_a_cancelled_booking_is_not_on_it(self, client, cast):
        await client.post(f"/api/v1/bookings/{cast['booking']['id']}/cancel", headers=auth(cast["participant"]))
        roster = (await client.get(f"/api/v1/sessions/{cast['session']['id']}/roster",
                                   headers=auth(cast["organizer"]))).json()
        assert roster["items"] == [] and roster["booked_seats"] == 0

    @pytest.mark.parametrize("who", ROLES)
    async def test_who_may_see_it(self, client, cast, who):
        response = await client.get(f"/api/v1/sessions/{cast['session']['id']}/roster", headers=headers(cast, who))
        expected = 200 if who in MANAGERS else 401 if who == "anonymous" else 403
        assert response.status_code == expected, (who, response.text)
        if expected != 200:
            assert response.headers["content-type"].startswith("application/problem+json")

    async def test_a_draft_is_not_found_by_strangers_and_an_unknown_session_neither(self, client, cast, clock):
        draft = await make_session(await make_workshop(host=cast["host"], status="draft"),
                                   starts_at=clock.now() + START_IN)
        stranger = await client.get(f"/api/v1/sessions/{draft['id']}/roster", headers=auth(cast["other_host"]))
        assert stranger.status_code == 404
        assert (await client.get(f"/api/v1/sessions/{draft['id']}/roster", headers=auth(cast["host"]))).status_code == 200
        assert (await client.get("/api/v1/sessions/999999/roster", headers=auth(cast["host"]))).status_code == 404


class TestMarks:
    @pytest.mark.parametrize(("offset", "expected"), [
        (-dt.timedelta(hours=1, seconds=1), 409), (-dt.timedelta(hours=1), 200),
    ])
    async def test_window_opens_one_hour_before_the_start(self, client, cast, clock, offset, expected):
        clock.set(starts(cast) + offset)
        response = await mark(client, cast, "host", "attended")
        assert response.status_code == expected, response.text
        if expected == 409:
            assert slug(response) == "invalid-state"

    @pytest.mark.parametrize(("offset", "expected"), [
        (dt.timedelta(days=7), 200), (dt.timedelta(days=7, seconds=1), 409),
    ])
    async def test_window_closes_seven_days_after_the_end(self, client, cast, clock, offset, expected):
        clock.set(ends(cast) + offset)
        response = await mark(client, cast, "organizer", "no_show")
        assert response.status_code == expected, response.text

    async def test_a_mark_is_undone_and_every_change_is_kept(self, client, cast, clock):
        clock.set(ends(cast))
        first = await mark(client, cast, "host", "no_show")
        assert first.status_code == 200 and first.json()["attendance"] == "no_show"
        assert first.json()["id"] == cast["booking"]["id"]
        undo = await mark(client, cast, "organizer", "unknown")
        assert undo.json()["attendance"] == "unknown"
        assert await marks_of(cast["booking"]["id"]) == [
            {"from_attendance": "unknown", "to_attendance": "no_show", "via": "mark", "marked_by": cast["host"]["id"]},
            {"from_attendance": "no_show", "to_attendance": "unknown", "via": "mark",
             "marked_by": cast["organizer"]["id"]},
        ]
        history = await client.get(f"/api/v1/bookings/{cast['booking']['id']}/attendance", headers=auth(cast["host"]))
        assert history.status_code == 200
        assert [(m["from_attendance"], m["to_attendance"], m["marked_by"]) for m in history.json()["items"]] == [
            ("unknown", "no_show", cast["host"]["id"]), ("no_show", "unknown", cast["organizer"]["id"])]
        mine = await client.get(f"/api/v1/bookings/{cast['booking']['id']}", headers=auth(cast["participant"]))
        assert mine.json()["attendance"] == "unknown"

    async def test_the_same_mark_twice_records_one_change(self, client, cast, clock):
        clock.set(starts(cast))
        assert (await mark(client, cast, "host", "attended")).status_code == 200
        assert (await mark(client, cast, "host", "attended")).json()["attendance"] == "attended"
        assert len(await marks_of(cast["booking"]["id"])) == 1

    @pytest.mark.parametrize("who", ROLES)
    async def test_who_may_mark(self, client, cast, clock, who):
        clock.set(starts(cast))
        response = await mark(client, cast, who, "attended")
        expected = 200 if who in MANAGERS else 401 if who == "anonymous" else 403
        assert response.status_code == expected, (who, response.text)
        assert len(await marks_of(cast["booking"]["id"])) == (1 if expected == 200 else 0)

    @pytest.mark.parametrize("who", ["participant", "other_host", "other_organizer"])
    async def test_only_managers_read_the_marks(self, client, cast, who):
        response = await client.get(f"/api/v1/bookings/{cast['booking']['id']}/attendance", headers=auth(cast[who]))
        assert response.status_code == 403

    async def test_a_cancelled_booking_cannot_be_marked(self, client, cast, clock):
        await client.post(f"/api/v1/bookings/{cast['booking']['id']}/cancel", headers=auth(cast["participant"]))
        clock.set(starts(cast))
        response = await mark(client, cast, "host", "attended")
        assert response.status_code == 409 and slug(response) == "invalid-state"

    @pytest.mark.parametrize("body", [{"attendance": "present"}, {}, {"attendance": "attended", "extra": 1}, []])
    async def test_bad_bodies(self, client, cast, clock, body):
        clock.set(starts(cast))
        response = await client.post(f"/api/v1/bookings/{cast['booking']['id']}/attendance", json=body,
                                     headers=auth(cast["host"]))
        assert response.status_code == 400 and slug(response) == "validation-error"

    async def test_unknown_booking(self, client, cast):
        response = await mark(client, cast, "host", "attended", booking_id=999999)
        assert response.status_code == 404


class TestCheckIn:
    async def test_the_code_typed_loosely_checks_the_participant_in(self, client, cast, clock):
        clock.set(starts(cast) - dt.timedelta(minutes=10))
        code = cast["booking"]["checkin_code"]
        typed = " " + code.lower().replace("-", " ").replace("0", "o") + " "
        response = await check_in(client, cast, "host", typed)
        assert response.status_code == 200, response.text
        assert response.json()["id"] == cast["booking"]["id"] and response.json()["attendance"] == "attended"
        assert await marks_of(cast["booking"]["id"]) == [
            {"from_attendance": "unknown", "to_attendance": "attended", "via": "checkin",
             "marked_by": cast["host"]["id"]}]

    async def test_twice_answers_the_booking_again(self, client, cast, clock):
        clock.set(starts(cast))
        code = cast["booking"]["checkin_code"]
        first, second = await check_in(client, cast, "host", code), await check_in(client, cast, "organizer", code)
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json()
        assert len(await marks_of(cast["booking"]["id"])) == 1

    async def test_wrong_codes_are_not_found(self, client, cast, clock):
        other = (await book(client, await make_user(), cast["other_session"]["id"], expect=201)).json()
        clock.set(starts(cast))
        for code in ("AAAA-BBBB-CCCC-DDDD", other["checkin_code"], "x"):
            response = await check_in(client, cast, "host", code)
            assert response.status_code == 404 and slug(response) == "not-found", code
        assert await marks_of(other["id"]) == []

    async def test_a_cancelled_bookings_code_stops_working(self, client, cast, clock):
        await client.post(f"/api/v1/bookings/{cast['booking']['id']}/cancel", headers=auth(cast["participant"]))
        clock.set(starts(cast))
        response = await check_in(client, cast, "host", cast["booking"]["checkin_code"])
        assert response.status_code == 404 and slug(response) == "not-found"

    @pytest.mark.parametrize(("moment", "expected"), [
        ("before", 409), ("opens", 200), ("closes", 200), ("after", 409)])
    async def test_window_edges(self, client, cast, clock, moment, expected):
        clock.set({"before": starts(cast) - dt.timedelta(hours=1, seconds=1),
                   "opens": starts(cast) - dt.timedelta(hours=1),
                   "closes": ends(cast) + dt.timedelta(days=7),
                   "after": ends(cast) + dt.timedelta(days=7, seconds=1)}[moment])
        response = await check_in(client, cast, "host", cast["booking"]["checkin_code"])
        assert response.status_code == expected, response.text

    @pytest.mark.parametrize("who", ROLES)
    async def test_who_may_check_in(self, client, cast, clock, who):
        clock.set(starts(cast))
        response = await check_in(client, cast, who, cast["booking"]["checkin_code"])
        expected = 200 if who in MANAGERS else 401 if who == "anonymous" else 403
        assert response.status_code == expected, (who, response.text)

    async def test_strangers_cannot_probe_codes(self, client, cast, clock):
        clock.set(starts(cast))
        assert (await check_in(client, cast, "other_host", "AAAA-BBBB-CCCC-DDDD")).status_code == 403

    @pytest.mark.parametrize("body", [{"checkin_code": ""}, {"checkin_code": "A" * 65}, {"code": "x"}, {}])
    async def test_bad_bodies(self, client, cast, clock, body):
        clock.set(starts(cast))
        response = await client.post(f"/api/v1/sessions/{cast['session']['id']}/checkin", json=body,
                                     headers=auth(cast["host"]))
        assert response.status_code == 400

    @pytest.mark.slow
    async def test_concurrent_check_ins_of_one_code_record_one_change(self, client, cast, clock):
        clock.set(starts(cast))
        code = cast["booking"]["checkin_code"]
        answers = await asyncio.gather(*(check_in(client, cast, who, code)
                                         for who in ("host", "organizer", "admin") * 4))
        assert [a.status_code for a in answers] == [200] * 12
        assert {a.json()["attendance"] for a in answers} == {"attended"}
        assert len(await marks_of(cast["booking"]["id"])) == 1


class TestCheckinCodes:
    async def test_codes_are_random_readable_and_distinct(self, client, cast):
        session = await make_session(await make_workshop(capacity=50), starts_at=cast["session"]["starts_at"])
        codes = [(await book(client, await make_user(), session["id"], expect=201)).json()["checkin_code"]
                 for _ in range(20)]
        assert len(set(codes)) == 20
        for code in codes:
            assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)  # 16 × 5 bits


class TestCheckinSvg:
    async def test_the_participant_gets_a_qr_code_of_the_plain_code(self, client, cast):
        response = await client.get(f"/api/v1/bookings/{cast['booking']['id']}/checkin.svg",
                                    headers=auth(cast["participant"]))
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == "image/svg+xml"
        root = ET.fromstring(response.content)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        # the drawn modules are exactly those of a QR code holding the code and nothing else
        path = root.find("{http://www.w3.org/2000/svg}path").get("d")
        expected = segno.make_qr(cast["booking"]["checkin_code"], error="m", boost_error=False)
        assert _modules(path) == {(x, y) for y, row in enumerate(expected.matrix) for x, dark in enumerate(row) if dark}

    @pytest.mark.parametrize("who", ROLES)
    async def test_only_its_participant(self, client, cast, who):
        response = await client.get(f"/api/v1/bookings/{cast['booking']['id']}/checkin.svg", headers=headers(cast, who))
        expected = 200 if who == "participant" else 401 if who == "anonymous" else 403
        assert response.status_code == expected, who

    async def test_a_cancelled_booking_has_no_code(self, client, cast):
        await client.post(f"/api/v1/bookings/{cast['booking']['id']}/cancel", headers=auth(cast["participant"]))
        response = await client.get(f"/api/v1/bookings/{cast['booking']['id']}/checkin.svg",
                                    headers=auth(cast["participant"]))
        assert response.status_code == 409 and slug(response) == "invalid-state"
        assert (await client.get("/api/v1/bookings/999999/checkin.svg", headers=auth(cast["participant"]))).status_code == 404


def _modules(path: str) -> set[tuple[int, int]]:
    """The dark modules of segno's SVG path: moves (`M`, `m`) then horizontal runs (`h`) along
    each row's middle line, 4 modules of quiet zone around."""
    found, x, y = set(), 0.0, 0.0
    for move, mx, my, run in re.findall(r"([Mm])(-?[\d.]+)[ ,](-?[\d.]+)|h(\d+)", path):
        if move:
            x, y = (float(mx), float(my)) if move == "M" else (x + float(mx), y + float(my))
        else:
            found.update((int(x) + i - 4, int(y - 0.5) - 4) for i in range(int(run)))
            x += int(run)
    return found
