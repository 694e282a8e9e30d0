"""The participant's pages over HTTP: book and join the waitlist from the workshop's page, my
bookings (cancel with the late warning, invite, check-in QR code, feedback), my waitlist
(accept, decline, leave). Each page for a visitor (sent to log in), its participant, another
user (404), a form without its CSRF token (403), and each form's effect read back from the API."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest

from accounts.csrf import csrf_token_for
from tests.api.web.test_web_pages import token_of
from tests.api.workshops.test_pages import BROWSER, html_page
from tests.factories import (
    auth,
    make_booking_row,
    make_community,
    make_session,
    make_user,
    make_workshop,
)

START = dt.datetime(2026, 12, 8, 17, 0, tzinfo=dt.UTC)  # a week after the tests' T0


def as_user(client, user, settings) -> str:
    """The browser of `user` from now on (session and CSRF cookies); returns the CSRF token."""
    client.cookies.clear()
    client.cookies.set("alveole_session", user["token"])
    csrf = csrf_token_for(user["token"], settings.secret_key)
    client.cookies.set("alveole_csrf", csrf)
    return csrf


@pytest.fixture
async def cast():
    host = await make_user(display_name="Hélène")
    community = await make_community(slug="belleville", name="Belleville")
    workshop = await make_workshop(host=host, community=community, title="Pain & levain", capacity=3,
                                   max_seats_per_booking=2, cancellation_deadline_hours=24)
    session = await make_session(workshop, starts_at=START, ends_at=START + dt.timedelta(hours=2))
    participant = await make_user(display_name="Zoé", timezone="Europe/Paris")
    other = await make_user(display_name="Omar")
    return {"host": host, "community": community, "workshop": workshop, "session": session,
                "participant": participant, "other": other}


async def api_bookings(client, user) -> list[dict]:
    response = await client.get("/api/v1/me/bookings", headers=auth(user))
    assert response.status_code == 200
    return response.json()["items"]


async def api_entries(client, user) -> list[dict]:
    response = await client.get("/api/v1/me/waitlist", headers=auth(user))
    assert response.status_code == 200
    return response.json()["items"]


async def book_api(client, user, session_id, seats=1) -> dict:
    response = await client.post(f"/api/v1/sessions/{session_id}/bookings", json={"seats": seats}, headers=auth(user))
    assert response.status_code == 201, response.text
    return response.json()


def in_french(client) -> None:
    """The language switch's cookie: it outranks the account's locale and Accept-Language."""
    client.cookies.set("alveole_lang", "fr")


def login_location(path: str) -> str:
    return "/login?next=" + quote(path, safe="")


# -------------------------------------------------------------------------- the workshop's page

class TestWorkshopPageForms:
    async def test_a_visitor_is_asked_to_log_in(self, client, cast):
        page = await client.get(f"/workshops/{cast['workshop']['id']}", headers=BROWSER)
        assert "Log in to book" in html_page(page).visible
        assert "/book" not in page.text

    async def test_a_participant_gets_a_book_form_up_to_the_workshop_s_maximum(self, client, cast, settings):
        csrf = as_user(client, cast["participant"], settings)
        page = await client.get(f"/workshops/{cast['workshop']['id']}", headers=BROWSER)
        html_page(page)
        form = re.search(rf'<form method="post" action="/sessions/{cast["session"]["id"]}/book".*?</form>', page.text, re.DOTALL)
        assert form and f'value="{csrf}"' in form.group(0)
        assert re.findall(r'<option value="(\d+)">', form.group(0)) == ["1", "2"]  # max_seats_per_booking

    async def test_a_full_session_offers_its_waitlist(self, client, cast, settings):
        for _ in range(3):
            await book_api(client, await make_user(), cast["session"]["id"])
        as_user(client, cast["participant"], settings)
        page = await client.get(f"/workshops/{cast['workshop']['id']}", headers=BROWSER)
        assert "Full — join the waitlist" in html_page(page).visible
        assert f'action="/sessions/{cast["session"]["id"]}/waitlist"' in page.text
        assert f'action="/sessions/{cast["session"]["id"]}/book"' not in page.text

    async def test_in_french(self, client, cast, settings):
        as_user(client, cast["participant"], settings)
        in_french(client)
        page = html_page(await client.get(f"/workshops/{cast['workshop']['id']}", headers=BROWSER))
        assert "Réserver" in page.visible and "Mes réservations" in page.visible


class TestWorkshopPageBookingState:
    """A participant's own booking or waitlist place shows on the workshop's page instead of Book."""

    async def test_a_booked_session_says_so_with_seats_and_links(self, client, cast, settings):
        booking = await book_api(client, cast["participant"], cast["session"]["id"], seats=2)
        as_user(client, cast["participant"], settings)
        response = await client.get(f"/workshops/{cast['workshop']['id']}", headers=BROWSER)
        page = html_page(response)
        assert "You're booked: 2 seats" in page.visible
        assert f'href="/me/bookings#booking-{booking["id"]}"' in response.text
        assert f'href="/me/bookings/{booking["id"]}/cancel"' in response.text
        assert f'action="/sessions/{cast["session"]["id"]}/book"' not in response.text
        in_french(client)
        french = html_page(await client.get(f"/workshops/{cast['workshop']['id']}", headers=BROWSER))
        assert "Vous êtes inscrit·e : 2 places" in french.visible  # (a no-break space before the colon)

    async def test_another_user_still_gets_the_book_form(self, client, cast, settings):
        await book_api(client, cast["participant"], cast["session"]["id"])
        as_user(client, cast["other"], settings)
        response = await client.get(f"/workshops/{cast['workshop']['id']}", headers=BROWSER)
        assert "You're booked" not in html_page(response).visible
        assert f'action="/sessions/{cast["session"]["id"]}/book"' in response.text

    async def test_a_waiting_entry_says_its_position(self, client, cast, settings):
        for _ in range(3):
            await book_api(client, await make_user(), cast["session"]["id"])
        for user in (cast["other"], cast["participant"]):
            joined = await client.post(f"/api/v1/sessions/{cast['session']['id']}/waitlist", json={"seats": 1},
                                       headers=auth(user))
            assert joined.status_code == 201, joined.text
        as_user(client, cast["participant"], settings)
        response = await client.get(f"/workshops/{cast['workshop']['id']}", headers=BROWSER)
        page = html_page(response)
        assert "You're on the waitlist (position 2)" in page.visible
        assert f'action="/sessions/{cast["session"]["id"]}/waitlist"' not in response.text
        assert 'href="/me/waitlist#entry-' in response.text

    async def test_an_offer_can_be_accepted_from_the_workshop_page(self, client, cast, settings):
        workshop = await make_workshop(host=cast["host"], community=cast["community"], capacity=1,
                                       waitlist_mode="offer")
        session = await make_session(workshop, starts_at=START)
        first = await book_api(client, cast["other"], session["id"])
        entry = (await client.post(f"/api/v1/sessions/{session['id']}/waitlist", json={"seats": 1},
                                   headers=auth(cast["participant"]))).json()
        cancelled = await client.post(f"/api/v1/bookings/{first['id']}/cancel", headers=auth(cast["other"]))
        assert cancelled.status_code == 200, cancelled.text
        assert [e["status"] for e in await api_entries(client, cast["participant"])] == ["offered"]
        csrf = as_user(client, cast["participant"], settings)
        response = await client.get(f"/workshops/{workshop['id']}", headers=BROWSER)
        assert "An offer waits for you" in html_page(response).visible
        assert f'action="/me/waitlist/{entry["id"]}/accept"' in response.text
        accepted = await client.post(f"/me/waitlist/{entry['id']}/accept", data={"csrf_token": csrf}, headers=BROWSER)
        assert accepted.status_code == 303
        assert [b["status"] for b in await api_bookings(client, cast["participant"])] == ["confirmed"]

    async def test_the_page_costs_the_same_statements_with_one_booking_and_with_ten(self, client, settings):
        from tests.statements import counting

        community, host = await make_community(), await make_user()
        workshop = await make_workshop(host=host, community=community, capacity=5)
        sessions = [await make_session(workshop, starts_at=START + dt.timedelta(days=k)) for k in range(10)]
        participant = await make_user()
        await book_api(client, participant, sessions[0]["id"])
        as_user(client, participant, settings)
        path = f"/workshops/{workshop['id']}"

        async def statements() -> int:
            await client.get(path, headers=BROWSER)
            with counting() as seen:
                html_page(await client.get(path, headers=BROWSER))
            return seen.count

        one = await statements()
        for session in sessions[1:]:
            await book_api(client, participant, session["id"])
        assert html_page(await client.get(path, headers=BROWSER)).visible.count("You're booked") == 10
        assert await statements() == one

    async def test_already_booked_is_a_notice_not_a_success(self, client, cast, settings):
        await book_api(client, cast["participant"], cast["session"]["id"])
        csrf = as_user(client, cast["participant"], settings)
        response = await client.post(f"/sessions/{cast['session']['id']}/book", data={"seats": "1", "csrf_token": csrf},
                                     headers=BROWSER)
        page = await client.get(response.headers["location"], headers=BROWSER)
        flash = re.search(r'<p class="([^"]*)">You already have a booking', page.text)
        assert flash and "flash-notice" in flash.group(1).split()
        booked = await client.post(f"/sessions/{(await make_session(cast['workshop'], starts_at=START + dt.timedelta(days=1)))['id']}/book",
                                   data={"seats": "1", "csrf_token": csrf}, headers=BROWSER)
        done = await client.get(booked.headers["location"], headers=BROWSER)
        assert re.search(r'<p class="flash">Booked!', done.text)


# ------------------------------------------------------------------------------------- booking

class TestBook:
    async def test_books_then_shows_my_bookings_with_a_flash(self, client, cast, settings):
        csrf = as_user(client, cast["participant"], settings)
        response = await client.post(f"/sessions/{cast['session']['id']}/book", data={"seats": "2", "csrf_token": csrf},
                                     headers=BROWSER)
        assert response.status_code == 303 and response.headers["location"] == "/me/bookings"
        (booking,) = await api_bookings(client, cast["participant"])
        assert (booking["seats"], booking["status"]) == (2, "confirmed")
        page = html_page(await client.get("/me/bookings", headers=BROWSER))
        assert "Booked! Your booking is confirmed" in page.visible and "Pain & levain" in page.visible

    async def test_booking_after_the_cancellation_deadline_is_said_before_and_after(self, client, cast, settings,
                                                                                 clock):
        csrf = as_user(client, cast["participant"], settings)
        path = f"/workshops/{cast['workshop']['id']}"
        early = html_page(await client.get(path, headers=BROWSER)).visible
        assert "cancellation deadline has passed" not in early
        clock.set(START - dt.timedelta(hours=23))  # the deadline is 24 h before the start
        late = html_page(await client.get(path, headers=BROWSER)).visible
        assert "The cancellation deadline has passed: if you book and then cancel" in late
        await client.post(f"/sessions/{cast['session']['id']}/book", data={"seats": "1", "csrf_token": csrf},
                          headers=BROWSER)
        page = html_page(await client.get("/me/bookings", headers=BROWSER))
        assert "Booked! Your booking is confirmed" in page.visible
        assert "The cancellation deadline has already passed: cancelling would count as late." in page.visible

    async def test_a_visitor_is_sent_to_log_in_and_nothing_is_booked(self, client, cast):
        response = await client.post(f"/sessions/{cast['session']['id']}/book", data={"seats": "1"}, headers=BROWSER)
        assert response.status_code == 303
        assert response.headers["location"] == login_location(f"/workshops/{cast['workshop']['id']}")
        assert await api_bookings(client, cast["participant"]) == []

    async def test_without_the_csrf_token_it_is_refused(self, client, cast, settings):
        as_user(client, cast["participant"], settings)
        response = await client.post(f"/sessions/{cast['session']['id']}/book", data={"seats": "1"}, headers=BROWSER)
        html_page(response, 403)
        assert await api_bookings(client, cast["participant"]) == []

    @pytest.mark.parametrize("seats", ["abc", "3", "0", "-1", "1.5", "99999"])
    async def test_seats_that_are_no_allowed_number_are_a_friendly_400(self, client, cast, settings, seats):
        csrf = as_user(client, cast["participant"], settings)
        response = await client.post(f"/sessions/{cast['session']['id']}/book", data={"seats": seats, "csrf_token": csrf},
                                     headers=BROWSER)
        page = html_page(response, 400)
        assert "Check the number of seats" in page.title and "from 1 to 2" in page.visible
        assert await api_bookings(client, cast["participant"]) == []

    async def test_a_full_session_sends_back_to_the_workshop_with_its_waitlist(self, client, cast, settings):
        await book_api(client, await make_user(), cast["session"]["id"], seats=2)
        csrf = as_user(client, cast["participant"], settings)
        response = await client.post(f"/sessions/{cast['session']['id']}/book", data={"seats": "2", "csrf_token": csrf},
                                     headers=BROWSER)
        assert response.status_code == 303 and response.headers["location"] == f"/workshops/{cast['workshop']['id']}"
        page = await client.get(response.headers["location"], headers=BROWSER)
        assert "This session is full: you can join its waitlist." in html_page(page).visible
        assert await api_bookings(client, cast["participant"]) == []

    async def test_booking_twice_says_so(self, client, cast, settings):
        await book_api(client, cast["participant"], cast["session"]["id"])
        csrf = as_user(client, cast["participant"], settings)
        response = await client.post(f"/sessions/{cast['session']['id']}/book", data={"seats": "1", "csrf_token": csrf},
                                     headers=BROWSER)
        assert response.status_code == 303
        page = html_page(await client.get(response.headers["location"], headers=BROWSER))
        assert "You already have a booking" in page.visible
        assert len(await api_bookings(client, cast["participant"])) == 1

    async def test_a_started_session_is_closed(self, client, cast, settings, clock):
        clock.set(START + dt.timedelta(minutes=1))
        csrf = as_user(client, cast["participant"], settings)
        response = await client.post(f"/sessions/{cast['session']['id']}/book", data={"seats": "1", "csrf_token": csrf},
                                     headers=BROWSER)
        assert response.status_code == 303
        assert "can no longer be booked" in html_page(await client.get(response.headers["location"], headers=BROWSER)).visible

    @pytest.mark.parametrize("path", ["/sessions/abc/book", "/sessions/01/book", "/sessions/999999/book"])
    async def test_no_such_session_is_404(self, client, cast, settings, path):
        csrf = as_user(client, cast["participant"], settings)
        html_page(await client.post(path, data={"seats": "1", "csrf_token": csrf}, headers=BROWSER), 404)

    async def test_a_draft_is_404_to_a_participant(self, client, cast, settings):
        draft = await make_workshop(community=cast["community"], status="draft", published_at=None)
        session = await make_session(draft, starts_at=START)
        csrf = as_user(client, cast["participant"], settings)
        html_page(await client.post(f"/sessions/{session['id']}/book", data={"seats": "1", "csrf_token": csrf},
                                    headers=BROWSER), 404)


class TestPayingOnline:
    """With Stripe configured (the fake of its API): the booking is a hold whose Checkout page
    my bookings links to (a form post may not redirect to another origin: `form-action 'self'`),
    and the notices of Stripe's return URLs."""

    @pytest.fixture
    def fake_stripe(self, clock):
        from tests.fake_stripe import FakeStripe

        with FakeStripe(now=clock.now) as fake:  # Stripe's clock is the test's
            yield fake

    @pytest.fixture
    def settings(self, database_url, tmp_path, fake_stripe):
        from kernel.settings import Settings

        return Settings(database_url=database_url, mail_dir=tmp_path / "mail", base_url="http://alveole.test",
                        worker_poll_seconds=0.05, stripe_api_key="sk_test_alveole",
                        stripe_webhook_secret="whsec_test_alveole", stripe_api_base=fake_stripe.url, stripe_timeout=3)

    async def test_book_then_checkout_then_pay_now_from_my_bookings(self, client, cast, settings, fake_stripe):
        online = await make_workshop(community=cast["community"], title="Vélo", payment="stripe", price_cents=1200)
        session = await make_session(online, starts_at=START)
        csrf = as_user(client, cast["participant"], settings)
        response = await client.post(f"/sessions/{session['id']}/book", data={"seats": "2", "csrf_token": csrf},
                                     headers=BROWSER)
        assert response.status_code == 303 and response.headers["location"] == "/me/bookings"
        (booking,) = await api_bookings(client, cast["participant"])
        assert (booking["status"], booking["amount_cents"]) == ("pending_payment", 2400)
        assert booking["checkout_url"].startswith(f"{fake_stripe.url}/pay/")
        listing = await client.get("/me/bookings", headers=BROWSER)
        assert "Your seats are held: pay now" in html_page(listing).visible
        assert f'<a class="button" href="{booking["checkout_url"]}">Pay now</a>' in listing.text
        back = await client.get("/me/bookings?payment=cancelled", headers=BROWSER)
        page = html_page(back)
        assert "The payment was cancelled" in page.visible and "To pay online: €24.00" in page.visible
        assert f'href="{booking["checkout_url"]}">Pay now</a>' in back.text
        assert "checkin.svg" not in back.text  # no code before it is paid


