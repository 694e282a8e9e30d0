"""Email verification over HTTP: registration sends `verify_email`, POST /api/v1/auth/verify
and /verify/resend, and what an unverified account may not do (book, join a waitlist, create
a workshop: 403 `email-not-verified`)."""
from __future__ import annotations

import datetime as dt

from accounts import tokens
from accounts.tables import OneTimeToken, User
from notify.tables import OutboxMessage
from tests.api.accounts.conftest import problem_slug
from tests.factories import auth, emailed_link, make_community, make_session, make_user

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/verify"
RESEND = "/api/v1/auth/verify/resend"


async def register(client, email="ada@example.org"):
    response = await client.post(REGISTER, json={"email": email, "password": "a long secret",
                                                 "display_name": "Ada"})
    assert response.status_code == 201, response.text
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": "a long secret"})
    client.cookies.clear()
    return {**response.json(), "token": login.json()["token"]}


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


class TestRegistrationEmail:
    async def test_the_link_is_on_the_verify_page_and_stored_only_as_a_hash(self, client, settings):
        ada = await register(client)
        path = await emailed_link(settings, "verify_email", ada["id"])
        assert path.startswith("/verify/")
        row = await OneTimeToken.select().where(OneTimeToken.user == ada["id"]).first()
        assert row["purpose"] == "verify_email" and row["used_at"] is None
        assert row["token_hash"] == tokens.token_hash(token_of(path)) != token_of(path)
        assert row["expires_at"] - row["created_at"] == dt.timedelta(hours=48)
        outbox = await OutboxMessage.select(OutboxMessage.payload).first()
        assert token_of(path) not in str(outbox["payload"])


class TestVerify:
    async def test_the_token_verifies_the_address(self, client, settings):
        ada = await register(client)
        token = token_of(await emailed_link(settings, "verify_email", ada["id"]))
        response = await client.post(VERIFY, json={"token": token})
        assert response.status_code == 200, response.text
        assert response.json()["id"] == ada["id"] and response.json()["email_verified"] is True
        me = await client.get("/api/v1/me", headers=auth(ada))
        assert me.json()["email_verified"] is True

    async def test_a_used_token_is_invalid(self, client, settings):
        ada = await register(client)
        token = token_of(await emailed_link(settings, "verify_email", ada["id"]))
        assert (await client.post(VERIFY, json={"token": token})).status_code == 200
        response = await client.post(VERIFY, json={"token": token})
        assert response.status_code == 400 and problem_slug(response) == "invalid-token"

    async def test_an_expired_token_is_invalid(self, client, settings, clock):
        ada = await register(client)
        token = token_of(await emailed_link(settings, "verify_email", ada["id"]))
        clock.advance(seconds=48 * 3600)
        response = await client.post(VERIFY, json={"token": token})
        assert response.status_code == 400 and problem_slug(response) == "invalid-token"
        assert (await client.get("/api/v1/me", headers=auth(ada))).json()["email_verified"] is False

    async def test_an_unknown_or_tampered_token_is_invalid(self, client, settings):
        ada = await register(client)
        token = token_of(await emailed_link(settings, "verify_email", ada["id"]))
        for bad in ("nope", token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 199):
            response = await client.post(VERIFY, json={"token": bad})
            assert response.status_code == 400 and problem_slug(response) == "invalid-token", bad

    async def test_a_reset_token_does_not_verify(self, client, settings):
        ada = await register(client)
        await client.post("/api/v1/auth/password/forgot", json={"email": ada["email"]})
        token = token_of(await emailed_link(settings, "password_reset", ada["id"]))
        response = await client.post(VERIFY, json={"token": token})
        assert response.status_code == 400 and problem_slug(response) == "invalid-token"


