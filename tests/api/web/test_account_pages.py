"""My account over HTTP: profile, language and time zone; the personal calendar link and its
reset; the data export; deleting the account behind a confirmation. Each page for a visitor
(sent to log in), its user, a form without its CSRF token (403), and each form's effect read
back from the API."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.api.web.test_participant_pages import START, as_user, in_french
from tests.api.workshops.test_pages import BROWSER, html_page
from tests.factories import auth, make_community, make_session, make_user, make_workshop

PROFILE = {"display_name": "Zoé Martin", "bio": "Cyclist <and> baker.", "skills": "bike repair, bread, Bread, ",
           "locale": "fr", "timezone": "America/Montreal"}


@pytest.fixture
async def user():
    return await make_user(display_name="Zoé", locale="en", timezone="Europe/Paris")


async def me(client, user) -> dict:
    response = await client.get("/api/v1/me", headers=auth(user))
    assert response.status_code == 200
    return response.json()


class TestVisitors:
    @pytest.mark.parametrize("path", ["/me/account", "/me/account/export", "/me/account/delete"])
    async def test_are_sent_to_log_in(self, client, path):
        response = await client.get(path, headers=BROWSER)
        assert response.status_code == 303 and response.headers["location"] == "/login?next=" + quote(path, safe="")

    @pytest.mark.parametrize(("path", "back"), [("/me/account", "/me/account"), ("/me/account/calendar-token", "/me/account"),
                                                ("/me/account/delete", "/me/account/delete")])
    async def test_their_posts_change_nothing(self, client, path, back):
        response = await client.post(path, data={"display_name": "X"}, headers=BROWSER)
        assert response.status_code == 303 and response.headers["location"] == "/login?next=" + quote(back, safe="")


class TestProfile:
    async def test_shown_then_saved(self, client, user, settings):
        csrf = as_user(client, user, settings)
        form = await client.get("/me/account", headers=BROWSER)
        page = html_page(form)
        assert page.title.startswith("My account") and 'value="Zoé"' in form.text and user["email"] in page.visible
        saved = await client.post("/me/account", data={**PROFILE, "csrf_token": csrf}, headers=BROWSER)
        assert saved.status_code == 303 and saved.headers["location"] == "/me/account"
        after = await me(client, user)
        assert (after["display_name"], after["bio"], after["skills"], after["locale"], after["timezone"]) == (
            "Zoé Martin", "Cyclist <and> baker.", ["bike repair", "bread"], "fr", "America/Montreal")
        page = html_page(await client.get("/me/account", headers=BROWSER))
        assert page.title.startswith("Mon compte") and "Votre compte est enregistré." in page.visible  # locale fr now

    async def test_dates_follow_the_new_time_zone(self, client, user, settings):
        session = await make_session(await make_workshop(title="Poterie"), starts_at=START)
        await client.post(f"/api/v1/sessions/{session['id']}/bookings", json={}, headers=auth(user))
        csrf = as_user(client, user, settings)
        before = html_page(await client.get("/me/bookings", headers=BROWSER)).visible
        assert "6:00 PM" in before  # 17:00 UTC in Paris
        await client.post("/me/account", data={**PROFILE, "locale": "en", "timezone": "Asia/Tokyo", "csrf_token": csrf},
                          headers=BROWSER)
        assert "Wednesday, December 9, 2026, 2:00 AM" in html_page(await client.get("/me/bookings", headers=BROWSER)).visible

    @pytest.mark.parametrize(("field", "value"), [("timezone", "Mars/Olympus"), ("display_name", "  "),
                                                  ("locale", "de"), ("bio", "x" * 2001),
                                                  ("skills", ",".join(f"s{n}" for n in range(21))),
                                                  ("skills", "y" * 41), ("display_name", "z" * 121)])
    async def test_a_wrong_field_is_told_next_to_it_and_nothing_is_saved(self, client, user, settings, field, value):
        csrf = as_user(client, user, settings)
        response = await client.post("/me/account", data={**PROFILE, field: value, "csrf_token": csrf}, headers=BROWSER)
        page = html_page(response, 400)
        assert page.title.startswith("Error:") and f'id="{field}-error"' in response.text
        assert f'href="#{field}"' in response.text
        assert (await me(client, user))["display_name"] == "Zoé"

    async def test_without_the_csrf_token_it_is_refused(self, client, user, settings):
        as_user(client, user, settings)
        html_page(await client.post("/me/account", data=PROFILE, headers=BROWSER), 403)
        assert (await me(client, user))["display_name"] == "Zoé"

    async def test_in_french(self, client, user, settings):
        as_user(client, user, settings)
        in_french(client)
        page = html_page(await client.get("/me/account", headers=BROWSER))
        assert "Mon agenda" in page.visible and "Réinitialiser mon lien d’agenda" in page.visible
        assert "Exporter mes données (JSON)" in page.visible


class TestCalendarLink:
    async def test_shown_to_copy_then_reset(self, client, user, settings):
        old = (await me(client, user))["calendar_url"]
        csrf = as_user(client, user, settings)
        page = await client.get("/me/account", headers=BROWSER)
        assert f'id="calendar_url" value="{old}" readonly' in page.text
        old_path = old.removeprefix("http://alveole.test")
        assert (await client.get(old_path)).status_code == 200
        html_page(await client.post("/me/account/calendar-token", data={}, headers=BROWSER), 403)
        assert (await me(client, user))["calendar_url"] == old
        reset = await client.post("/me/account/calendar-token", data={"csrf_token": csrf}, headers=BROWSER)
        assert reset.status_code == 303 and reset.headers["location"] == "/me/account#calendar"
        new = (await me(client, user))["calendar_url"]
        assert new != old and (await client.get(old_path)).status_code == 404
        assert (await client.get(new.removeprefix("http://alveole.test"))).status_code == 200
        after = await client.get("/me/account", headers=BROWSER)
        assert new in after.text and "the old one no longer works" in html_page(after).visible


class TestExport:
    async def test_a_json_download_of_everything(self, client, user, settings):
        session = await make_session(await make_workshop(title="Poterie"), starts_at=START)
        await client.post(f"/api/v1/sessions/{session['id']}/bookings", json={"seats": 2}, headers=auth(user))
        as_user(client, user, settings)
        response = await client.get("/me/account/export", headers=BROWSER)
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
        assert response.headers["content-disposition"] == 'attachment; filename="alveole-my-data.json"'
        assert response.headers["cache-control"] == "no-store"
        exported = json.loads(response.content)
        assert exported["profile"]["email"] == user["email"]
        assert [(b["seats"], b["workshop_title"]) for b in exported["bookings"]] == [(2, "Poterie")]
        api = await client.get("/api/v1/me/export", headers=auth(user))
        assert exported["profile"] == api.json()["profile"]


class TestDelete:
    async def test_a_confirmation_that_says_what_is_erased(self, client, user, settings):
        as_user(client, user, settings)
        page = html_page(await client.get("/me/account/delete", headers=BROWSER))
        assert page.title.startswith("Delete my account")
        for told in ("cannot be undone", "email address, password", "ratings stay", "logged out everywhere",
                     "past bookings"):
            assert told in page.visible
        in_french(client)
        assert "Cette action est définitive." in html_page(await client.get("/me/account/delete", headers=BROWSER)).visible

    async def test_deleted_then_logged_out_and_seats_released(self, client, user, settings):
        community = await make_community()
        session = await make_session(await make_workshop(community=community, title="Poterie", capacity=1), starts_at=START)
        assert (await client.post(f"/api/v1/sessions/{session['id']}/bookings", json={}, headers=auth(user))).status_code == 201
        csrf = as_user(client, user, settings)
        html_page(await client.post("/me/account/delete", data={}, headers=BROWSER), 403)
        assert (await me(client, user))["display_name"] == "Zoé"
        done = await client.post("/me/account/delete", data={"csrf_token": csrf}, headers=BROWSER)
        assert done.status_code == 303 and done.headers["location"] == "/"
        cleared = [h for h in done.headers.get_list("set-cookie") if h.startswith("alveole_session=")]
        assert cleared and "max-age=0" in cleared[0].lower()
        client.cookies.delete("alveole_session")
        assert "Your account is deleted." in html_page(await client.get("/login", headers=BROWSER)).visible
        assert (await client.get("/api/v1/me", headers=auth(user))).status_code == 401
        seats = await client.get(f"/api/v1/sessions/{session['id']}")
        assert seats.json()["seats_left"] == 1
        login = await client.post("/api/v1/auth/login", json={"email": user["email"], "password": user["password"]})
        assert login.status_code == 401
