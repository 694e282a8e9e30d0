"""The pages of email verification, password reset and change, and logging out everywhere:
`/verify/{token}` (a GET page whose button POSTs), the "send it again" notice where booking
waits for a verified address, `next` kept from sign-up to the emailed link, `/forgot`,
`/reset/{token}` and the two forms of My account."""
from __future__ import annotations

from urllib.parse import quote

from accounts.tables import AuthToken
from notify.tables import OutboxMessage
from tests.api.web.test_participant_pages import as_user
from tests.api.web.test_web_pages import token_of
from tests.api.workshops.test_pages import BROWSER, html_page
from tests.factories import auth, emailed_link, make_session, make_user


async def sign_up(client, next_path: str | None = None, email: str = "zoe@example.org"):
    query = f"?next={quote(next_path, safe='')}" if next_path else ""
    form = await client.get(f"/signup{query}", headers=BROWSER)
    assert next_path is None or f'name="next" value="{next_path}"' in form.text
    return await client.post("/signup", data={
        "display_name": "Zoé", "email": email, "password": "long enough pass", "locale": "en",
        "timezone": "Europe/Paris", "csrf_token": token_of(form.text), "next": next_path or ""}, headers=BROWSER)


class TestTheJourneyFromAWorkshop:
    async def test_sign_up_verify_and_land_back_on_the_workshop_with_the_book_button(self, client, settings):
        session = await make_session()
        workshop = f"/workshops/{session['workshop']}"
        login = await client.get(f"/login?next={quote(workshop, safe='')}", headers=BROWSER)
        assert f'href="/signup?next={workshop}"' in login.text
        done = await sign_up(client, workshop)
        assert done.status_code == 303 and done.headers["location"] == workshop
        page = await client.get(workshop, headers=BROWSER)
        assert "Confirm your email address to book" in html_page(page).visible
        assert 'action="/verify/resend"' in page.text and f'action="/sessions/{session["id"]}/book"' not in page.text
        # the emailed link, opened (by a scanner, say): a page with a button, nothing used up
        link = await emailed_link(settings, "verify_email")
        shown = await client.get(link, headers=BROWSER)
        assert "Confirm my address" in html_page(shown).visible and f'action="{link}"' in shown.text
        assert (await client.get("/api/v1/me")).json()["email_verified"] is False
        confirmed = await client.post(link, data={"csrf_token": token_of(shown.text)}, headers=BROWSER)
        assert confirmed.status_code == 303 and confirmed.headers["location"] == workshop
        page = await client.get(workshop, headers=BROWSER)
        assert "Your email address is confirmed" in html_page(page).visible
        assert f'action="/sessions/{session["id"]}/book"' in page.text
        booked = await client.post(f"/sessions/{session['id']}/book",
                                   data={"seats": "1", "csrf_token": token_of(page.text)}, headers=BROWSER)
        assert booked.status_code == 303 and booked.headers["location"].startswith("/me/bookings")

    async def test_the_link_works_in_another_browser_not_logged_in(self, client, settings):
        session = await make_session()
        workshop = f"/workshops/{session['workshop']}"
        await sign_up(client, workshop)
        link = await emailed_link(settings, "verify_email")
        client.cookies.clear()
        shown = await client.get(link, headers=BROWSER)
        confirmed = await client.post(link, data={"csrf_token": token_of(shown.text)}, headers=BROWSER)
        assert confirmed.status_code == 303 and confirmed.headers["location"] == workshop
        assert "Log in to book" in html_page(await client.get(workshop, headers=BROWSER)).visible

    async def test_a_used_or_unknown_link_says_so_and_how_to_ask_again(self, client, settings):
        await sign_up(client)
        link = await emailed_link(settings, "verify_email")
        shown = await client.get(link, headers=BROWSER)
        await client.post(link, data={"csrf_token": token_of(shown.text)}, headers=BROWSER)
        again = html_page(await client.get(link, headers=BROWSER), 400)
        assert "This link does not work any more" in again.visible
        client.cookies.clear()
        unknown = await client.get("/verify/not-a-token", headers=BROWSER)
        assert "Log in to ask for a new link" in html_page(unknown, 400).visible

    async def test_the_booking_refusal_shows_the_notice(self, client, settings):
        zoe, session = await make_user(verified=False), await make_session()
        csrf = as_user(client, zoe, settings)
        refused = await client.post(f"/sessions/{session['id']}/book", data={"seats": "1", "csrf_token": csrf},
                                    headers=BROWSER)
        assert refused.status_code == 303
        page = html_page(await client.get(refused.headers["location"], headers=BROWSER))
        assert "Confirm your email address first" in page.visible and "Send the link again" in page.visible