class TestJoinWaitlist:
    async def test_a_full_session_s_waitlist(self, client, cast, settings):
        await book_api(client, await make_user(), cast["session"]["id"], seats=2)
        await book_api(client, await make_user(), cast["session"]["id"], seats=1)
        csrf = as_user(client, cast["participant"], settings)
        response = await client.post(f"/sessions/{cast['session']['id']}/waitlist", data={"seats": "2", "csrf_token": csrf},
                                     headers=BROWSER)
        assert response.status_code == 303 and response.headers["location"] == "/me/waitlist"
        (entry,) = await api_entries(client, cast["participant"])
        assert (entry["seats"], entry["status"], entry["position"]) == (2, "waiting", 1)
        page = html_page(await client.get("/me/waitlist", headers=BROWSER))
        assert "You are on the waitlist" in page.visible and "number 1 in line" in page.visible

    async def test_with_seats_free_book_instead(self, client, cast, settings):
        csrf = as_user(client, cast["participant"], settings)
        response = await client.post(f"/sessions/{cast['session']['id']}/waitlist", data={"seats": "1", "csrf_token": csrf},
                                     headers=BROWSER)
        assert response.status_code == 303 and response.headers["location"] == f"/workshops/{cast['workshop']['id']}"
        assert "book them instead" in html_page(await client.get(response.headers["location"], headers=BROWSER)).visible
        assert await api_entries(client, cast["participant"]) == []

    async def test_refusals(self, client, cast, settings):
        path = f"/sessions/{cast['session']['id']}/waitlist"
        anonymous = await client.post(path, data={"seats": "1"}, headers=BROWSER)
        assert anonymous.headers["location"] == login_location(f"/workshops/{cast['workshop']['id']}")
        csrf = as_user(client, cast["participant"], settings)
        html_page(await client.post(path, data={"seats": "1"}, headers=BROWSER), 403)
        html_page(await client.post(path, data={"seats": "abc", "csrf_token": csrf}, headers=BROWSER), 400)
        html_page(await client.post("/sessions/x/waitlist", data={"seats": "1", "csrf_token": csrf}, headers=BROWSER), 404)
        assert await api_entries(client, cast["participant"]) == []


