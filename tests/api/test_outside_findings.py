"""Regression tests for what outside testing found (issue 8): CSRF with duplicate cookies,
login CSRF and 415, 500s on non-ASCII CSRF values."""
from __future__ import annotations

import pytest

from tests.factories import auth, make_user

ME = "/api/v1/me"
LOGIN = "/api/v1/auth/login"


async def _login(client, user) -> dict[str, str]:
    response = await client.post(LOGIN, json={"email": user["email"], "password": user["password"]})
    assert response.status_code == 200, response.text
    return {"session": client.cookies["alveole_session"], "csrf": client.cookies["alveole_csrf"]}


class TestDuplicateSessionCookies:
    async def test_a_planted_session_cookie_beside_the_victims_is_refused(self, client):
        attacker, victim = await make_user(), await make_user()
        planted = await _login(client, attacker)
        client.cookies.clear()
        real = await _login(client, victim)
        client.cookies.clear()
        cookie = (f"alveole_session={planted['session']}; alveole_csrf={planted['csrf']}; "
                  f"alveole_session={real['session']}")
        response = await client.patch(ME, json={"bio": "pwned"},
                                      headers={"Cookie": cookie, "X-CSRF-Token": planted["csrf"]})
        assert response.status_code == 403
        assert response.json()["type"].endswith("/forbidden")
        me = await client.get(ME, headers=auth(victim))
        assert me.json().get("bio", "") != "pwned"

    async def test_a_duplicated_session_cookie_authenticates_no_one(self, client):
        user = await make_user()
        session = (await _login(client, user))["session"]
        client.cookies.clear()
        response = await client.get(ME, headers={"Cookie": f"alveole_session={session}; alveole_session={session}x"})
        assert response.status_code == 401

    async def test_one_session_cookie_still_works(self, client):
        user = await make_user()
        tokens = await _login(client, user)
        response = await client.patch(ME, json={"bio": "hello"}, headers={"X-CSRF-Token": tokens["csrf"]})
        assert response.status_code == 200, response.text


class TestJsonOnly:
    @pytest.mark.parametrize("content_type, body", [
        ("text/plain", '{"email": "x@example.org", "password": "p"}'),
        ("application/x-www-form-urlencoded", "email=x%40example.org&password=p"),
        ("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nx\r\n--b--\r\n"),
    ])
    async def test_login_with_another_content_type_is_415_and_sets_no_cookie(self, client, content_type, body):
        user = await make_user()
        payload = body.replace("x@example.org", user["email"]).replace("x%40example.org", user["email"].replace("@", "%40"))
        payload = payload.replace('"p"', f'"{user["password"]}"').replace("password=p", f"password={user['password']}")
        response = await client.post(LOGIN, content=payload, headers={"Content-Type": content_type})
        assert response.status_code == 415
        assert response.json()["type"].endswith("/unsupported-media-type")
        assert "alveole_session" not in response.cookies

    async def test_a_json_body_without_content_type_is_415(self, client):
        user = await make_user()
        response = await client.patch(ME, content=b'{"bio": "x"}', headers={**auth(user), "Content-Type": ""})
        assert response.status_code == 415

    async def test_json_with_a_charset_and_bodyless_posts_pass(self, client):
        user = await make_user()
        response = await client.patch(ME, content=b'{"bio": "x"}',
                                      headers={**auth(user), "Content-Type": "application/json; charset=utf-8"})
        assert response.status_code == 200
        assert (await client.post("/api/v1/auth/logout", headers=auth(user))).status_code == 204


class TestNonAsciiCsrfValues:
    @pytest.mark.parametrize("where", ["header", "cookie"])
    async def test_a_non_ascii_csrf_value_is_403_not_500(self, client, where):
        user = await make_user()
        tokens = await _login(client, user)
        client.cookies.clear()
        cookie = f"alveole_session={tokens['session']}; alveole_csrf={tokens['csrf']}"
        headers = {"Cookie": cookie, "Content-Type": "application/json"}
        content = b'{"bio": "x"}'
        if where == "header":
            headers["X-CSRF-Token"] = "é".encode()
        elif where == "cookie":
            headers["Cookie"] = f"alveole_session={tokens['session']}; alveole_csrf=été".encode()
            headers["X-CSRF-Token"] = tokens["csrf"]
        response = await client.post("/api/v1/me/calendar-token", content=content, headers=headers)
        assert response.status_code == 403, response.text

    async def test_a_non_ascii_form_field_is_403_not_500(self):
        # JSON endpoints refuse forms (415) before CSRF; the form path serves the web pages
        from accounts.csrf import CSRFMiddleware

        reached, sent = [], []

        async def app(scope, receive, send):
            reached.append(scope["path"])

        body = "csrf_token=%C3%A9t%C3%A9".encode()
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive():
            return messages.pop(0)

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/bookings/1/cancel", "headers": [
            (b"cookie", b"alveole_session=abc; alveole_csrf=\xc3\xa9"),
            (b"content-type", b"application/x-www-form-urlencoded")]}
        await CSRFMiddleware(app, secret_key="k" * 32)(scope, receive, send)
        assert not reached and sent[0]["status"] == 403


