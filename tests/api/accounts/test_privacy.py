"""GET /api/v1/me/export and DELETE /api/v1/me."""
from __future__ import annotations

import datetime as dt

from accounts.tables import AuthToken, Organizer, User
from booking.tables import Booking, Feedback
from tests.api.accounts.conftest import problem_slug
from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.accounts.rows import add_booking, add_email, add_feedback, add_waitlist_entry

ME = "/api/v1/me"
EXPORT = "/api/v1/me/export"


def parse(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


class TestExport:
    async def test_holds_everything_about_the_user_and_nothing_else(self, client):
        user = await make_user(display_name="Ada", bio="Hi", skills=["bread"])
        other = await make_user()
        community = await make_community(slug="belleville", organizers=(user,))
        hosted = await make_workshop(host=user, community=community, title="Bread")
        session = await make_session(workshop=await make_workshop(title="Bikes"))
        mine = await add_booking(session, user, seats=2, amount_cents=0)
        theirs = await add_booking(session, other)
        await add_feedback(mine, rating=4, comment="Good")
        await add_feedback(theirs, rating=1, comment="Not mine")
        full = await make_session()
        await add_waitlist_entry(full, user)
        await add_email(user, kind="booking_confirmed", subject="Your seat")
        await add_email(other, kind="reminder", subject="Not mine")

        response = await client.get(EXPORT, headers=auth(user))
        assert response.status_code == 200, response.text
        body = response.json()
        assert parse(body["exported_at"]) == dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
        profile = body["profile"]
        assert (profile["id"], profile["email"], profile["display_name"]) == (
            user["id"], user["email"], "Ada")
        assert profile["bio"] == "Hi" and profile["skills"] == ["bread"]
        assert profile["calendar_url"].endswith("/feed.ics") and "password_hash" not in profile
        assert body["organizer_of"] == ["belleville"]
        assert len(body["sessions"]) == 1 and set(body["sessions"][0]) == {"created_at", "expires_at"}
        assert [w["id"] for w in body["workshops_hosted"]] == [hosted["id"]]
        assert body["workshops_hosted"][0]["community"] == "belleville"
        [booking] = body["bookings"]
        assert booking["id"] == mine and booking["seats"] == 2 and booking["status"] == "confirmed"
        assert booking["session_id"] == session["id"] and booking["workshop_title"] == "Bikes"
        assert parse(booking["starts_at"]) == session["starts_at"]
        [entry] = body["waitlist_entries"]
        assert entry["session_id"] == full["id"] and entry["status"] == "waiting"
        assert body["feedback"] == [{"booking_id": mine, "workshop_title": "Bikes", "rating": 4,
                                     "comment": "Good", "created_at": body["feedback"][0]["created_at"]}]
        [email] = body["emails"]
        assert (email["kind"], email["subject"], email["status"]) == ("booking_confirmed", "Your seat", "sent")
        assert "Not mine" not in response.text

    async def test_a_new_user_exports_empty_lists(self, client, participant):
        body = (await client.get(EXPORT, headers=auth(participant))).json()
        for key in ("organizer_of", "workshops_hosted", "bookings", "waitlist_entries", "feedback",
                    "refunds", "emails"):
            assert body[key] == []

    async def test_anonymous_is_401(self, client):
        response = await client.get(EXPORT)
        assert response.status_code == 401 and problem_slug(response) == "not-authenticated"


class TestDeleteAccount:
    async def test_erases_personal_data_and_keeps_bookings_for_counts(self, client, clock):
        user = await make_user(email="ada@example.org", display_name="Ada", bio="Hi",
                               skills=["bread"], calendar_token="cal-1", is_admin=True)
        bystander = await make_user(email="unrelated@example.org")
        await make_community(organizers=(user,))
        session = await make_session()
        booking = await add_booking(session, user)
        await add_feedback(booking, rating=4, comment="Lovely afternoon with Bob")

        response = await client.delete(ME, headers=auth(user))
        assert response.status_code == 204 and response.content == b""

        row = await User.select().where(User.id == user["id"]).first()
        assert row["email"] == f"deleted-{user['id']}@invalid"
        assert row["display_name"] == "Deleted user"
        assert (row["password_hash"], row["bio"], row["calendar_token"]) == ("", "", None)
        assert row["skills"] in ([], "[]") and row["is_admin"] is False
        assert row["deleted_at"] == clock.now()
        assert await AuthToken.count().where(AuthToken.user == user["id"]) == 0
        assert await Organizer.count().where(Organizer.user == user["id"]) == 0
        assert await Booking.count().where(Booking.user == user["id"]) == 1
        feedback = await Feedback.select(Feedback.rating, Feedback.comment).first()
        assert feedback == {"rating": 4, "comment": ""}
        assert (await client.get(ME, headers=auth(bystander))).status_code == 200

    async def test_old_token_and_old_login_stop_working(self, client):
        user = await make_user()
        assert (await client.get(ME, headers=auth(user))).status_code == 200  # token now cached
        assert (await client.delete(ME, headers=auth(user))).status_code == 204
        response = await client.get(ME, headers=auth(user))
        assert response.status_code == 401 and problem_slug(response) == "not-authenticated"
        login = await client.post("/api/v1/auth/login",
                                  json={"email": user["email"], "password": user["password"]})
        assert login.status_code == 401 and problem_slug(login) == "invalid-credentials"

    async def test_every_session_ends(self, client):
        user = await make_user()
        login = await client.post("/api/v1/auth/login",
                                  json={"email": user["email"], "password": user["password"]})
        other_token = login.json()["token"]
        client.cookies.clear()
        await client.delete(ME, headers=auth(user))
        response = await client.get(ME, headers={"Authorization": f"Bearer {other_token}"})
        assert response.status_code == 401

    async def test_calendar_feed_token_is_revoked(self, client):
        from accounts.service import user_id_for_calendar_token

        user = await make_user(calendar_token="cal-2")
        await client.delete(ME, headers=auth(user))
        assert await user_id_for_calendar_token("cal-2") is None

    async def test_the_email_can_sign_up_again(self, client):
        user = await make_user(email="ada@example.org")
        await client.delete(ME, headers=auth(user))
        response = await client.post("/api/v1/auth/register", json={
            "email": "ada@example.org", "password": "a new secret", "display_name": "Ada again"})
        assert response.status_code == 201 and response.json()["id"] != user["id"]

    async def test_cookie_session_needs_csrf_and_clears_the_cookies(self, client):
        user = await make_user()
        await client.post("/api/v1/auth/login", json={"email": user["email"], "password": user["password"]})
        assert (await client.delete(ME)).status_code == 403
        response = await client.delete(ME, headers={"X-CSRF-Token": client.cookies["alveole_csrf"]})
        assert response.status_code == 204
        assert "alveole_session" not in client.cookies and "alveole_csrf" not in client.cookies

    async def test_releases_bookings_first(self, client, monkeypatch):
        user = await make_user()
        calls = []

        async def spy(self, runtime, user_id):
            still_there = await User.select(User.email).where(User.id == user_id).first()
            calls.append((user_id, still_there["email"]))

        from booking.privacy import BookingPersonalData

        monkeypatch.setattr(BookingPersonalData, "release", spy)
        await client.delete(ME, headers=auth(user))
        assert calls == [(user["id"], user["email"])]

    async def test_anonymous_is_401(self, client):
        assert (await client.delete(ME)).status_code == 401


class TestDeletionFreesSeats:
    async def test_upcoming_booking_is_cancelled_and_the_waitlist_served(self, client):
        from tests.factories import make_session

        session = await make_session(capacity=1)
        leaving, waiting = await make_user(), await make_user()
        booked = await client.post(f"/api/v1/sessions/{session['id']}/bookings", json={}, headers=auth(leaving))
        assert booked.status_code == 201, booked.text
        joined = await client.post(f"/api/v1/sessions/{session['id']}/waitlist", json={}, headers=auth(waiting))
        assert joined.status_code == 201, joined.text

        assert (await client.delete(ME, headers=auth(leaving))).status_code == 204

        mine = (await client.get("/api/v1/me/bookings", headers=auth(waiting))).json()
        assert [b["status"] for b in mine["items"]] == ["confirmed"]
        seats = (await client.get(f"/api/v1/sessions/{session['id']}")).json()
        assert seats["seats_taken"] == 1 and seats["waitlist_length"] == 0
