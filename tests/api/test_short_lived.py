"""The listing's short-lived answers (`kernel.caching.ShortLived`): under load a page is read and
encoded once per second of the clock, not per request; a write this process answers, or the
next second, makes the next request read again. This client does NOT bump `changes` per request
(unlike the suite's `client` fixture), so what it sees is what a server under load serves."""
from __future__ import annotations

import asyncio
import datetime as dt

import httpx

from tests.conftest import running
from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.statements import counting

UTC = dt.UTC


async def plain_client(app):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://alveole.test")


async def test_a_page_is_read_once_per_second_and_again_after_a_write(app, clock):
    clock.set(dt.datetime(2026, 12, 1, 12, 0, 0, 100_000, tzinfo=UTC))
    async with running(app), await plain_client(app) as client:
        community, host, participant = await make_community(), await make_user(), await make_user()
        workshop = await make_workshop(host=host, community=community, capacity=5)
        session = await make_session(workshop, starts_at=dt.datetime(2026, 12, 10, 18, tzinfo=UTC))
        listing = f"/api/v1/workshops?community={community['slug']}&limit=20"
        first = await client.get(listing)
        assert first.status_code == 200 and first.json()["items"][0]["next_session"]["seats_taken"] == 0
        with counting() as seen:
            again = await client.get(listing)
            not_modified = await client.get(listing, headers={"If-None-Match": first.headers["etag"]})
        assert seen.count == 0  # both from the kept answer: no statement, no encoding
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
        assert not_modified.status_code == 304 and not_modified.content == b""

        # a write answered by this process: the next read is fresh, in the same second
        booked = await client.post(f"/api/v1/sessions/{session['id']}/bookings", json={},
                                   headers=auth(participant))
        assert booked.status_code == 201, booked.text
        after = await client.get(listing, headers={"If-None-Match": first.headers["etag"]})
        assert after.status_code == 200 and after.json()["items"][0]["next_session"]["seats_taken"] == 1

        # a row written by someone else (another process, the worker): seen at the next second
        await make_session(workshop, starts_at=dt.datetime(2026, 12, 9, 18, tzinfo=UTC))
        clock.advance(seconds=0.5)
        assert (await client.get(listing)).content == after.content
        clock.advance(seconds=0.5)
        fresh = (await client.get(listing)).json()
        assert fresh["items"][0]["next_session"]["starts_at"].startswith("2026-12-09")


async def test_the_home_page_shares_the_kept_page(app, clock):
    clock.set(dt.datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC))
    async with running(app), await plain_client(app) as client:
        community, host = await make_community(), await make_user()
        await make_session(await make_workshop(host=host, community=community, title="Pain au levain"),
                           starts_at=dt.datetime(2026, 12, 10, 18, tzinfo=UTC))
        api = await client.get(f"/api/v1/workshops?community={community['slug']}&limit=10")
        assert api.status_code == 200
        with counting() as seen:
            page = await client.get(f"/?community={community['slug']}")
        assert page.status_code == 200 and "Pain au levain" in page.text
        assert not any("workshop_session" in statement for statement in seen.sent)


async def test_public_workshop_and_session_reads_are_kept_drafts_never(app, clock):
    clock.set(dt.datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC))
    async with running(app), await plain_client(app) as client:
        host = await make_user()
        public = await make_workshop(host=host)
        session = await make_session(public, starts_at=dt.datetime(2026, 12, 10, 18, tzinfo=UTC))
        draft = await make_workshop(host=host, status="draft")
        draft_session = await make_session(draft, starts_at=dt.datetime(2026, 12, 10, 18, tzinfo=UTC))
        paths = [f"/api/v1/workshops/{public['id']}", f"/api/v1/sessions/{session['id']}"]
        first = [await client.get(path) for path in paths]
        with counting() as seen:
            again = [await client.get(path) for path in paths]
        assert seen.count == 0 and [a.content for a in again] == [f.content for f in first]
        # the host's view of a draft is not kept: an anonymous read right after it is a 404
        for path in (f"/api/v1/workshops/{draft['id']}", f"/api/v1/sessions/{draft_session['id']}"):
            assert (await client.get(path, headers=auth(host))).status_code == 200
            assert (await client.get(path)).status_code == 404


async def test_requests_that_miss_at_once_share_one_build(app, clock):
    clock.set(dt.datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC))
    async with running(app), await plain_client(app) as client:
        community = await make_community()
        await make_session(await make_workshop(community=community), starts_at=dt.datetime(2026, 12, 10, 18, tzinfo=UTC))
        listing = f"/api/v1/workshops?community={community['slug']}"
        with counting() as one:
            await client.get(listing + "&limit=5")
        with counting() as many:
            answers = await asyncio.gather(*[client.get(listing + "&limit=6") for _ in range(8)])
        assert {a.status_code for a in answers} == {200} and len({a.content for a in answers}) == 1
        assert many.count == one.count > 0


async def test_a_community_feed_poll_is_a_look_up_within_the_second(app, clock):
    clock.set(dt.datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC))
    async with running(app), await plain_client(app) as client:
        community = await make_community()
        await make_session(await make_workshop(community=community), starts_at=dt.datetime(2026, 12, 10, 18, tzinfo=UTC))
        path = f"/api/v1/communities/{community['slug']}/calendar.ics"
        first = await client.get(path)
        with counting() as seen:
            polled = await client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert polled.status_code == 304 and seen.count == 0
        await make_session(await make_workshop(community=community), starts_at=dt.datetime(2026, 12, 11, 18, tzinfo=UTC))
        clock.advance(seconds=1)  # another process's change: seen at the next second
        assert (await client.get(path, headers={"If-None-Match": first.headers["etag"]})).status_code == 200