class TestResend:
    async def test_sends_a_new_link_that_works(self, client, settings):
        ada = await register(client)
        first = await emailed_link(settings, "verify_email", ada["id"])
        response = await client.post(RESEND, headers=auth(ada))
        assert response.status_code == 202, response.text
        second = await emailed_link(settings, "verify_email", ada["id"])
        assert second != first
        assert (await client.post(VERIFY, json={"token": token_of(second)})).status_code == 200
        # one verification uses up every open link of the account
        assert (await client.post(VERIFY, json={"token": token_of(first)})).status_code == 400

    async def test_three_resends_a_day_then_429_with_retry_after(self, client, clock):
        ada = await register(client)
        for _ in range(3):
            clock.advance(seconds=60)
            assert (await client.post(RESEND, headers=auth(ada))).status_code == 202
        response = await client.post(RESEND, headers=auth(ada))
        assert response.status_code == 429 and problem_slug(response) == "rate-limited"
        assert int(response.headers["retry-after"]) == 24 * 3600 - 3 * 60
        assert await OutboxMessage.count().where(OutboxMessage.kind == "verify_email") == 4
        clock.advance(seconds=24 * 3600 - 3 * 60 + 1)  # the sign-up link leaves the window
        assert (await client.post(RESEND, headers=auth(ada))).status_code == 202

    async def test_the_bound_is_counted_in_the_database_not_in_the_process(self, client, app, settings, clock):
        from kernel.ratelimit import RateLimits

        ada = await register(client)
        for _ in range(3):
            assert (await client.post(RESEND, headers=auth(ada))).status_code == 202
            # another process: limits in memory start empty
            app.state.runtime.rate_limits = RateLimits(clock)
        assert (await client.post(RESEND, headers=auth(ada))).status_code == 429

    async def test_a_verified_address_gets_nothing(self, client):
        ada = await make_user()
        assert (await client.post(RESEND, headers=auth(ada))).status_code == 202
        assert await OutboxMessage.count() == 0

    async def test_needs_a_login(self, client):
        assert (await client.post(RESEND)).status_code == 401


class TestUnverifiedAccounts:
    async def test_may_not_book(self, client):
        ada, session = await make_user(verified=False), await make_session()
        response = await client.post(f"/api/v1/sessions/{session['id']}/bookings", headers=auth(ada), json={})
        assert response.status_code == 403 and problem_slug(response) == "email-not-verified"
        assert await OutboxMessage.count() == 0

    async def test_may_not_join_a_waitlist(self, client):
        ada, session = await make_user(verified=False), await make_session(capacity=0)
        response = await client.post(f"/api/v1/sessions/{session['id']}/waitlist", headers=auth(ada), json={})
        assert response.status_code == 403 and problem_slug(response) == "email-not-verified"

    async def test_may_not_create_a_workshop(self, client):
        ada, community = await make_user(verified=False), await make_community()
        response = await client.post("/api/v1/workshops", headers=auth(ada), json={
            "community": community["slug"], "title": "Bread", "summary": "Sourdough.", "category": "food",
            "venue": {"name": "Hall", "address": "1 rue X"}, "payment": "free", "capacity": 5})
        assert response.status_code == 403 and problem_slug(response) == "email-not-verified"

    async def test_may_log_in_read_and_edit_its_profile(self, client):
        ada = await make_user(verified=False)
        assert (await client.get("/api/v1/me", headers=auth(ada))).status_code == 200
        assert (await client.patch("/api/v1/me", headers=auth(ada), json={"bio": "Hi"})).status_code == 200
        assert (await client.get("/api/v1/me/export", headers=auth(ada))).status_code == 200

    async def test_once_verified_books(self, client, settings):
        ada = await register(client)
        session = await make_session()
        url = f"/api/v1/sessions/{session['id']}/bookings"
        assert (await client.post(url, headers=auth(ada), json={})).status_code == 403
        token = token_of(await emailed_link(settings, "verify_email", ada["id"]))
        assert (await client.post(VERIFY, json={"token": token})).status_code == 200
        assert (await client.post(url, headers=auth(ada), json={})).status_code == 201


class TestWhoCountsAsVerified:
    async def test_create_admin_and_promoted_admins(self, db):
        from accounts.admin import create_or_promote_admin

        await create_or_promote_admin("root@example.org", "a long secret")
        await make_user(email="later@example.org", verified=False)
        await create_or_promote_admin("later@example.org", "a long secret")
        rows = await User.select(User.email, User.email_verified_at).order_by(User.id)
        assert all(r["email_verified_at"] is not None for r in rows)


class TestErasure:
    async def test_an_erased_account_keeps_no_link(self, client, settings):
        ada = await register(client)
        token = token_of(await emailed_link(settings, "verify_email", ada["id"]))
        assert (await client.delete("/api/v1/me", headers=auth(ada))).status_code == 204
        assert await OneTimeToken.count().where(OneTimeToken.user == ada["id"]) == 0
        assert (await client.post(VERIFY, json={"token": token})).status_code == 400
