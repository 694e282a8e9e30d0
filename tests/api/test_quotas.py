"""Per-user quotas on what writes to other people (`accounts.quotas`), counted in the database,
through the app with its real notifier (one outbox row per message)."""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from accounts import quotas
from tests.api.workshops.conftest import workshop_body
from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import rows

BOOKINGS_PER_HOUR = quotas.QUOTAS[quotas.BOOKING][0].limit
BOOKINGS_PER_DAY = quotas.QUOTAS[quotas.BOOKING][1].limit


def limited(response, retry_after: int | None = None) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["type"].endswith("/rate-limited")
    wait = int(response.headers["Retry-After"])
    if retry_after is not None:
        assert wait == retry_after
    return wait


async def sessions_of_one_workshop(count: int, capacity: int = 5) -> list[dict]:
    workshop = await make_workshop(capacity=capacity)
    return [await make_session(workshop, starts_at=workshop["created_at"] + dt.timedelta(days=7, hours=i))
            for i in range(count)]


async def book(client, user, session_id):
    return await client.post(f"/api/v1/sessions/{session_id}/bookings", json={"seats": 1}, headers=auth(user))


class TestBookingQuota:
    async def test_a_thousand_bookings_meet_the_quota_long_before_and_mail_is_bounded(self, client, clock):
        """The abuse of issue 18: one account books free sessions in a loop."""
        user = await make_user()
        sessions = await sessions_of_one_workshop(BOOKINGS_PER_HOUR + 5)
        made = 0
        for session in sessions:
            response = await book(client, user, session["id"])
            if response.status_code != 201:
                break
            made += 1
        assert made == BOOKINGS_PER_HOUR
        limited(response, retry_after=3600)  # the clock is frozen: the first leaves in an hour
        confirmed = await rows("SELECT count(*) AS n FROM outbox_message WHERE kind = 'booking_confirmed'")
        assert confirmed[0]["n"] == BOOKINGS_PER_HOUR
        assert len(await rows("SELECT id FROM booking")) == BOOKINGS_PER_HOUR  # nothing half-done

    async def test_concurrent_bookings_of_one_user_never_pass_the_quota(self, client):
        user = await make_user()
        sessions = await sessions_of_one_workshop(BOOKINGS_PER_HOUR + 10)
        answers = await asyncio.gather(*(book(client, user, s["id"]) for s in sessions))
        assert sorted(r.status_code for r in answers) == [201] * BOOKINGS_PER_HOUR + [429] * 10
        assert len(await rows("SELECT id FROM booking")) == BOOKINGS_PER_HOUR

    async def test_retry_after_counts_down_to_the_oldest_booking_leaving_the_window(self, client, clock):
        user = await make_user()
        sessions = await sessions_of_one_workshop(BOOKINGS_PER_HOUR + 2)
        for i, session in enumerate(sessions[:BOOKINGS_PER_HOUR]):
            assert (await book(client, user, session["id"])).status_code == 201
            if i == 0:
                clock.advance(minutes=10)
        limited(await book(client, user, sessions[-2]["id"]), retry_after=50 * 60)
        clock.advance(minutes=50)
        assert (await book(client, user, sessions[-2]["id"])).status_code == 201
        limited(await book(client, user, sessions[-1]["id"]), retry_after=10 * 60)

    async def test_waitlist_joins_count_with_bookings(self, client):
        user = await make_user()
        sessions = await sessions_of_one_workshop(BOOKINGS_PER_HOUR)
        for session in sessions:
            assert (await book(client, user, session["id"])).status_code == 201
        full = await make_session(await make_workshop(capacity=1))
        assert (await book(client, await make_user(), full["id"])).status_code == 201
        response = await client.post(f"/api/v1/sessions/{full['id']}/waitlist", json={"seats": 1},
                                     headers=auth(user))
        limited(response)
        assert await rows("SELECT id FROM waitlist_entry") == []

    async def test_a_refused_booking_counts_for_nothing(self, client):
        user = await make_user()
        full = await make_session(await make_workshop(capacity=1, waitlist_enabled=False))
        assert (await book(client, await make_user(), full["id"])).status_code == 201
        for _ in range(BOOKINGS_PER_HOUR + 5):
            assert (await book(client, user, full["id"])).status_code == 409
        assert (await book(client, user, (await make_session())["id"])).status_code == 201

    async def test_other_users_are_not_held_back(self, client):
        user = await make_user()
        sessions = await sessions_of_one_workshop(BOOKINGS_PER_HOUR + 1)
        for session in sessions[:BOOKINGS_PER_HOUR]:
            assert (await book(client, user, session["id"])).status_code == 201
        limited(await book(client, user, sessions[-1]["id"]))
        assert (await book(client, await make_user(), sessions[-1]["id"])).status_code == 201

    async def test_the_day_has_its_own_bound(self, client, clock):
        user = await make_user()
        sessions = await sessions_of_one_workshop(BOOKINGS_PER_DAY + 1)
        start = clock.now()
        for i, session in enumerate(sessions[:BOOKINGS_PER_DAY]):
            if i and i % BOOKINGS_PER_HOUR == 0:
                clock.advance(hours=1)
            assert (await book(client, user, session["id"])).status_code == 201, i
        clock.advance(hours=1)  # the hourly window is empty again
        wait = limited(await book(client, user, sessions[-1]["id"]))
        assert wait == int((start + dt.timedelta(days=1) - clock.now()).total_seconds())


    async def test_the_booking_page_says_so_and_books_nothing(self, client, settings):
        from tests.api.web.test_participant_pages import as_user
        from tests.api.workshops.test_pages import BROWSER, html_page

        user = await make_user()
        sessions = await sessions_of_one_workshop(BOOKINGS_PER_HOUR + 1)
        for session in sessions[:BOOKINGS_PER_HOUR]:
            assert (await book(client, user, session["id"])).status_code == 201
        csrf = as_user(client, user, settings)
        response = await client.post(f"/sessions/{sessions[-1]['id']}/book", data={"seats": "1", "csrf_token": csrf},
                                     headers=BROWSER)
        assert response.status_code == 303
        page = html_page(await client.get(response.headers["location"], headers=BROWSER))
        assert "many sessions in a short time" in page.visible
        assert len(await rows("SELECT id FROM booking")) == BOOKINGS_PER_HOUR


