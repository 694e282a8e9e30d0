"""The read paths: a constant number of statements per request whatever the page holds, the
bearer-token lookup (one statement per request, so a revocation holds at once in every
process), and HTTP validators (ETag,
If-None-Match → 304, Last-Modified, Cache-Control) on the listing, the workshop page and both
calendar feeds."""
from __future__ import annotations

import datetime as dt

from accounts.auth import hash_token
from accounts.tables import AuthToken, User
from tests.factories import (
    auth, make_booking_row, make_community, make_session, make_user, make_workshop,
)
from tests.statements import counting

LISTING = "/api/v1/workshops?limit=20"


async def statements_for(client, path: str, headers: dict[str, str] | None = None) -> int:
    await client.get(path, headers=headers)  # warm
    with counting() as seen:
        answer = await client.get(path, headers=headers)
    assert answer.status_code == 200, answer.text
    return seen.count


async def published_with_bookings(community, host, sessions: int = 2, bookings: int = 2):
    workshop = await make_workshop(host=host, community=community)
    for k in range(sessions):
        session = await make_session(workshop, starts_at=dt.datetime(2026, 12, 10 + k, 18, tzinfo=dt.timezone.utc))
        for _ in range(bookings):
            await make_booking_row(session)
    return workshop


class TestConstantStatements:
    async def test_the_listing_costs_the_same_for_one_workshop_and_for_twenty(self, client):
        community, host = await make_community(), await make_user()
        await published_with_bookings(community, host)
        one = await statements_for(client, LISTING)
        for _ in range(19):
            await published_with_bookings(community, host, sessions=3, bookings=3)
        twenty = await statements_for(client, LISTING)
        assert (await client.get(LISTING)).json()["total"] == 20
        assert one == twenty <= 4

    async def test_a_workshop_page_costs_the_same_with_one_session_and_with_ten(self, client):
        community, host = await make_community(), await make_user()
        small = await published_with_bookings(community, host, sessions=1)
        large = await published_with_bookings(community, host, sessions=10, bookings=3)
        one = await statements_for(client, f"/api/v1/workshops/{small['id']}")
        ten = await statements_for(client, f"/api/v1/workshops/{large['id']}")
        assert len((await client.get(f"/api/v1/workshops/{large['id']}")).json()["sessions"]) == 10
        assert one == ten <= 4

    async def test_a_session_costs_the_same_empty_and_full(self, client):
        empty = await make_session()
        full = await make_session()
        for _ in range(8):
            await make_booking_row(full)
        assert await statements_for(client, f"/api/v1/sessions/{empty['id']}") == \
            await statements_for(client, f"/api/v1/sessions/{full['id']}") <= 3

    async def test_me_and_my_bookings_cost_the_same_with_one_booking_and_with_twenty(self, client):
        alice, bob = await make_user(), await make_user()
        await make_booking_row(user=alice)
        for _ in range(20):
            await make_booking_row(user=bob)
        # one of them is the token's own lookup (see TestTokenLookup)
        assert await statements_for(client, "/api/v1/me", auth(alice)) == \
            await statements_for(client, "/api/v1/me", auth(bob)) <= 3
        mine = await statements_for(client, "/api/v1/me/bookings", auth(alice))
        assert mine == await statements_for(client, "/api/v1/me/bookings", auth(bob)) <= 3
        assert (await client.get("/api/v1/me/bookings", headers=auth(bob))).json()["total"] == 20

    async def test_a_bearer_token_is_one_lookup_on_every_request(self, client):
        alice = await make_user()
        for _ in range(2):
            with counting() as seen:
                assert (await client.get("/api/v1/me", headers=auth(alice))).status_code == 200
            assert sum("auth_token" in statement for statement in seen.sent) == 1


