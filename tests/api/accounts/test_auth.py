"""POST /api/v1/auth/register, /login, /logout over HTTP."""
from __future__ import annotations

import httpx
import pytest

from accounts import service
from accounts.tables import User
from accounts.csrf import csrf_token_for
from notify.tables import OutboxMessage
from tests.api.accounts.conftest import error_fields, problem_slug
from tests.conftest import running
from tests.factories import auth, make_user

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"


def signup(**overrides):
    body = {"email": "Ada@Example.org", "password": "a long secret", "display_name": "Ada",
            "locale": "fr", "timezone": "Europe/Paris"}
    body.update(overrides)
    return body


class TestRegister:
    async def test_creates_the_user_and_answers_it(self, client):
        response = await client.post(REGISTER, json=signup())
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["email"] == "ada@example.org"  # stored lowercased
        assert (body["display_name"], body["locale"], body["timezone"]) == ("Ada", "fr", "Europe/Paris")
        assert body["is_admin"] is False and body["organizer_of"] == []
        assert body["calendar_url"].startswith("http://alveole.test/calendar/")
        assert body["calendar_url"].endswith("/feed.ics")
        assert (body["bio"], body["skills"]) == ("", [])
        row = await User.select(User.password_hash).where(User.id == body["id"]).first()
        assert row["password_hash"].startswith("$argon2") and "a long secret" not in row["password_hash"]

    async def test_defaults_locale_and_timezone(self, client):
        response = await client.post(REGISTER, json={"email": "b@example.org",
                                                     "password": "12345678", "display_name": "B"})
        assert response.status_code == 201
        assert (response.json()["locale"], response.json()["timezone"]) == ("en", "UTC")

    async def test_sends_verify_email_and_nothing_else(self, client):
        response = await client.post(REGISTER, json=signup())
        assert response.status_code == 201
        assert response.json()["email_verified"] is False
        rows = await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.recipient)
        assert rows == [{"kind": "verify_email", "recipient": response.json()["id"]}]

    async def test_email_taken_whatever_its_case(self, client):
        await make_user(email="ada@example.org")
        response = await client.post(REGISTER, json=signup(email="  ADA@example.ORG "))
        assert response.status_code == 409
        assert problem_slug(response) == "email-taken"

    @pytest.mark.parametrize("field, value", [
        ("email", "not-an-email"), ("email", "a@b"), ("email", "a b@example.org"), ("email", 42),
        ("password", "short"), ("password", "x" * 257), ("password", None),
        ("display_name", ""), ("display_name", "   "), ("display_name", "x" * 121),
        ("locale", "de"), ("timezone", "Mars/Olympus"), ("timezone", "localtime"),
        ("timezone", ""),
    ])
    async def test_bad_field_is_named(self, client, field, value):
        response = await client.post(REGISTER, json=signup(**{field: value}))
        assert response.status_code == 400, response.text
        assert problem_slug(response) == "validation-error"
        assert field in error_fields(response)
        assert await User.count() == 0

    @pytest.mark.parametrize("missing", ["email", "password", "display_name"])
    async def test_missing_field_is_named(self, client, missing):
        body = signup()
        del body[missing]
        response = await client.post(REGISTER, json=body)
        assert response.status_code == 400
        assert problem_slug(response) == "validation-error"
        assert f"`{missing}`" in response.json()["detail"]

    @pytest.mark.parametrize("content", [b"{", b"[]", b"null", b'"text"', b""])
    async def test_malformed_body(self, client, content):
        response = await client.post(REGISTER, content=content,
                                     headers={"content-type": "application/json"})
        assert response.status_code == 400
        assert problem_slug(response) == "validation-error"

    async def test_unknown_field_is_refused(self, client):
        response = await client.post(REGISTER, json=signup(is_admin=True))
        assert response.status_code == 400
        assert "is_admin" in response.json()["detail"]


