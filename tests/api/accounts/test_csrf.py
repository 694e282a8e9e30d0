"""CSRF: cookie-authenticated writes must echo the alveole_csrf cookie."""
from __future__ import annotations

import httpx
import pytest

from accounts.csrf import csrf_token_for
from tests.api.accounts.conftest import problem_slug
from tests.factories import auth, make_user

ME = "/api/v1/me"


@pytest.fixture
async def cookie_session(client):
    """A client logged in by cookie only (as a browser would be); returns (user, csrf token)."""
    user = await make_user()
    response = await client.post("/api/v1/auth/login",
                                 json={"email": user["email"], "password": user["password"]})
    assert response.status_code == 200
    return user, client.cookies["alveole_csrf"]


class TestCookieAuthenticatedWrites:
    async def test_without_the_header_is_403(self, client, cookie_session):
        response = await client.patch(ME, json={"bio": "csrf"})
        assert response.status_code == 403 and problem_slug(response) == "forbidden"
        assert "CSRF" in response.json()["detail"]
        assert (await client.get(ME)).json()["bio"] == ""  # nothing changed

    async def test_with_the_header_is_ok(self, client, cookie_session):
        _, csrf = cookie_session
        response = await client.patch(ME, json={"bio": "ok"}, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200 and response.json()["bio"] == "ok"

    async def test_a_wrong_header_is_403(self, client, cookie_session):
        response = await client.patch(ME, json={"bio": "x"}, headers={"X-CSRF-Token": "0" * 64})
        assert response.status_code == 403

    async def test_cookie_and_header_must_belong_to_the_session(self, client, cookie_session):
        # an attacker who can plant cookies pairs their own token with the victim's session
        forged = "f" * 64
        client.cookies.set("alveole_csrf", forged)
        response = await client.patch(ME, json={"bio": "x"}, headers={"X-CSRF-Token": forged})
        assert response.status_code == 403

    async def test_post_and_delete_are_guarded_too(self, client, cookie_session):
        assert (await client.post("/api/v1/auth/logout")).status_code == 403
        assert (await client.delete(ME)).status_code == 403
        assert (await client.get(ME)).status_code == 200  # still logged in, still there

    async def test_safe_methods_need_no_token(self, client, cookie_session):
        assert (await client.get(ME)).status_code == 200
        assert (await client.get("/api/v1/me/export")).status_code == 200

    async def test_form_field_is_accepted_for_urlencoded_forms_and_the_body_replayed(self):
        # the web pages post forms (the JSON API answers 415 to them before CSRF is checked)
        from accounts.csrf import CSRFMiddleware, csrf_token_for

        secret, session = "s" * 32, "session-token"
        csrf = csrf_token_for(session, secret)

        async def post(body: bytes) -> tuple[int | None, bytes | None]:
            seen: list[bytes] = []
            sent: list[dict] = []

            async def app(scope, receive, send):
                message = await receive()
                seen.append(message["body"])

            messages = [{"type": "http.request", "body": body, "more_body": False}]

            async def receive():
                return messages.pop(0)

            async def send(message):
                sent.append(message)

            scope = {"type": "http", "method": "POST", "path": "/logout", "headers": [
                (b"cookie", f"alveole_session={session}; alveole_csrf={csrf}".encode()),
                (b"content-type", b"application/x-www-form-urlencoded")]}
            await CSRFMiddleware(app, secret_key=secret)(scope, receive, send)
            return (sent[0]["status"] if sent else None), (seen[0] if seen else None)

        assert await post(b"other=x") == (403, None)
        body = f"csrf_token={csrf}&x=%C3%A9".encode()
        assert await post(body) == (None, body)  # reached the app, which read the whole body

    async def test_a_form_to_a_json_endpoint_is_415(self, client, cookie_session):
        _, csrf = cookie_session
        response = await client.patch(ME, content=f"csrf_token={csrf}&bio=x".encode(),
                                      headers={"content-type": "application/x-www-form-urlencoded"})
        assert response.status_code == 415 and problem_slug(response) == "unsupported-media-type"


class TestUnaffectedRequests:
    async def test_bearer_token_needs_no_csrf_even_with_the_cookie(self, client, cookie_session):
        user, _ = cookie_session
        response = await client.patch(ME, json={"bio": "bearer"}, headers=auth(user))
        assert response.status_code == 200

    async def test_bearer_only(self, client):
        user = await make_user()
        response = await client.patch(ME, json={"bio": "bearer"}, headers=auth(user))
        assert response.status_code == 200

    async def test_anonymous_requests_get_their_usual_answer(self, client):
        response = await client.post("/api/v1/auth/logout")
        assert response.status_code == 401

    async def test_login_and_register_are_exempt(self, client, cookie_session):
        user, _ = cookie_session
        login = await client.post("/api/v1/auth/login",
                                  json={"email": user["email"], "password": user["password"]})
        register = await client.post("/api/v1/auth/register", json={
            "email": "new@example.org", "password": "12345678", "display_name": "New"})
        assert (login.status_code, register.status_code) == (200, 201)


def test_token_is_bound_to_the_session_and_the_secret():
    assert csrf_token_for("a", "k") == csrf_token_for("a", "k")
    assert csrf_token_for("a", "k") != csrf_token_for("b", "k")
    assert csrf_token_for("a", "k") != csrf_token_for("a", "k2")


async def test_middleware_alone_on_a_bare_asgi_app():
    """The middleware passes unsafe cookie requests only with the token, whatever the app."""
    from accounts.csrf import CSRFMiddleware

    seen = []

    async def app(scope, receive, send):
        seen.append((await receive())["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guarded = CSRFMiddleware(app, secret_key="k")
    token = csrf_token_for("s", "k")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=guarded),
                                 base_url="http://t") as http:
        http.cookies.set("alveole_session", "s")
        http.cookies.set("alveole_csrf", token)
        assert (await http.post("/x", json={})).status_code == 403
        assert (await http.post("/x", json={}, headers={"X-CSRF-Token": token})).status_code == 200
        assert (await http.post("/x", data={"csrf_token": token, "a": "1"})).status_code == 200
        assert (await http.put("/x", data={"csrf_token": "nope"})).status_code == 403
        assert (await http.get("/x")).status_code == 200
        assert (await http.post("/api/v1/payments/stripe/webhook", content=b"{}")).status_code == 200
        # a bearer token spares the check on the API only; a page is checked whatever it carries
        assert (await http.post("/api/x", json={}, headers={"Authorization": "Bearer t"})).status_code == 200
        assert (await http.post("/x", json={}, headers={"Authorization": "Bearer t"})).status_code == 403
        assert (await http.post("/api/x", json={}, headers={"Authorization": "Basic dTpw"})).status_code == 403
        http.cookies.delete("alveole_session")
        assert (await http.post("/x", json={})).status_code == 200
    assert f"csrf_token={token}&a=1".encode() in seen


class TestOtherAuthorizationSchemes:
    """Behind HTTP Basic or intranet SSO the browser adds `Authorization` to every request,
    cross-site form posts included: that header must not switch the checks off."""

    BASIC = {"Authorization": "Basic dXNlcjpwYXNz"}

    async def test_login_csrf_with_basic_authorization_is_refused(self, client, cookie_session):
        victim, _ = cookie_session
        attacker = await make_user()
        for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}, {}):
            response = await client.post("/login", headers={**self.BASIC, **headers}, data={
                "email": attacker["email"], "password": attacker["password"]})
            assert response.status_code == 403, (headers, response.status_code)
            assert "set-cookie" not in response.headers
        me = await client.get(ME, headers=self.BASIC)  # the cookie still is the victim's session
        assert me.status_code == 200 and me.json()["id"] == victim["id"]

    async def test_an_anonymous_login_form_from_another_origin_is_refused(self, client):
        attacker = await make_user()
        page = await client.get("/login")
        token = page.cookies.get("alveole_csrf") or client.cookies.get("alveole_csrf")
        response = await client.post("/login", headers={**self.BASIC, "Referer": "https://evil.example/"},
                                     data={"email": attacker["email"], "password": attacker["password"],
                                           "csrf_token": token})
        assert response.status_code == 403
        ok = await client.post("/login", headers={**self.BASIC, "Referer": "http://alveole.test/login"},
                               data={"email": attacker["email"], "password": attacker["password"],
                                     "csrf_token": token})
        assert ok.status_code == 303

    async def test_a_session_with_basic_authorization_still_works_with_its_token(self, client, cookie_session):
        _, csrf = cookie_session
        response = await client.patch(ME, json={"bio": "ok"}, headers={**self.BASIC, "X-CSRF-Token": csrf})
        assert response.status_code == 200 and response.json()["bio"] == "ok"
        refused = await client.patch(ME, json={"bio": "no"}, headers=self.BASIC)
        assert refused.status_code == 403

    async def test_origin_null_defers_to_the_session_token(self, client, cookie_session):
        # a same-origin POST from a no-referrer page (the emailed links') says Origin: null
        _, csrf = cookie_session
        refused = await client.post("/logout", headers={"Origin": "null"}, data={"x": "1"})
        assert refused.status_code == 403  # no token: refused all the same
        ok = await client.post("/logout", headers={"Origin": "null"}, data={"csrf_token": csrf})
        assert ok.status_code == 303