class TestNulCharacters:
    async def test_a_nul_anywhere_in_a_json_body_is_a_400_naming_the_field(self, client):
        from tests.factories import make_session, make_workshop

        host = await make_user()
        session = await make_session(await make_workshop(host))
        response = await client.post(f"/api/v1/sessions/{session['id']}/cancel",
                                     content=b'{"reason": "closed\\u0000"}',
                                     headers={**auth(host), "Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["type"].endswith("/validation-error")
        assert [e["field"] for e in body["errors"]] == ["reason"]

    async def test_a_nested_nul_is_named_by_its_path(self, client):
        user = await make_user()
        response = await client.patch(ME, content=b'{"skills": ["ok", "b\\u0000d"]}',
                                      headers={**auth(user), "Content-Type": "application/json"})
        assert response.status_code == 400
        assert [e["field"] for e in response.json()["errors"]] == ["skills"]

    async def test_an_escaped_backslash_u0000_is_plain_text(self, client):
        user = await make_user()
        response = await client.patch(ME, content=b'{"bio": "a \\\\u0000 b"}',
                                      headers={**auth(user), "Content-Type": "application/json"})
        assert response.status_code == 200 and response.json()["bio"] == "a \\u0000 b"

    @pytest.mark.parametrize("path, field", [("/api/v1/workshops?q=%00", "q"),
                                             ("/api/v1/workshops?limit=5&category=x%00", "category")])
    async def test_a_nul_in_the_query_is_a_400_naming_the_parameter(self, client, path, field):
        response = await client.get(path)
        assert response.status_code == 400
        assert [e["field"] for e in response.json()["errors"]] == [field]

    async def test_a_nul_in_the_path_names_nothing(self, client):
        response = await client.get("/api/v1/communities/a%00b")
        assert response.status_code == 404 and response.json()["type"].endswith("/not-found")


class TestOptions:
    @pytest.mark.parametrize("path, methods", [
        ("/api/v1/workshops", "GET, OPTIONS, POST"),
        ("/api/v1/me", "DELETE, GET, OPTIONS, PATCH"),
        ("/api/v1/sessions/1", "GET, OPTIONS, PATCH"),  # GET in workshops, PATCH in booking
    ])
    async def test_allow_lists_every_method_of_the_path(self, client, path, methods):
        response = await client.options(path)
        assert response.status_code == 204
        assert response.headers["allow"] == methods


class TestHiddenWorkshopsAreNotFoundWhenBooking:
    @pytest.mark.parametrize("status", ["draft", "submitted", "rejected"])
    async def test_an_outsider_booking_or_joining_a_hidden_workshop_gets_404(self, client, status):
        from tests.factories import make_session, make_workshop

        host, outsider = await make_user(), await make_user()
        session = await make_session(await make_workshop(host, status=status))
        for path in ("bookings", "waitlist"):
            response = await client.post(f"/api/v1/sessions/{session['id']}/{path}", json={"seats": 1},
                                         headers=auth(outsider))
            assert response.status_code == 404, (path, response.text)
        # its host still learns why it cannot be booked
        response = await client.post(f"/api/v1/sessions/{session['id']}/bookings", json={"seats": 1},
                                     headers=auth(host))
        assert response.status_code == 409 and response.json()["type"].endswith("/booking-closed")


class TestStrictDecoding:
    """Item 15: a body is decoded strictly (a string or a float is not an integer), a PATCH
    with an unknown field is refused, and an id is plain digits."""

    @pytest.mark.parametrize("seats", ['"1"', "1e0", "1.0", "true"])
    async def test_seats_that_are_not_an_integer_are_a_400_naming_seats(self, client, seats):
        from tests.factories import make_session

        user = await make_user()
        session = await make_session()
        response = await client.post(f"/api/v1/sessions/{session['id']}/bookings", content=f'{{"seats": {seats}}}',
                                     headers={**auth(user), "Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["seats"]
        mine = await client.get("/api/v1/me/bookings", headers=auth(user))
        assert mine.json()["items"] == []

    async def test_an_integer_still_books(self, client):
        from tests.factories import make_session

        user = await make_user()
        session = await make_session()
        response = await client.post(f"/api/v1/sessions/{session['id']}/bookings", json={"seats": 2},
                                     headers=auth(user))
        assert response.status_code == 201, response.text
        assert response.json()["seats"] == 2

    @pytest.mark.parametrize("capacity", ['"5"', "1e3", "5.0"])
    async def test_a_capacity_that_is_not_an_integer_is_a_400(self, client, capacity):
        from tests.factories import make_workshop

        host = await make_user()
        workshop = await make_workshop(host, status="draft")
        response = await client.patch(f"/api/v1/workshops/{workshop['id']}", content=f'{{"capacity": {capacity}}}',
                                      headers={**auth(host), "Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["capacity"]
        detail = await client.get(f"/api/v1/workshops/{workshop['id']}", headers=auth(host))
        assert detail.json()["capacity"] == workshop["capacity"]

    async def test_times_are_still_read_from_strings(self, client):
        from tests.factories import make_workshop

        host = await make_user()
        workshop = await make_workshop(host)
        response = await client.post(f"/api/v1/workshops/{workshop['id']}/sessions", headers=auth(host), json={
            "starts_at": "2027-01-10T10:00:00", "ends_at": "2027-01-10T12:00:00", "timezone": "Europe/Paris"})
        assert response.status_code == 201, response.text

    async def test_an_unknown_field_in_a_workshop_patch_is_a_400_and_changes_nothing(self, client):
        from tests.factories import make_workshop

        host = await make_user()
        workshop = await make_workshop(host, status="draft")
        response = await client.patch(f"/api/v1/workshops/{workshop['id']}", headers=auth(host),
                                      json={"title": "New title", "titel": "typo"})
        assert response.status_code == 400, response.text
        assert "titel" in response.json()["detail"]
        detail = await client.get(f"/api/v1/workshops/{workshop['id']}", headers=auth(host))
        assert detail.json()["title"] == workshop["title"]

    async def test_an_unknown_field_in_a_session_patch_is_a_400(self, client):
        from tests.factories import make_session, make_workshop

        host = await make_user()
        session = await make_session(await make_workshop(host))
        response = await client.patch(f"/api/v1/sessions/{session['id']}", headers=auth(host),
                                      json={"capacity": 12, "capacty": 3})
        assert response.status_code == 400, response.text
        detail = await client.get(f"/api/v1/sessions/{session['id']}")
        assert detail.json()["capacity"] == session["capacity"]

    async def test_the_schema_says_patch_bodies_are_closed(self, client):
        schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
        closed = {name for name, schema in schemas.items() if schema.get("additionalProperties") is False}
        assert any(name.endswith("WorkshopUpdate") for name in closed), closed
        assert any(name.endswith("SessionChange") for name in closed), closed

    @pytest.mark.parametrize("raw", ["1%20", "%201", "+1", "1_0", "%EF%BC%91", "01x"])
    async def test_an_id_that_is_not_plain_digits_names_nothing(self, client, raw):
        from tests.factories import make_workshop

        workshop = await make_workshop()
        assert workshop["id"] == 1 or raw != "1_0"
        response = await client.get(f"/api/v1/workshops/{raw}")
        assert response.status_code == 404, response.text
        assert (await client.get(f"/api/v1/workshops/{workshop['id']}")).status_code == 200

    async def test_the_schema_documents_refused_empty_strings(self, client):
        schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]

        def one(suffix):
            return next(schema for name, schema in schemas.items() if name.endswith(suffix))

        assert one("UserCreate")["properties"]["email"]["minLength"] >= 1
        assert one("WorkshopCreate")["properties"]["tags"]["items"]["minLength"] == 1
        skills = one("UserUpdate")["properties"]["skills"]
        assert [o["items"]["minLength"] for o in skills.get("oneOf", [skills])] == [1]
        for body in ({"email": "", "password": "long enough pw", "display_name": "A"},):
            response = await client.post("/api/v1/auth/register", json=body)
            assert response.status_code == 400
            assert [e["field"] for e in response.json()["errors"]] == ["email"]

    @pytest.mark.parametrize("value", ["abc", "0", "1.5", "99999999999"])
    async def test_host_filter_is_an_integer_in_the_schema_and_the_server(self, client, value):
        schema = (await client.get("/schema/openapi.json")).json()
        host = next(p for p in schema["paths"]["/api/v1/workshops"]["get"]["parameters"] if p["name"] == "host")
        types = {o.get("type") for o in host["schema"].get("oneOf", [host["schema"]])}
        assert "integer" in types and "string" not in types
        response = await client.get(f"/api/v1/workshops?host={value}")
        assert response.status_code == 400
        assert [e["field"] for e in response.json()["errors"]] == ["host"]

    async def test_host_filter_finds_the_hosts_workshops(self, client):
        from tests.factories import make_session, make_workshop

        host = await make_user()
        workshop = await make_workshop(host)
        await make_session(workshop)
        await make_session(await make_workshop())
        response = await client.get(f"/api/v1/workshops?host={host['id']}")
        assert [w["id"] for w in response.json()["items"]] == [workshop["id"]]