class TestSendItAgain:
    async def test_sends_a_link_back_to_the_page_then_is_bounded(self, client, settings):
        zoe, session = await make_user(verified=False), await make_session()
        workshop = f"/workshops/{session['workshop']}"
        csrf = as_user(client, zoe, settings)
        for _ in range(5):  # 4 links a day (an account made here has no sign-up link)
            sent = await client.post("/verify/resend", data={"next": workshop, "csrf_token": csrf}, headers=BROWSER)
            assert sent.status_code == 303 and sent.headers["location"] == workshop
        assert await OutboxMessage.count().where(OutboxMessage.kind == "verify_email") == 4
        assert "several links already" in html_page(await client.get(workshop, headers=BROWSER)).visible
        link = await emailed_link(settings, "verify_email", zoe["id"])
        shown = await client.get(link, headers=BROWSER)
        confirmed = await client.post(link, data={"csrf_token": token_of(shown.text)}, headers=BROWSER)
        assert confirmed.headers["location"] == workshop

    async def test_without_the_csrf_token_nothing_is_sent(self, client, settings):
        zoe = await make_user(verified=False)
        as_user(client, zoe, settings)
        assert (await client.post("/verify/resend", data={}, headers=BROWSER)).status_code == 403
        assert await OutboxMessage.count() == 0


class TestForgotAndReset:
    async def test_the_login_page_links_to_forgot(self, client):
        assert 'href="/forgot"' in (await client.get("/login", headers=BROWSER)).text

    async def test_forgot_answers_the_same_then_the_link_sets_a_new_password(self, client, settings):
        zoe = await make_user()
        form = await client.get("/forgot", headers=BROWSER)
        csrf = token_of(form.text)
        unknown = await client.post("/forgot", data={"email": "nobody@example.org", "csrf_token": csrf}, headers=BROWSER)
        known = await client.post("/forgot", data={"email": zoe["email"], "csrf_token": csrf}, headers=BROWSER)
        assert html_page(unknown).visible.replace("nobody@example.org", "") == \
            html_page(known).visible.replace(zoe["email"], "")
        link = await emailed_link(settings, "password_reset", zoe["id"])
        shown = await client.get(link, headers=BROWSER)
        assert "Choose a new password" in html_page(shown).visible
        short = await client.post(link, data={"password": "short", "csrf_token": csrf}, headers=BROWSER)
        html_page(short, 400)
        assert 'id="password-error"' in short.text
        done = await client.post(link, data={"password": "a brand new secret", "csrf_token": csrf}, headers=BROWSER)
        assert done.status_code == 303 and done.headers["location"] == "/login"
        assert (await client.get("/api/v1/me", headers=auth(zoe))).status_code == 401
        again = await client.get(link, headers=BROWSER)
        assert 'href="/forgot"' in again.text and "This link does not work any more" in html_page(again, 400).visible

    async def test_a_malformed_address_is_told_next_to_the_field(self, client):
        form = await client.get("/forgot", headers=BROWSER)
        refused = await client.post("/forgot", data={"email": "not an address", "csrf_token": token_of(form.text)},
                                    headers=BROWSER)
        html_page(refused, 400)
        assert 'id="email-error"' in refused.text and await OutboxMessage.count() == 0

    async def test_forgot_without_the_csrf_token_sends_nothing(self, client):
        zoe = await make_user()
        assert (await client.post("/forgot", data={"email": zoe["email"]}, headers=BROWSER)).status_code == 403
        assert await OutboxMessage.count() == 0


class TestMyAccount:
    async def test_change_password_keeps_this_session_and_ends_the_others(self, client, settings):
        zoe = await make_user()
        other = (await client.post("/api/v1/auth/login", json={"email": zoe["email"], "password": zoe["password"]})).json()["token"]
        csrf = as_user(client, zoe, settings)
        page = await client.get("/me/account", headers=BROWSER)
        assert 'action="/me/account/password"' in page.text and 'action="/me/account/logout-everywhere"' in page.text
        wrong = await client.post("/me/account/password", data={"current_password": "nope nope", "new_password": "a brand new secret",
                                                                 "csrf_token": csrf}, headers=BROWSER)
        html_page(wrong, 401)
        assert 'id="current_password-error"' in wrong.text
        done = await client.post("/me/account/password", data={"current_password": zoe["password"],
                                                                "new_password": "a brand new secret", "csrf_token": csrf},
                                 headers=BROWSER)
        assert done.status_code == 303
        assert (await client.get("/me/account", headers=BROWSER)).status_code == 200
        assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"})).status_code == 401

    async def test_log_out_everywhere_ends_this_session_too(self, client, settings):
        zoe = await make_user()
        csrf = as_user(client, zoe, settings)
        done = await client.post("/me/account/logout-everywhere", data={"csrf_token": csrf}, headers=BROWSER)
        assert done.status_code == 303 and done.headers["location"] == "/"
        assert await AuthToken.count().where(AuthToken.user == zoe["id"]) == 0

    async def test_an_unverified_account_sees_the_notice(self, client, settings):
        zoe = await make_user(verified=False)
        as_user(client, zoe, settings)
        assert "Send the link again" in html_page(await client.get("/me/account", headers=BROWSER)).visible


class TestProposingAWorkshop:
    async def test_an_unverified_host_is_told_why_and_how(self, client, settings):
        zoe = await make_user(verified=False)
        csrf = as_user(client, zoe, settings)
        assert "Send the link again" in html_page(await client.get("/workshops/new", headers=BROWSER)).visible
        refused = await client.post("/workshops/new", data={"title": "Bread", "csrf_token": csrf}, headers=BROWSER)
        assert refused.status_code in (303, 400)