# --------------------------------------------------------------------------------- my bookings

class TestMyBookings:
    async def test_a_visitor_is_sent_to_log_in(self, client, cast):
        for path in ("/me/bookings", "/me/bookings?payment=done", "/me/waitlist"):
            response = await client.get(path, headers=BROWSER)
            assert response.status_code == 303 and response.headers["location"] == login_location(path)

    async def test_an_upcoming_booking_with_its_code_qr_invite_and_cancel(self, client, cast, settings):
        booking = await book_api(client, cast["participant"], cast["session"]["id"], seats=2)
        as_user(client, cast["participant"], settings)
        response = await client.get("/me/bookings", headers=BROWSER)
        page = html_page(response)
        assert page.title.startswith("My bookings")
        upcoming = page.visible.split("Upcoming", 1)[1].split("Past", 1)[0]
        assert "Pain & levain" in upcoming and "Confirmed" in upcoming and booking["checkin_code"] in upcoming
        assert "Tuesday, December 8, 2026, 6:00 PM to 8:00 PM" in upcoming  # 17:00 UTC in Europe/Paris
        assert f'<img src="/api/v1/bookings/{booking["id"]}/checkin.svg"' in response.text
        assert f'href="/api/v1/bookings/{booking["id"]}/invite.ics"' in response.text
        assert f'href="/me/bookings/{booking["id"]}/cancel"' in response.text
        # the links work with the session cookie alone
        qr = await client.get(f"/api/v1/bookings/{booking['id']}/checkin.svg")
        assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
        invite = await client.get(f"/api/v1/bookings/{booking['id']}/invite.ics")
        assert invite.status_code == 200 and "METHOD:REQUEST" in invite.text

    async def test_in_the_viewer_s_time_zone_and_in_french(self, client, cast, settings):
        participant = await make_user(locale="fr", timezone="America/New_York")
        await book_api(client, participant, cast["session"]["id"])
        as_user(client, participant, settings)
        page = html_page(await client.get("/me/bookings", headers=BROWSER))
        assert page.title.startswith("Mes réservations")
        assert "mardi 8 décembre 2026, 12:00 – 14:00" in page.visible  # 17:00 UTC in New York
        assert "America/New_York" in page.visible
        assert "Confirmée" in page.visible and "Annuler cette réservation" in page.visible

    async def test_on_site_amount_and_a_payment_waiting_with_pay_now(self, client, cast, settings):
        on_site = await make_workshop(community=cast["community"], title="Couture", payment="on_site", price_cents=750)
        await book_api(client, cast["participant"], (await make_session(on_site, starts_at=START))["id"], seats=2)
        online = await make_workshop(community=cast["community"], title="Vélo", payment="stripe", price_cents=1200)
        await make_booking_row(await make_session(online, starts_at=START), cast["participant"], status="pending_payment",
                               amount_cents=1200, checkout_url="https://checkout.stripe.test/c/pay_2",
                               hold_expires_at=dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC))
        as_user(client, cast["participant"], settings)
        response = await client.get("/me/bookings", headers=BROWSER)
        page = html_page(response)
        assert "To pay on site: €15.00" in page.visible
        assert "Waiting for your payment" in page.visible and "To pay online: €12.00" in page.visible
        assert "held until Tuesday, December 1, 2026, 10:30 AM" in page.visible
        assert '<a class="button" href="https://checkout.stripe.test/c/pay_2">Pay now</a>' in response.text

    @pytest.mark.parametrize(("payment", "notice"), [("done", "Your payment is being confirmed"),
                                                     ("cancelled", "The payment was cancelled")])
    async def test_the_stripe_return_pages(self, client, cast, settings, payment, notice):
        as_user(client, cast["participant"], settings)
        assert notice in html_page(await client.get(f"/me/bookings?payment={payment}", headers=BROWSER)).visible
        odd = html_page(await client.get("/me/bookings?payment=<b>", headers=BROWSER))
        assert "payment" not in odd.visible.lower()

    async def test_another_user_sees_only_their_own(self, client, cast, settings):
        booking = await book_api(client, cast["participant"], cast["session"]["id"])
        as_user(client, cast["other"], settings)
        response = await client.get("/me/bookings", headers=BROWSER)
        assert "Pain & levain" not in html_page(response).visible and booking["checkin_code"] not in response.text
        assert "You have no upcoming booking." in html_page(response).visible

    async def test_past_ones_below(self, client, cast, settings, clock):
        booking = await book_api(client, cast["participant"], cast["session"]["id"])
        clock.set(START + dt.timedelta(hours=3))
        as_user(client, cast["participant"], settings)
        response = await client.get("/me/bookings", headers=BROWSER)
        past = html_page(response).visible.split("Past", 1)[1]
        assert "Pain & levain" in past and "Give my feedback" in past
        assert f'href="/me/bookings/{booking["id"]}/cancel"' not in response.text
        assert "checkin.svg" not in response.text  # no code to show once it is over