class TestPublicOrigin:
    """Forms are compared with the configured public origin (ALVEOLE_BASE_URL), scheme included:
    behind a proxy that rewrites Host, logged-out forms still work; another scheme is another site."""

    async def login(self, client, user, token, **headers):
        # the browser is on https (the proxy's side): its __Host- cookie, sent by hand here
        return await client.post("/login", headers={"Host": "127.0.0.1:8000", **headers,
                                                    "Cookie": f"__Host-alveole_csrf={token}"},
                                 data={"email": user["email"], "password": user["password"], "csrf_token": token})

    async def test_behind_a_proxy_that_rewrites_host(self, client, runtime):
        from dataclasses import replace

        runtime.settings = replace(runtime.settings, base_url="https://alveole.example", base_url_explicit=True)
        user = await make_user()
        page = await client.get("/login", headers={"Host": "127.0.0.1:8000"})
        token = page.cookies.get("__Host-alveole_csrf")
        assert token
        ok = await self.login(client, user, token, Origin="https://alveole.example")
        assert ok.status_code == 303, ok.text
        for other in ("http://alveole.example", "http://127.0.0.1:8000", "https://evil.example"):
            refused = await self.login(client, user, token, Origin=other)
            assert refused.status_code == 403, other

    async def test_without_a_base_url_the_request_s_own_origin_scheme_included(self, client):
        user = await make_user()
        page = await client.get("/login")
        token = page.cookies.get("alveole_csrf") or client.cookies.get("alveole_csrf")
        ok = await client.post("/login", headers={"Origin": "http://alveole.test"},
                               data={"email": user["email"], "password": user["password"], "csrf_token": token})
        assert ok.status_code == 303
        refused = await client.post("/login", headers={"Origin": "https://alveole.test"},
                                    data={"email": user["email"], "password": user["password"], "csrf_token": token})
        assert refused.status_code == 403
