"""POST /api/v1/workshops/{id}/sessions, GET /api/v1/sessions/{id}, and place changes in PATCH."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.api.workshops.conftest import OutboxingNotifier
from tests.api.workshops.test_workshops import WORKSHOPS, bad_fields, create, problem
from tests.factories import auth, make_session, make_workshop
from kernel.ports import SessionSeats
from workshops.tables import WorkshopSession

UTC = dt.timezone.utc


def session_body(**overrides):
    body = {"starts_at": "2026-12-05T14:00:00+01:00", "ends_at": "2026-12-05T16:00:00+01:00",
            "timezone": "Europe/Paris"}
    body.update(overrides)
    return body


class TestAddSessions:
    async def test_one_session_inherits_the_capacity(self, client, cast):
        workshop = await create(client, cast.host, capacity=12)
        response = await client.post(f"{WORKSHOPS}/{workshop['id']}/sessions", json=session_body(),
                                     headers=auth(cast.host))
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["total"] == 1
        [session] = body["items"]
        assert session["workshop_id"] == workshop["id"]
        assert session["starts_at"] == "2026-12-05T14:00:00+01:00"
        assert session["ends_at"] == "2026-12-05T16:00:00+01:00"
        assert (session["timezone"], session["capacity"], session["status"], session["sequence"]) == (
            "Europe/Paris", 12, "scheduled", 0)
        assert (session["seats_taken"], session["seats_left"], session["waitlist_length"]) == (0, 12, 0)
        stored = await WorkshopSession.select(WorkshopSession.starts_at).where(
            WorkshopSession.id == session["id"]).first()
        assert stored["starts_at"] == dt.datetime(2026, 12, 5, 13, tzinfo=UTC)
        assert (await client.get(f"/api/v1/sessions/{session['id']}", headers=auth(cast.host))).json() == session

    async def test_naive_times_are_local_and_capacity_may_differ(self, client, cast):
        workshop = await create(client, cast.host)
        response = await client.post(f"{WORKSHOPS}/{workshop['id']}/sessions", headers=auth(cast.host), json=session_body(
            starts_at="2026-12-05T09:30:00", ends_at="2026-12-05T11:00:00", timezone="America/Montreal",
            capacity=3))
        [session] = response.json()["items"]
        assert session["starts_at"] == "2026-12-05T09:30:00-05:00" and session["capacity"] == 3

    async def test_weekly_rrule_keeps_local_time_across_dst(self, client, cast):
        workshop = await create(client, cast.host)
        response = await client.post(f"{WORKSHOPS}/{workshop['id']}/sessions", headers=auth(cast.host), json=session_body(
            starts_at="2026-12-05T14:00:00", ends_at="2026-12-05T16:00:00", rrule="RRULE:FREQ=WEEKLY;COUNT=20"))
        assert response.status_code == 201
        items = response.json()["items"]
        assert len(items) == 20
        # Paris changes to summer time on 28 March 2027
        assert [s["starts_at"] for s in items[15:18]] == [
            "2027-03-20T14:00:00+01:00", "2027-03-27T14:00:00+01:00", "2027-04-03T14:00:00+02:00"]
        assert {s["ends_at"][11:] for s in items} == {"16:00:00+01:00", "16:00:00+02:00"}
        detail = (await client.get(f"{WORKSHOPS}/{workshop['id']}", headers=auth(cast.host))).json()
        assert [s["id"] for s in detail["sessions"]] == [s["id"] for s in items]

    async def test_an_endless_rule_is_refused_not_cut(self, client, cast):
        # finding 15: a rule asking for more than the cap is refused, naming the cap
        workshop = await create(client, cast.host)
        response = await client.post(f"{WORKSHOPS}/{workshop['id']}/sessions", headers=auth(cast.host),
                                     json=session_body(rrule="FREQ=WEEKLY"))
        assert bad_fields(response) == ["rrule"]
        assert "52" in response.json()["detail"]
        assert await WorkshopSession.count().where(WorkshopSession.workshop == workshop["id"]) == 0
        response = await client.post(f"{WORKSHOPS}/{workshop['id']}/sessions", headers=auth(cast.host),
                                     json=session_body(rrule="FREQ=WEEKLY;COUNT=52"))
        assert response.json()["total"] == 52

    @pytest.mark.parametrize("overrides,field", [
        ({"starts_at": "2026-11-30T14:00:00+01:00", "ends_at": "2026-11-30T16:00:00+01:00"}, "starts_at"),
        ({"ends_at": "2026-12-05T13:00:00+01:00"}, "ends_at"),
        ({"ends_at": "2026-12-13T14:00:00+01:00"}, "ends_at"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"starts_at": "next friday"}, "starts_at"),
        ({"starts_at": 5}, "starts_at"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "many"}, "capacity"),
        ({"rrule": "FREQ=SOMETIMES"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20261201"}, "rrule"),
        ({"rrule": "x" * 501}, "rrule"),
        ({"starts_at": "2040-12-05T14:00:00+01:00", "ends_at": "2040-12-05T16:00:00+01:00"}, "starts_at"),
        ({"starts_at": "9999-12-31T23:00:00", "ends_at": "9999-12-31T23:30:00", "timezone": "America/Lima"},
         "starts_at"),
        ({"starts_at": "2026-12-05T14:00:00", "ends_at": "9999-12-31T23:30:00", "timezone": "America/Lima"},
         "ends_at"),
        ({"timezone": "Europe/Paris\u0000"}, "timezone"),
    ])
    async def test_bad_input_names_the_field(self, client, cast, overrides, field):
        workshop = await create(client, cast.host)
        response = await client.post(f"{WORKSHOPS}/{workshop['id']}/sessions", json=session_body(**overrides),
                                     headers=auth(cast.host))
        assert field in bad_fields(response)
        assert await WorkshopSession.count() == 0

    async def test_missing_timezone(self, client, cast):
        workshop = await create(client, cast.host)
        body = session_body()
        del body["timezone"]
        response = await client.post(f"{WORKSHOPS}/{workshop['id']}/sessions", json=body, headers=auth(cast.host))
        assert bad_fields(response) == ["timezone"]

    async def test_only_the_host(self, client, cast):
        workshop = await create(client, cast.host)
        url = f"{WORKSHOPS}/{workshop['id']}/sessions"
        problem(await client.post(url, json=session_body()), 401, "not-authenticated")
        for other in (cast.organizer, cast.admin):
            problem(await client.post(url, json=session_body(), headers=auth(other)), 403, "forbidden")
        for outsider in (cast.participant, cast.other_host, cast.other_organizer):  # finding 13: 404
            problem(await client.post(url, json=session_body(), headers=auth(outsider)), 404, "not-found")
        assert await WorkshopSession.count() == 0

    async def test_not_on_a_cancelled_workshop(self, client, cast):
        workshop = await make_workshop(host=cast.host, community=cast.community, status="cancelled")
        response = await client.post(f"{WORKSHOPS}/{workshop['id']}/sessions", json=session_body(),
                                     headers=auth(cast.host))
        problem(response, 409, "invalid-state")

    async def test_unknown_workshop(self, client, cast):
        problem(await client.post(f"{WORKSHOPS}/424242/sessions", json=session_body(), headers=auth(cast.host)),
                404, "not-found")


class TestGetSession:
    async def test_seats_come_from_the_booking_side(self, client, cast, stats):
        session = await make_session(await make_workshop(host=cast.host, community=cast.community), capacity=5)
        stats.seats[session["id"]] = SessionSeats(seats_taken=3, waitlist_length=4)
        body = (await client.get(f"/api/v1/sessions/{session['id']}")).json()
        assert body == {
            "id": session["id"], "workshop_id": session["workshop"],
            "starts_at": "2026-12-08T10:00:00+01:00", "ends_at": "2026-12-08T12:00:00+01:00",
            "timezone": "Europe/Paris", "capacity": 5, "seats_taken": 3, "seats_left": 2, "waitlist_length": 4,
            "status": "scheduled", "sequence": 0,
        }

    async def test_seats_left_never_negative(self, client, cast, stats):
        session = await make_session(await make_workshop(host=cast.host, community=cast.community), capacity=2)
        stats.seats[session["id"]] = SessionSeats(seats_taken=3)
        assert (await client.get(f"/api/v1/sessions/{session['id']}")).json()["seats_left"] == 0

    async def test_sessions_of_a_draft_are_hidden_like_the_draft(self, client, cast):
        draft = await make_workshop(host=cast.host, community=cast.community, status="draft")
        session = await make_session(draft)
        url = f"/api/v1/sessions/{session['id']}"
        problem(await client.get(url), 404, "not-found")
        for outsider in (cast.participant, cast.other_host, cast.other_organizer):
            problem(await client.get(url, headers=auth(outsider)), 404, "not-found")
        for insider in (cast.host, cast.organizer, cast.admin):
            assert (await client.get(url, headers=auth(insider))).status_code == 200

    async def test_unknown(self, client, cast):
        problem(await client.get("/api/v1/sessions/777"), 404, "not-found")
        problem(await client.get("/api/v1/sessions/99999999999999"), 404, "not-found")


class TestPlaceChange:
    @pytest.fixture
    def notifier(self):
        return OutboxingNotifier()

    async def sessions(self, cast, workshop_id):
        workshop = {"id": workshop_id, "capacity": 8}
        past = await make_session(workshop, starts_at=dt.datetime(2026, 11, 20, 13, tzinfo=UTC))
        upcoming = await make_session(workshop, starts_at=dt.datetime(2026, 12, 5, 13, tzinfo=UTC), sequence=2)
        later = await make_session(workshop, starts_at=dt.datetime(2026, 12, 12, 13, tzinfo=UTC))
        cancelled = await make_session(workshop, starts_at=dt.datetime(2026, 12, 19, 13, tzinfo=UTC),
                                       status="cancelled")
        return past, upcoming, later, cancelled

    async def sequences(self, *sessions):
        rows = await WorkshopSession.select(WorkshopSession.id, WorkshopSession.sequence).where(
            WorkshopSession.id.is_in([s["id"] for s in sessions]))
        by_id = {r["id"]: r["sequence"] for r in rows}
        return [by_id[s["id"]] for s in sessions]

    async def outbox(self, runtime):
        from workshops.tables import Workshop

        return await Workshop.raw("SELECT kind, payload FROM outbox_message ORDER BY id")

    async def test_a_new_venue_bumps_upcoming_sessions_and_writes_the_outbox(self, client, cast, notifier, runtime):
        workshop = await create(client, cast.host)
        past, upcoming, later, cancelled = await self.sessions(cast, workshop["id"])
        response = await client.patch(f"{WORKSHOPS}/{workshop['id']}", headers=auth(cast.host), json={
            "venue": {"name": "Café associatif", "address": "3 rue Ramponeau, Paris", "lat": 48.871, "lon": 2.38}})
        assert response.status_code == 200, response.text
        assert await self.sequences(past, upcoming, later, cancelled) == [0, 3, 1, 0]
        assert [(e.name, e.session_id, e.sequence, e.booking_ids) for e in notifier.events] == [
            ("SessionUpdated", upcoming["id"], 3, None), ("SessionUpdated", later["id"], 1, None)]
        rows = await self.outbox(runtime)
        assert [r["kind"] for r in rows] == ["SessionUpdated", "SessionUpdated"]
        sequences = {s["id"]: s["sequence"] for s in response.json()["sessions"]}
        assert sequences[upcoming["id"]] == 3

    async def test_an_online_url_change_is_a_change_of_place(self, client, cast, notifier):
        workshop = await create(client, cast.host)
        _, upcoming, later, _ = await self.sessions(cast, workshop["id"])
        await client.patch(f"{WORKSHOPS}/{workshop['id']}", headers=auth(cast.host),
                           json={"online_url": "https://meet.example.org/room"})
        assert await self.sequences(upcoming, later) == [3, 1]

    async def test_other_changes_tell_nobody(self, client, cast, notifier, runtime):
        workshop = await create(client, cast.host)
        _, upcoming, later, _ = await self.sessions(cast, workshop["id"])
        await client.patch(f"{WORKSHOPS}/{workshop['id']}", headers=auth(cast.host),
                           json={"title": "New title", "venue": workshop["venue"]})
        assert await self.sequences(upcoming, later) == [2, 0]
        assert notifier.events == [] and await self.outbox(runtime) == []

    async def test_a_failure_rolls_back_the_change_and_the_outbox(self, client, cast, notifier, runtime):
        workshop = await create(client, cast.host)
        _, upcoming, later, _ = await self.sessions(cast, workshop["id"])
        notifier.fail = True
        response = await client.patch(f"{WORKSHOPS}/{workshop['id']}", headers=auth(cast.host), json={
            "title": "Moved", "venue": {"name": "Elsewhere", "address": "1 rue Dénoyez, Paris"}})
        assert response.status_code == 500
        assert await self.sequences(upcoming, later) == [2, 0]
        after = (await client.get(f"{WORKSHOPS}/{workshop['id']}", headers=auth(cast.host))).json()
        assert after["title"] == "Fix your bike" and after["venue"] == workshop["venue"]
        assert await self.outbox(runtime) == []