# -------------------------------------------------------------------------------------- cancel

class TestCancel:
    async def test_in_time_then_cancelled(self, client, cast, settings):
        booking = await book_api(client, cast["participant"], cast["session"]["id"])
        csrf = as_user(client, cast["participant"], settings)
        form = html_page(await client.get(f"/me/bookings/{booking['id']}/cancel", headers=BROWSER))
        assert "Pain & levain" in form.title and "without penalty until Monday, December 7, 2026, 6:00 PM" in form.visible
        assert "late" not in form.visible
        done = await client.post(f"/me/bookings/{booking['id']}/cancel", data={"csrf_token": csrf}, headers=BROWSER)
        assert done.status_code == 303 and done.headers["location"] == "/me/bookings"
        (after,) = await api_bookings(client, cast["participant"])
        assert (after["status"], after["late_cancellation"]) == ("cancelled", False)
        assert "Your booking is cancelled." in html_page(await client.get("/me/bookings", headers=BROWSER)).visible

    async def test_late_is_told_plainly_and_flagged(self, client, cast, settings, clock):
        booking = await book_api(client, cast["participant"], cast["session"]["id"])
        clock.set(START - dt.timedelta(hours=3))
        csrf = as_user(client, cast["participant"], settings)
        form = html_page(await client.get(f"/me/bookings/{booking['id']}/cancel", headers=BROWSER))
        assert "This cancellation is late" in form.visible and "24 hours before the start" in form.visible
        assert "not refunded" not in form.visible  # free: nothing to refund
        await client.post(f"/me/bookings/{booking['id']}/cancel", data={"csrf_token": csrf}, headers=BROWSER)
        (after,) = await api_bookings(client, cast["participant"])
        assert (after["status"], after["late_cancellation"]) == ("cancelled", True)
        assert "counts as late" in html_page(await client.get("/me/bookings", headers=BROWSER)).visible

    async def test_late_for_a_paid_booking_says_no_refund(self, client, cast, settings, clock):
        online = await make_workshop(community=cast["community"], title="Vélo", payment="stripe", price_cents=1200)
        booking = await make_booking_row(await make_session(online, starts_at=START), cast["participant"], amount_cents=1200)
        as_user(client, cast["participant"], settings)
        in_time = html_page(await client.get(f"/me/bookings/{booking['id']}/cancel", headers=BROWSER)).visible
        assert "refunded in full" in in_time
        clock.set(START - dt.timedelta(hours=1))
        in_french(client)
        late = html_page(await client.get(f"/me/bookings/{booking['id']}/cancel", headers=BROWSER)).visible
        assert "Cette annulation est tardive" in late and "n’est pas remboursée" in late

    async def test_refusals_change_nothing(self, client, cast, settings):
        booking = await book_api(client, cast["participant"], cast["session"]["id"])
        path = f"/me/bookings/{booking['id']}/cancel"
        anonymous = await client.get(path, headers=BROWSER)
        assert anonymous.status_code == 303 and anonymous.headers["location"] == login_location(path)
        assert (await client.post(path, data={}, headers=BROWSER)).headers["location"] == login_location(path)
        as_user(client, cast["participant"], settings)
        html_page(await client.post(path, data={}, headers=BROWSER), 403)  # no CSRF token
        for someone in (cast["other"], cast["host"]):  # the host may cancel through the API, not here
            csrf = as_user(client, someone, settings)
            html_page(await client.get(path, headers=BROWSER), 404)
            html_page(await client.post(path, data={"csrf_token": csrf}, headers=BROWSER), 404)
        (after,) = await api_bookings(client, cast["participant"])
        assert after["status"] == "confirmed"

    @pytest.mark.parametrize("booking_id", ["abc", "01", "1%20", "999999"])
    async def test_odd_ids_are_404(self, client, cast, settings, booking_id):
        csrf = as_user(client, cast["participant"], settings)
        html_page(await client.get(f"/me/bookings/{booking_id}/cancel", headers=BROWSER), 404)
        html_page(await client.post(f"/me/bookings/{booking_id}/cancel", data={"csrf_token": csrf}, headers=BROWSER), 404)

    async def test_twice_or_after_the_start_is_told(self, client, cast, settings, clock):
        booking = await book_api(client, cast["participant"], cast["session"]["id"])
        csrf = as_user(client, cast["participant"], settings)
        path = f"/me/bookings/{booking['id']}/cancel"
        clock.set(START + dt.timedelta(minutes=5))
        assert "can no longer be cancelled" in html_page(await client.get(path, headers=BROWSER)).visible
        response = await client.post(path, data={"csrf_token": csrf}, headers=BROWSER)
        assert response.status_code == 303
        assert "can no longer be booked" in html_page(await client.get("/me/bookings", headers=BROWSER)).visible
        assert (await api_bookings(client, cast["participant"]))[0]["status"] == "confirmed"