class TestLogin:
    async def test_right_password_gives_a_working_token(self, client):
        user = await make_user(email="grace@example.org")
        response = await client.post(LOGIN, json={"email": "Grace@Example.org",
                                                  "password": user["password"]})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["user"]["id"] == user["id"] and body["user"]["email"] == "grace@example.org"
        client.cookies.clear()
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
        assert me.status_code == 200 and me.json()["id"] == user["id"]

    async def test_sets_the_session_and_csrf_cookies(self, client):
        user = await make_user()
        response = await client.post(LOGIN, json={"email": user["email"], "password": user["password"]})
        token = response.json()["token"]
        cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}
        session = cookies["alveole_session"].lower()
        assert f"alveole_session={token}".lower() in session
        assert "path=/" in session and "httponly" in session and "samesite=lax" in session
        assert "secure" not in session  # dev: plain http works
        csrf = cookies["alveole_csrf"].lower()
        assert csrf_token_for(token, "alveole-dev-secret-key-do-not-use-in-production") in csrf
        assert "httponly" not in csrf and "samesite=lax" in csrf and "path=/" in csrf
        # the cookie alone authenticates a GET
        me = await client.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["id"] == user["id"]

    async def test_cookies_are_secure_in_prod(self, settings, clock, client):
        from dataclasses import replace

        from alveole.app import create_app

        await make_user(email="prod@example.org")
        prod = create_app(replace(settings, env="prod", secret_key="s" * 40), clock=clock)
        async with running(prod), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=prod), base_url="https://alveole.test") as http:
            response = await http.post(LOGIN, json={"email": "prod@example.org",
                                                    "password": "correct horse battery"})
        assert response.status_code == 200
        set_cookies = response.headers.get_list("set-cookie")
        assert len(set_cookies) == 2
        assert all("secure" in c.lower() for c in set_cookies)

    async def test_unknown_email_and_wrong_password_look_the_same(self, client):
        user = await make_user()
        wrong_password = await client.post(LOGIN, json={"email": user["email"], "password": "nope-nope"})
        unknown_email = await client.post(LOGIN, json={"email": "ghost@example.org",
                                                       "password": "nope-nope"})
        assert wrong_password.status_code == unknown_email.status_code == 401
        assert problem_slug(wrong_password) == "invalid-credentials"
        assert wrong_password.json() == unknown_email.json()
        assert "set-cookie" not in wrong_password.headers

    async def test_unknown_email_still_verifies_a_hash(self, client, monkeypatch):
        seen = []

        async def spy(password_hash, password):
            seen.append(password_hash)
            return False

        monkeypatch.setattr(service, "verify_password", spy)
        await client.post(LOGIN, json={"email": "ghost@example.org", "password": "whatever1"})
        assert seen == [None]  # passwords.verify_password then checks the dummy hash

    async def test_missing_password_is_a_validation_error(self, client):
        response = await client.post(LOGIN, json={"email": "a@example.org"})
        assert response.status_code == 400 and "password" in response.json()["detail"]

    async def test_wrong_type(self, client):
        response = await client.post(LOGIN, json={"email": ["a@example.org"], "password": "x"})
        assert response.status_code == 400 and "email" in error_fields(response)


async def _fast_wrong(password_hash, password):
    return False