class TestTokenLookup:
    async def test_logout_refuses_the_token_at_once(self, client):
        alice = await make_user()
        assert (await client.get("/api/v1/me", headers=auth(alice))).status_code == 200
        answer = await client.post("/api/v1/auth/logout", headers=auth(alice))
        assert answer.status_code in (200, 204)
        assert (await client.get("/api/v1/me", headers=auth(alice))).status_code == 401

    async def test_a_token_revoked_by_another_process_is_refused_at_once(self, client):
        alice = await make_user()
        assert (await client.get("/api/v1/me", headers=auth(alice))).status_code == 200
        # another process logs out: the row is gone, this process has not been told
        await AuthToken.delete().where(AuthToken.token_hash == hash_token(alice["token"]))
        assert (await client.get("/api/v1/me", headers=auth(alice))).status_code == 401

    async def test_a_verification_in_another_process_counts_at_once(self, client, clock):
        alice = await make_user(verified=False)
        assert (await client.get("/api/v1/me", headers=auth(alice))).json()["email_verified"] is False
        await User.update({User.email_verified_at: clock.now()}).where(User.id == alice["id"])
        assert (await client.get("/api/v1/me", headers=auth(alice))).json()["email_verified"] is True

    async def test_a_token_is_refused_from_its_expiry_on(self, client, clock):
        alice = await make_user()
        expires = clock.now() + dt.timedelta(seconds=10)
        await AuthToken.update({AuthToken.expires_at: expires}).where(
            AuthToken.token_hash == hash_token(alice["token"]))
        assert (await client.get("/api/v1/me", headers=auth(alice))).status_code == 200
        clock.advance(seconds=10)
        assert (await client.get("/api/v1/me", headers=auth(alice))).status_code == 401


def revalidate(etag: str) -> dict[str, str]:
    return {"If-None-Match": etag}


class TestListingAndPageValidators:
    async def test_the_listing_answers_304_to_its_etag_and_a_new_one_after_an_edit(self, client):
        host = await make_user()
        workshop = await make_workshop(host=host, community=await make_community(moderation=False))
        await make_session(workshop)
        first = await client.get(LISTING)
        etag = first.headers["etag"]
        assert first.headers["cache-control"].startswith("public")
        assert first.headers["last-modified"].endswith("GMT")
        same = await client.get(LISTING, headers=revalidate(etag))
        assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag
        assert (await client.get(LISTING, headers=revalidate('"something-else"'))).status_code == 200

        edit = await client.patch(f"/api/v1/workshops/{workshop['id']}", json={"title": "Fix your brakes"},
                                  headers=auth(host))
        assert edit.status_code == 200, edit.text
        after = await client.get(LISTING, headers=revalidate(etag))
        assert after.status_code == 200 and after.headers["etag"] != etag
        assert after.json()["items"][0]["title"] == "Fix your brakes"  # read-your-writes

    async def test_a_booking_changes_the_listing_etag(self, client):
        session = await make_session()
        etag = (await client.get(LISTING)).headers["etag"]
        booked = await client.post(f"/api/v1/sessions/{session['id']}/bookings", json={"seats": 1},
                                   headers=auth(await make_user()))
        assert booked.status_code == 201, booked.text
        after = await client.get(LISTING, headers=revalidate(etag))
        assert after.status_code == 200
        assert after.json()["items"][0]["next_session"]["seats_taken"] == 1

    async def test_the_workshop_page_is_public_when_published_and_private_as_a_draft(self, client):
        host = await make_user()
        community = await make_community(moderation=False)
        published = await make_workshop(host=host, community=community)
        draft = await make_workshop(host=host, community=community, status="draft", published_at=None)
        page = await client.get(f"/api/v1/workshops/{published['id']}")
        assert page.headers["cache-control"].startswith("public")
        same = await client.get(f"/api/v1/workshops/{published['id']}", headers=revalidate(page.headers["etag"]))
        assert same.status_code == 304
        own = await client.get(f"/api/v1/workshops/{draft['id']}", headers=auth(host))
        assert own.status_code == 200 and own.headers["cache-control"].startswith("private")
        # a validator never opens a page one may not see
        hidden = await client.get(f"/api/v1/workshops/{draft['id']}", headers=revalidate(own.headers["etag"]))
        assert hidden.status_code == 404

        edit = await client.patch(f"/api/v1/workshops/{published['id']}", json={"summary": "New summary"},
                                  headers=auth(host))
        assert edit.status_code == 200
        after = await client.get(f"/api/v1/workshops/{published['id']}", headers=revalidate(page.headers["etag"]))
        assert after.status_code == 200 and after.json()["summary"] == "New summary"