# -------------------------------------------------------------------------------- my waitlist

@pytest.fixture
async def offer(client, cast):
    """A one-seat offer-mode session: someone booked it, the participant queued, the seat freed."""
    workshop = await make_workshop(community=cast["community"], title="Poterie", capacity=1, waitlist_mode="offer",
                                   offer_ttl_minutes=60)
    session = await make_session(workshop, starts_at=START)
    first = await make_user()
    booking = await book_api(client, first, session["id"])
    joined = await client.post(f"/api/v1/sessions/{session['id']}/waitlist", json={"seats": 1},
                               headers=auth(cast["participant"]))
    assert joined.status_code == 201
    assert (await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=auth(first))).status_code == 200
    (entry,) = await api_entries(client, cast["participant"])
    assert entry["status"] == "offered"
    return {"entry": entry, "session": session, "workshop": workshop}


class TestMyWaitlist:
    async def test_an_offer_to_accept(self, client, cast, settings, offer):
        csrf = as_user(client, cast["participant"], settings)
        response = await client.get("/me/waitlist", headers=BROWSER)
        page = html_page(response)
        assert "Poterie" in page.visible and "Seats offered to you" in page.visible
        assert "held for you until Tuesday, December 1, 2026, 11:00 AM" in page.visible  # 60 min, Paris time
        accepted = await client.post(f"/me/waitlist/{offer['entry']['id']}/accept", data={"csrf_token": csrf},
                                     headers=BROWSER)
        assert accepted.status_code == 303 and accepted.headers["location"] == "/me/bookings"
        (booking,) = await api_bookings(client, cast["participant"])
        assert (booking["session_id"], booking["status"]) == (offer["session"]["id"], "confirmed")
        assert "Booked! Your booking is confirmed" in html_page(await client.get("/me/bookings", headers=BROWSER)).visible

    async def test_an_offer_to_decline(self, client, cast, settings, offer):
        csrf = as_user(client, cast["participant"], settings)
        declined = await client.post(f"/me/waitlist/{offer['entry']['id']}/decline", data={"csrf_token": csrf},
                                     headers=BROWSER)
        assert declined.status_code == 303 and declined.headers["location"] == "/me/waitlist"
        (entry,) = await api_entries(client, cast["participant"])
        assert entry["status"] == "withdrawn"
        page = html_page(await client.get("/me/waitlist", headers=BROWSER))
        assert "Offer declined" in page.visible and "Left the waitlist" in page.visible
        assert await api_bookings(client, cast["participant"]) == []

    async def test_an_expired_offer_is_told(self, client, cast, settings, offer, clock, runtime):
        from booking import service

        clock.set(START - dt.timedelta(days=6))
        await service.expire_offers(runtime)
        csrf = as_user(client, cast["participant"], settings)
        response = await client.post(f"/me/waitlist/{offer['entry']['id']}/accept", data={"csrf_token": csrf},
                                     headers=BROWSER)
        assert response.status_code == 303
        assert "This offer has expired" in html_page(await client.get("/me/waitlist", headers=BROWSER)).visible
        assert await api_bookings(client, cast["participant"]) == []

    async def test_leave_while_waiting(self, client, cast, settings):
        await book_api(client, await make_user(), cast["session"]["id"], seats=2)
        await book_api(client, await make_user(), cast["session"]["id"], seats=1)
        joined = await client.post(f"/api/v1/sessions/{cast['session']['id']}/waitlist", json={"seats": 1},
                                   headers=auth(cast["participant"]))
        csrf = as_user(client, cast["participant"], settings)
        page = await client.get("/me/waitlist", headers=BROWSER)
        assert f'action="/me/waitlist/{joined.json()["id"]}/leave"' in page.text
        left = await client.post(f"/me/waitlist/{joined.json()['id']}/leave", data={"csrf_token": csrf}, headers=BROWSER)
        assert left.status_code == 303
        assert (await api_entries(client, cast["participant"]))[0]["status"] == "withdrawn"
        assert "You have left the waitlist." in html_page(await client.get("/me/waitlist", headers=BROWSER)).visible

    async def test_an_entry_still_waiting_at_the_start_no_longer_says_waiting(self, client, cast, settings, clock):
        await book_api(client, await make_user(), cast["session"]["id"], seats=2)
        await book_api(client, await make_user(), cast["session"]["id"], seats=1)
        joined = await client.post(f"/api/v1/sessions/{cast['session']['id']}/waitlist", json={"seats": 1},
                                   headers=auth(cast["participant"]))
        assert joined.status_code == 201
        as_user(client, cast["participant"], settings)
        clock.set(START + dt.timedelta(minutes=5))
        response = await client.get("/me/waitlist", headers=BROWSER)
        page = html_page(response)
        assert "Session started — no seat came free" in page.visible
        assert "Waiting" not in page.visible and "number 1 in line" not in page.visible
        assert f'action="/me/waitlist/{joined.json()["id"]}/leave"' not in response.text
        in_french(client)
        french = html_page(await client.get("/me/waitlist", headers=BROWSER)).visible
        assert "La séance a commencé — aucune place ne s’est libérée" in french

    async def test_refusals_change_nothing(self, client, cast, settings, offer):
        entry_id = offer["entry"]["id"]
        for action in ("accept", "decline", "leave"):
            path = f"/me/waitlist/{entry_id}/{action}"
            client.cookies.clear()
            anonymous = await client.post(path, data={}, headers=BROWSER)
            # an offer's buttons come back to the offer's page after logging in
            back = "/me/waitlist" if action == "leave" else f"/me/waitlist/{entry_id}"
            assert anonymous.headers["location"] == login_location(back)
            as_user(client, cast["participant"], settings)
            html_page(await client.post(path, data={}, headers=BROWSER), 403)
            csrf = as_user(client, cast["other"], settings)
            html_page(await client.post(path, data={"csrf_token": csrf}, headers=BROWSER), 404)
            html_page(await client.post(f"/me/waitlist/x{entry_id}/{action}", data={"csrf_token": csrf},
                                        headers=BROWSER), 404)
        assert (await api_entries(client, cast["participant"]))[0]["status"] == "offered"
        as_user(client, cast["other"], settings)
        assert "Poterie" not in html_page(await client.get("/me/waitlist", headers=BROWSER)).visible

    async def test_in_french(self, client, cast, settings, offer):
        as_user(client, cast["participant"], settings)
        in_french(client)
        page = html_page(await client.get("/me/waitlist", headers=BROWSER))
        assert page.title.startswith("Ma liste d’attente")
        assert "Accepter les places" in page.visible and "mardi 1 décembre 2026" in page.visible