class TestHostQuotas:
    @pytest.fixture
    async def community(self):
        return await make_community(slug="belleville", moderation=True)

    async def test_workshops_created_per_day(self, client, community):
        host = await make_user()
        limit = quotas.QUOTAS[quotas.WORKSHOP_CREATED][0].limit
        for _ in range(limit):
            assert (await client.post("/api/v1/workshops", json=workshop_body(), headers=auth(host))).status_code == 201
        limited(await client.post("/api/v1/workshops", json=workshop_body(), headers=auth(host)), retry_after=86400)
        assert len(await rows("SELECT id FROM workshop")) == limit

    async def test_workshops_submitted_per_day_bound_the_organizers_mail(self, client, community):
        host = await make_user()
        limit = quotas.QUOTAS[quotas.WORKSHOP_SUBMITTED][0].limit
        drafts = [await make_workshop(host, community, status="draft") for _ in range(limit + 1)]
        for workshop in drafts[:limit]:
            response = await client.post(f"/api/v1/workshops/{workshop['id']}/submit", headers=auth(host))
            assert response.status_code == 200, response.text
        limited(await client.post(f"/api/v1/workshops/{drafts[-1]['id']}/submit", headers=auth(host)))
        submitted = await rows("SELECT count(*) AS n FROM outbox_message WHERE kind = 'workshop_submitted'")
        assert submitted[0]["n"] == limit
        assert (await rows("SELECT status FROM workshop WHERE id = {}", drafts[-1]["id"]))[0]["status"] == "draft"

    async def test_sessions_created_per_day_count_each_occurrence(self, client, community, clock):
        host = await make_user()
        workshop = await make_workshop(host, community)
        limit = quotas.QUOTAS[quotas.SESSION_CREATED][0].limit
        starts = clock.now() + dt.timedelta(days=2)
        made = 0
        for week in range(10):
            first = starts + dt.timedelta(days=week)
            body = {"starts_at": first.isoformat(), "ends_at": (first + dt.timedelta(hours=1)).isoformat(),
                    "timezone": "Europe/Paris", "rrule": "FREQ=WEEKLY;COUNT=52"}
            response = await client.post(f"/api/v1/workshops/{workshop['id']}/sessions", json=body,
                                         headers=auth(host))
            if response.status_code != 201:
                break
            made += len(response.json()["items"])
        assert made == 52 * (limit // 52)  # 156: a fourth rule of 52 would pass 200
        limited(response, retry_after=86400)
        single = {"starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=1)).isoformat(),
                  "timezone": "Europe/Paris"}
        response = await client.post(f"/api/v1/workshops/{workshop['id']}/sessions", json=single, headers=auth(host))
        assert response.status_code == 201  # 157 of 200

    async def test_session_changes_per_hour(self, client, community, clock):
        host = await make_user()
        session = await make_session(await make_workshop(host, community))
        limit = quotas.QUOTAS[quotas.SESSION_CHANGED][0].limit
        starts = session["starts_at"]

        async def move(minutes: int):
            new = starts + dt.timedelta(minutes=minutes)
            return await client.patch(f"/api/v1/sessions/{session['id']}", headers=auth(host), json={
                "starts_at": new.isoformat(), "ends_at": (new + dt.timedelta(hours=2)).isoformat()})

        for n in range(1, limit + 1):
            assert (await move(n)).status_code == 200
        limited(await move(limit + 1), retry_after=3600)
        # a change that tells nobody (capacity up) is not counted
        response = await client.patch(f"/api/v1/sessions/{session['id']}", headers=auth(host), json={"capacity": 20})
        assert response.status_code == 200
        clock.advance(hours=1)
        assert (await move(limit + 1)).status_code == 200


class TestQuotasOff:
    @pytest.fixture
    def settings(self, settings):
        return dataclasses.replace(settings, rate_limits=False)

    async def test_rate_limits_off_lifts_the_quotas(self, client):
        user = await make_user()
        sessions = await sessions_of_one_workshop(BOOKINGS_PER_HOUR + 3)
        for session in sessions:
            assert (await book(client, user, session["id"])).status_code == 201
        assert await rows("SELECT id FROM quota_event") == []


class TestPurge:
    async def test_events_older_than_a_day_are_forgotten(self, client, clock, runtime):
        from booking import service

        user = await make_user()
        for session in await sessions_of_one_workshop(3):
            assert (await book(client, user, session["id"])).status_code == 201
        clock.advance(hours=23)
        assert await service.purge_quota_events(runtime) == 0
        clock.advance(hours=1)
        assert await service.purge_quota_events(runtime) == 3