class TestFeedValidators:
    async def test_the_community_feed_answers_304_until_a_session_changes(self, client):
        host = await make_user()
        community = await make_community(moderation=False)
        workshop = await make_workshop(host=host, community=community)
        session = await make_session(workshop)
        path = f"/api/v1/communities/{community['slug']}/calendar.ics"
        first = await client.get(path)
        assert first.status_code == 200 and first.headers["cache-control"].startswith("public")
        etag = first.headers["etag"]
        assert first.headers["last-modified"].endswith("GMT")
        with counting() as seen:
            same = await client.get(path, headers=revalidate(etag))
        assert same.status_code == 304 and same.content == b""
        assert seen.count <= 2  # the community and the feed's version: nothing rendered

        moved = await client.patch(f"/api/v1/sessions/{session['id']}", headers=auth(host), json={
            "starts_at": "2026-12-09T19:00:00+01:00", "ends_at": "2026-12-09T21:00:00+01:00"})
        assert moved.status_code == 200, moved.text
        after = await client.get(path, headers=revalidate(etag))
        assert after.status_code == 200 and after.headers["etag"] != etag
        assert "20261209T190000" in after.text

    async def test_a_new_session_changes_the_community_feed(self, client):
        community = await make_community(moderation=False)
        workshop = await make_workshop(community=community)
        path = f"/api/v1/communities/{community['slug']}/calendar.ics"
        etag = (await client.get(path)).headers["etag"]
        await make_session(workshop)
        after = await client.get(path, headers=revalidate(etag))
        assert after.status_code == 200 and "BEGIN:VEVENT" in after.text

    async def test_the_feed_etag_also_changes_every_hour(self, client, clock):
        community = await make_community()
        path = f"/api/v1/communities/{community['slug']}/calendar.ics"
        etag = (await client.get(path)).headers["etag"]
        clock.advance(hours=1)
        assert (await client.get(path, headers=revalidate(etag))).status_code == 200

    async def test_the_personal_feed_is_private_and_changes_with_a_booking(self, client):
        alice = await make_user()
        row = await User.select(User.calendar_token).where(User.id == alice["id"]).first()
        path = f"/calendar/{row['calendar_token']}/feed.ics"
        await make_booking_row(user=alice)
        first = await client.get(path)
        assert first.status_code == 200 and first.headers["cache-control"].startswith("private")
        etag = first.headers["etag"]
        assert (await client.get(path, headers=revalidate(etag))).status_code == 304
        booked = await client.post(f"/api/v1/sessions/{(await make_session())['id']}/bookings",
                                   json={"seats": 1}, headers=auth(alice))
        assert booked.status_code == 201
        after = await client.get(path, headers=revalidate(etag))
        assert after.status_code == 200 and after.text.count("BEGIN:VEVENT") == 2

    async def test_a_revoked_feed_url_is_404_even_with_its_old_etag(self, client):
        alice = await make_user()
        row = await User.select(User.calendar_token).where(User.id == alice["id"]).first()
        path = f"/calendar/{row['calendar_token']}/feed.ics"
        etag = (await client.get(path)).headers["etag"]
        assert (await client.post("/api/v1/me/calendar-token", headers=auth(alice))).status_code == 200
        assert (await client.get(path, headers=revalidate(etag))).status_code == 404