# ------------------------------------------------------------------------------------ feedback

class TestFeedback:
    @pytest.fixture
    async def past(self, client, cast, clock):
        booking = await book_api(client, cast["participant"], cast["session"]["id"])
        clock.set(START + dt.timedelta(hours=3))
        return booking

    async def test_given_from_my_bookings(self, client, cast, settings, past):
        csrf = as_user(client, cast["participant"], settings)
        listing = await client.get("/me/bookings", headers=BROWSER)
        assert f'href="/me/bookings/{past["id"]}/feedback"' in listing.text
        form = await client.get(f"/me/bookings/{past['id']}/feedback", headers=BROWSER)
        assert "How was “Pain & levain”?" in html_page(form).visible and token_of(form.text) == csrf
        sent = await client.post(f"/me/bookings/{past['id']}/feedback", data={"rating": "4", "comment": "Très bien",
                                                                             "csrf_token": csrf}, headers=BROWSER)
        assert sent.status_code == 303 and sent.headers["location"] == "/me/bookings"
        api = await client.get(f"/api/v1/workshops/{cast['workshop']['id']}/feedback", headers=auth(cast["host"]))
        assert [(f["rating"], f["comment"]) for f in api.json()["items"]] == [(4, "Très bien")]
        page = html_page(await client.get("/me/bookings", headers=BROWSER))
        assert "Thank you for your feedback!" in page.visible and "Your feedback: 4 out of 5" in page.visible
        again = await client.get(f"/me/bookings/{past['id']}/feedback", headers=BROWSER)
        assert "has been received: 4 out of 5" in html_page(again).visible

    async def test_bad_input_and_refusals(self, client, cast, settings, past):
        path = f"/me/bookings/{past['id']}/feedback"
        anonymous = await client.get(path, headers=BROWSER)
        assert anonymous.headers["location"] == login_location(path)
        csrf = as_user(client, cast["participant"], settings)
        html_page(await client.post(path, data={"rating": "5"}, headers=BROWSER), 403)
        wrong = await client.post(path, data={"rating": "abc", "csrf_token": csrf}, headers=BROWSER)
        assert "Please choose a rating from 1 to 5." in html_page(wrong, 400).visible and 'id="rating-error"' in wrong.text
        csrf = as_user(client, cast["other"], settings)
        html_page(await client.get(path, headers=BROWSER), 404)
        html_page(await client.post(path, data={"rating": "5", "csrf_token": csrf}, headers=BROWSER), 404)
        html_page(await client.get("/me/bookings/abc/feedback", headers=BROWSER), 404)
        api = await client.get(f"/api/v1/workshops/{cast['workshop']['id']}/feedback", headers=auth(cast["host"]))
        assert api.json()["items"] == []

    async def test_before_the_end_not_yet(self, client, cast, settings, clock):
        booking = await book_api(client, cast["participant"], cast["session"]["id"])
        as_user(client, cast["participant"], settings)
        html_page(await client.get(f"/me/bookings/{booking['id']}/feedback", headers=BROWSER), 409)
        assert "/feedback" not in (await client.get("/me/bookings", headers=BROWSER)).text

    async def test_in_french(self, client, cast, settings, past):
        as_user(client, cast["participant"], settings)
        in_french(client)
        page = html_page(await client.get(f"/me/bookings/{past['id']}/feedback", headers=BROWSER))
        assert "Votre note" in page.visible and "Envoyer mon avis" in page.visible