class TestLoginRateLimit:
    async def test_failures_per_email_then_the_window_reopens(self, client, clock, monkeypatch):
        user = await make_user()
        monkeypatch.setattr(service, "verify_password", _fast_wrong)
        for _ in range(service.LOGIN_FAILURES_PER_EMAIL_AND_IP):
            response = await client.post(LOGIN, json={"email": user["email"], "password": "guess-guess"})
            assert response.status_code == 401
        monkeypatch.undo()  # from now on the real check: even the right password is refused
        blocked = await client.post(LOGIN, json={"email": user["email"], "password": user["password"]})
        assert blocked.status_code == 429
        assert problem_slug(blocked) == "rate-limited"
        assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
        # another email from the same client is not blocked
        other = await make_user()
        allowed = await client.post(LOGIN, json={"email": other["email"], "password": other["password"]})
        assert allowed.status_code == 200
        clock.advance(minutes=15, seconds=1)
        again = await client.post(LOGIN, json={"email": user["email"], "password": user["password"]})
        assert again.status_code == 200

    async def test_unknown_email_is_limited_the_same_way(self, client, monkeypatch):
        monkeypatch.setattr(service, "verify_password", _fast_wrong)
        for _ in range(service.LOGIN_FAILURES_PER_EMAIL_AND_IP):
            await client.post(LOGIN, json={"email": "ghost@example.org", "password": "guess-guess"})
        response = await client.post(LOGIN, json={"email": "GHOST@example.org", "password": "x"})
        assert response.status_code == 429

    async def test_attempts_per_ip(self, app, client, clock, monkeypatch):
        monkeypatch.setattr(service, "verify_password", _fast_wrong)
        for n in range(service.LOGIN_ATTEMPTS_PER_IP):
            response = await client.post(LOGIN, json={"email": f"u{n}@example.org", "password": "guess"})
            assert response.status_code == 401
        response = await client.post(LOGIN, json={"email": "fresh@example.org", "password": "guess"})
        assert response.status_code == 429 and "retry-after" in response.headers
        # another client address is not affected
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 1)),
                                     base_url="http://alveole.test") as elsewhere:
            other = await elsewhere.post(LOGIN, json={"email": "fresh@example.org", "password": "guess"})
        assert other.status_code == 401
        clock.advance(minutes=15, seconds=1)
        response = await client.post(LOGIN, json={"email": "fresh@example.org", "password": "guess"})
        assert response.status_code == 401

    async def test_success_clears_the_failures(self, client, monkeypatch):
        user = await make_user()
        for _ in range(3):
            for _ in range(service.LOGIN_FAILURES_PER_EMAIL_AND_IP - 1):
                monkeypatch.setattr(service, "verify_password", _fast_wrong)
                await client.post(LOGIN, json={"email": user["email"], "password": "guess-guess"})
            monkeypatch.undo()
            ok = await client.post(LOGIN, json={"email": user["email"], "password": user["password"]})
            assert ok.status_code == 200

    async def test_off_when_rate_limits_are_disabled(self, settings, clock, monkeypatch):
        from dataclasses import replace

        from alveole.app import create_app

        monkeypatch.setattr(service, "verify_password", _fast_wrong)
        app = create_app(replace(settings, rate_limits=False), clock=clock)
        async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                   base_url="http://alveole.test") as http:
            for _ in range(service.LOGIN_ATTEMPTS_PER_IP + 5):
                response = await http.post(LOGIN, json={"email": "a@example.org", "password": "x"})
                assert response.status_code == 401


class TestRegisterRateLimit:
    async def test_per_ip_then_the_window_reopens(self, client, clock, monkeypatch):
        async def fast_hash(password):
            return "$argon2id$fake"

        monkeypatch.setattr(service, "hash_password", fast_hash)
        for n in range(service.REGISTRATIONS_PER_IP):
            response = await client.post(REGISTER, json=signup(email=f"n{n}@example.org"))
            assert response.status_code == 201
        response = await client.post(REGISTER, json=signup(email="late@example.org"))
        assert response.status_code == 429 and problem_slug(response) == "rate-limited"
        assert int(response.headers["retry-after"]) > 0
        clock.advance(hours=1, seconds=1)
        response = await client.post(REGISTER, json=signup(email="late@example.org"))
        assert response.status_code == 201


class TestLogout:
    async def test_revokes_the_bearer_token(self, client):
        user = await make_user()
        other_session = await make_user(email="x@example.org")
        response = await client.post(LOGOUT, headers=auth(user))
        assert response.status_code == 204 and response.content == b""
        assert (await client.get("/api/v1/me", headers=auth(user))).status_code == 401
        assert (await client.get("/api/v1/me", headers=auth(other_session))).status_code == 200

    async def test_only_the_token_used(self, client):
        user = await make_user()
        login = await client.post(LOGIN, json={"email": user["email"], "password": user["password"]})
        second = login.json()["token"]
        client.cookies.clear()
        await client.post(LOGOUT, headers=auth(user))
        assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"})
                ).status_code == 200

    async def test_cookie_session_logout_clears_the_cookies(self, client):
        user = await make_user()
        login = await client.post(LOGIN, json={"email": user["email"], "password": user["password"]})
        token = login.json()["token"]
        response = await client.post(LOGOUT, headers={"X-CSRF-Token": client.cookies["alveole_csrf"]})
        assert response.status_code == 204
        cleared = [c.lower() for c in response.headers.get_list("set-cookie")]
        assert any(c.startswith("alveole_session=") and "max-age=0" in c for c in cleared)
        assert any(c.startswith("alveole_csrf=") and "max-age=0" in c for c in cleared)
        assert "alveole_session" not in client.cookies
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401

    async def test_anonymous_gets_401(self, client):
        response = await client.post(LOGOUT)
        assert response.status_code == 401 and problem_slug(response) == "not-authenticated"

    async def test_expired_token_is_refused(self, client, clock):
        user = await make_user()
        clock.advance(days=31)
        assert (await client.get("/api/v1/me", headers=auth(user))).status_code == 401