class TestTheOfferPage:
    """Issue 19.3: the offer email leads to a page where the offer is accepted or declined."""

    async def test_logged_out_it_asks_to_log_in_then_comes_back(self, client, cast, settings, offer):
        path = f"/me/waitlist/{offer['entry']['id']}"
        client.cookies.clear()
        answer = await client.get(path, headers=BROWSER)
        assert answer.status_code == 303 and answer.headers["location"] == login_location(path)
        csrf = as_user(client, cast["participant"], settings)
        page = await client.get(path, headers=BROWSER)
        assert "A seat is free for you" in html_page(page).visible and "Poterie" in page.text
        assert f'action="{path}/accept"' in page.text and f'action="{path}/decline"' in page.text
        accepted = await client.post(f"{path}/accept", data={"csrf_token": csrf}, headers=BROWSER)
        assert accepted.status_code == 303 and accepted.headers["location"] == "/me/bookings"
        (booking,) = await api_bookings(client, cast["participant"])
        assert booking["status"] == "confirmed"
        after = html_page(await client.get(path, headers=BROWSER))  # the page then says what became of it
        assert "See it in my bookings" in after.visible

    async def test_decline_there(self, client, cast, settings, offer):
        path = f"/me/waitlist/{offer['entry']['id']}"
        csrf = as_user(client, cast["participant"], settings)
        declined = await client.post(f"{path}/decline", data={"csrf_token": csrf}, headers=BROWSER)
        assert declined.status_code == 303
        assert (await api_entries(client, cast["participant"]))[0]["status"] == "withdrawn"
        assert "This offer is no longer open." in html_page(await client.get(path, headers=BROWSER)).visible

    async def test_in_french(self, client, cast, settings, offer):
        as_user(client, cast["participant"], settings)
        client.cookies.set("alveole_lang", "fr")
        page = html_page(await client.get(f"/me/waitlist/{offer['entry']['id']}", headers=BROWSER))
        assert "Une place s'est libérée pour vous" in page.visible and "Décliner" in page.visible

    async def test_nobody_else_sees_it(self, client, cast, settings, offer):
        as_user(client, cast["other"], settings)
        html_page(await client.get(f"/me/waitlist/{offer['entry']['id']}", headers=BROWSER), 404)
        html_page(await client.get("/me/waitlist/424242", headers=BROWSER), 404)


class TestTheNotFoundPage:
    async def test_a_visitor_is_offered_to_log_in_and_come_back(self, client):
        client.cookies.clear()
        answer = await client.get("/workshops/424242", headers=BROWSER)
        html_page(answer, 404)
        assert 'href="/login?next=/workshops/424242"' in answer.text
