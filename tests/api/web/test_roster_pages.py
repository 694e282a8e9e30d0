"""The roster page of a session (`/sessions/{id}/roster`): who may see it, marking attended /
no-show / unmarked and check-in by code from HTML forms (CSRF, POST → 303 → GET with a flash),
the check-in window told kindly, and the French page."""
from __future__ import annotations

import datetime as dt

import pytest

from accounts.csrf import csrf_token_for
from tests.api.workshops.test_pages import BROWSER, html_page
from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import book, join

ROLES = ["anonymous", "participant", "host", "organizer", "other_organizer", "admin"]
MANAGERS = {"host", "organizer", "admin"}


@pytest.fixture
async def cast(clock, client):
    """A 2-hour session in 7 days of a workshop paid on site (5 €), its host, an organizer,
    Zoé with 2 seats booked, Émile with 1 (the session is full), Bob on the waitlist, an
    organizer of another community and an admin."""
    host, organizer = await make_user(display_name="Hélène Host"), await make_user()
    community = await make_community(organizers=(organizer,))
    workshop = await make_workshop(host=host, community=community, capacity=3, payment="on_site",
                                   price_cents=500, title="Bike repair")
    session = await make_session(workshop, starts_at=clock.now() + dt.timedelta(days=7))
    participant = await make_user(display_name="Zoé Zed")
    booking = (await book(client, participant, session["id"], 2, expect=201)).json()
    emile = await make_user(display_name="Émile Est")
    await book(client, emile, session["id"], 1, expect=201)
    await join(client, await make_user(display_name="Bob Bas"), session["id"], 1, expect=201)
    other_organizer = await make_user()
    await make_community(organizers=(other_organizer,))
    return dict(host=host, organizer=organizer, participant=participant, session=session, booking=booking,
                other_organizer=other_organizer, admin=await make_user(is_admin=True), anonymous=None,
                workshop=workshop)


def log_in(client, user) -> str:
    """The browser of `user` (a session cookie; none for a visitor): the CSRF token its forms carry."""
    client.cookies.clear()
    if user is None:
        return ""
    token = csrf_token_for(user["token"], client._transport.app.state.runtime.settings.secret_key)
    client.cookies.set("alveole_session", user["token"])
    client.cookies.set("alveole_csrf", token)
    return token


def roster_url(cast) -> str:
    return f"/sessions/{cast['session']['id']}/roster"


async def api_roster(client, cast) -> dict:
    response = await client.get(f"/api/v1/sessions/{cast['session']['id']}/roster", headers=auth(cast["host"]))
    assert response.status_code == 200
    return {item["display_name"]: item for item in response.json()["items"]}


async def mark(client, cast, token, attendance, booking_id=None):
    return await client.post(f"{roster_url(cast)}/{booking_id or cast['booking']['id']}",
                             data={"attendance": attendance, "csrf_token": token}, headers=BROWSER)


async def follow(client, response, status=200):
    """The page a 303 leads to (with the flash message the redirect set)."""
    assert response.status_code == 303, response.text
    return html_page(await client.get(response.headers["location"], headers=BROWSER), status)


class TestWhoMaySeeIt:
    @pytest.mark.parametrize("who", ROLES)
    async def test_each_role(self, client, cast, who):
        log_in(client, cast[who])
        response = await client.get(roster_url(cast), headers=BROWSER)
        if who == "anonymous":
            assert response.status_code == 303
            assert response.headers["location"] == f"/login?next=%2Fsessions%2F{cast['session']['id']}%2Froster"
        elif who in MANAGERS:
            page = html_page(response)
            assert "Roster" in page.title and "Bike repair" in page.title
        else:  # refused by the service, as the API (403: the workshop is public)
            page = html_page(response, 403)
            assert "Zoé" not in page.visible

    async def test_an_unknown_session_or_a_strangers_draft_is_404(self, client, cast, clock):
        log_in(client, cast["participant"])
        draft = await make_session(await make_workshop(host=cast["host"], status="draft"),
                                   starts_at=clock.now() + dt.timedelta(days=7))
        html_page(await client.get(f"/sessions/{draft['id']}/roster", headers=BROWSER), 404)
        for path in ("/sessions/999999/roster", "/sessions/01/roster", "/sessions/abc/roster"):
            html_page(await client.get(path, headers=BROWSER), 404)

    @pytest.mark.parametrize("who", ["participant", "other_organizer"])
    async def test_others_cannot_mark_or_check_in(self, client, cast, clock, who):
        clock.set(cast["session"]["starts_at"])
        token = log_in(client, cast[who])
        html_page(await mark(client, cast, token, "attended"), 403)
        answer = await client.post(f"{roster_url(cast)[:-7]}/checkin",
                                   data={"code": cast["booking"]["checkin_code"], "csrf_token": token},
                                   headers=BROWSER)
        html_page(answer, 403)
        assert (await api_roster(client, cast))["Zoé Zed"]["attendance"] == "unknown"

    async def test_a_visitor_posting_is_sent_to_log_in(self, client, cast):
        log_in(client, None)
        response = await client.post(f"{roster_url(cast)}/{cast['booking']['id']}", data={"attendance": "attended"},
                                     headers=BROWSER)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


class TestRosterContent:
    async def test_names_sorted_with_seats_what_to_collect_and_the_waitlist_apart(self, client, cast):
        log_in(client, cast["host"])
        page = html_page(await client.get(roster_url(cast), headers=BROWSER))
        text = page.visible
        assert text.index("Émile Est") < text.index("Zoé Zed")  # accents aside, as the API
        assert "Zoé Zed · 2 seats" in text and "€10.00" in text and "€5.00" in text
        assert "To collect at the door in all: €15.00" in text  # the door's total
        assert "3 seats booked" in text and "Not marked" in text
        waitlist = text[text.index("Waitlist"):]
        assert "Bob Bas" in waitlist and "Bob Bas" not in text[:text.index("Waitlist")]
        # 7 days ahead: the buttons would change nothing (the start is 10:00 in Paris)
        assert "Check-in opens on Tuesday, December 8, 2026, 9:00 AM, 1 hour before" in text

    async def test_in_french(self, client, cast, clock):
        clock.set(cast["session"]["starts_at"])
        log_in(client, cast["organizer"])
        client.cookies.set("alveole_lang", "fr")  # the language switch (the users' locale is en)
        response = await client.get(roster_url(cast), headers=BROWSER)
        page = html_page(response)
        assert response.headers["content-language"] == "fr"
        assert "Liste des participant·e·s" in page.title
        for expected in ("Présent·e", "Absent·e", "Non pointé·e", "Liste d'attente", "10,00 €", "Accueillir",
                         "3 places réservées", "À encaisser"):
            assert expected in page.visible, expected


class TestMarking:
    @pytest.mark.parametrize(("attendance", "flash"), [("attended", "Marked as attended."),
                                                       ("no_show", "Marked as no-show.")])
    async def test_a_button_marks_the_booking(self, client, cast, clock, attendance, flash):
        clock.set(cast["session"]["starts_at"])
        token = log_in(client, cast["host"])
        response = await mark(client, cast, token, attendance)
        assert response.headers["location"] == f"{roster_url(cast)}#booking-{cast['booking']['id']}"
        page = await follow(client, response)
        assert flash in page.visible
        assert (await api_roster(client, cast))["Zoé Zed"]["attendance"] == attendance

    async def test_undo_goes_back_to_unmarked_and_both_marks_are_audited(self, client, cast, clock):
        clock.set(cast["session"]["ends_at"])
        token = log_in(client, cast["admin"])
        await mark(client, cast, token, "no_show")
        page = await follow(client, await mark(client, cast, token, "unknown"))
        assert "Mark removed" in page.visible
        assert (await api_roster(client, cast))["Zoé Zed"]["attendance"] == "unknown"
        history = await client.get(f"/api/v1/bookings/{cast['booking']['id']}/attendance", headers=auth(cast["host"]))
        assert [(m["from_attendance"], m["to_attendance"]) for m in history.json()["items"]] == [
            ("unknown", "no_show"), ("no_show", "unknown")]

    async def test_without_the_csrf_token_nothing_changes(self, client, cast, clock):
        clock.set(cast["session"]["starts_at"])
        log_in(client, cast["host"])
        for token in ("", "0" * 64):
            html_page(await mark(client, cast, token, "attended"), 403)
        assert (await api_roster(client, cast))["Zoé Zed"]["attendance"] == "unknown"

    @pytest.mark.parametrize(("moment", "message"), [
        (lambda s: s["starts_at"] - dt.timedelta(hours=1, seconds=1), "check-in opens 1 hour before"),
        (lambda s: s["ends_at"] + dt.timedelta(days=7, seconds=1), "until 7 days after the session ended"),
    ])
    async def test_outside_the_window_the_page_says_why_nothing_changed(self, client, cast, clock, moment,
                                                                        message):
        clock.set(moment(cast["session"]))
        token = log_in(client, cast["organizer"])
        page = await follow(client, await mark(client, cast, token, "attended"))
        assert "Nothing was changed" in page.visible and message in page.visible
        assert (await api_roster(client, cast))["Zoé Zed"]["attendance"] == "unknown"

    async def test_a_cancelled_session_says_so_on_the_page_and_after_a_click(self, client, cast, clock):
        from workshops.tables import WorkshopSession

        clock.set(cast["session"]["starts_at"])
        await WorkshopSession.update({WorkshopSession.status: "cancelled"}).where(
            WorkshopSession.id == cast["session"]["id"])
        token = log_in(client, cast["host"])
        page = html_page(await client.get(roster_url(cast), headers=BROWSER))
        assert "This session is cancelled: there is no attendance to mark." in page.visible
        page = await follow(client, await mark(client, cast, token, "attended"))
        assert "Nothing was changed: this session is cancelled." in page.visible
        assert (await api_roster(client, cast))["Zoé Zed"]["attendance"] == "unknown"

    async def test_a_booking_of_another_session_or_a_bad_value(self, client, cast, clock):
        clock.set(cast["session"]["starts_at"])
        token = log_in(client, cast["host"])
        other = await make_session(cast["workshop"], starts_at=clock.now())
        response = await client.post(f"/sessions/{other['id']}/roster/{cast['booking']['id']}",
                                     data={"attendance": "attended", "csrf_token": token}, headers=BROWSER)
        html_page(response, 404)
        html_page(await mark(client, cast, token, "maybe"), 400)
        assert (await api_roster(client, cast))["Zoé Zed"]["attendance"] == "unknown"


class TestCheckInByCode:
    async def checkin(self, client, cast, token, code):
        return await client.post(f"/sessions/{cast['session']['id']}/checkin",
                                 data={"code": code, "csrf_token": token}, headers=BROWSER)

    async def test_a_typed_code_checks_the_participant_in_and_names_them(self, client, cast, clock):
        clock.set(cast["session"]["starts_at"] - dt.timedelta(minutes=30))
        token = log_in(client, cast["host"])
        typed = cast["booking"]["checkin_code"].lower().replace("-", " ")
        response = await self.checkin(client, cast, token, typed)
        page = await follow(client, response)
        assert "Checked in: marked as attended." in page.visible
        assert "Checked in: Zoé Zed (2 seats)." in page.visible
        assert (await api_roster(client, cast))["Zoé Zed"]["attendance"] == "attended"
        assert response.headers["location"].endswith("#checkin")  # the code field stays in view
        again = await follow(client, await self.checkin(client, cast, token, typed))  # twice: no error
        assert "Already checked in: Zoé Zed (2 seats). Nothing changed." in again.visible
        assert "Checked in: marked as attended." not in again.visible
        from booking.tables import AttendanceMark

        assert await AttendanceMark.count().where(AttendanceMark.booking == cast["booking"]["id"]) == 1

    async def test_a_wrong_or_empty_code_is_told_and_changes_nothing(self, client, cast, clock):
        clock.set(cast["session"]["starts_at"])
        token = log_in(client, cast["organizer"])
        page = await follow(client, await self.checkin(client, cast, token, "AAAA-BBBB-CCCC-DDDD"))
        assert "No booking of this session has this check-in code" in page.visible
        page = await follow(client, await self.checkin(client, cast, token, "   "))
        assert "Type the check-in code first." in page.visible
        assert {i["attendance"] for i in (await api_roster(client, cast)).values()} == {"unknown"}

    async def test_too_early_is_told_kindly(self, client, cast, clock):
        token = log_in(client, cast["host"])
        page = await follow(client, await self.checkin(client, cast, token, cast["booking"]["checkin_code"]))
        assert "check-in opens 1 hour before the session starts" in page.visible
        assert (await api_roster(client, cast))["Zoé Zed"]["attendance"] == "unknown"

    async def test_without_the_csrf_token_nothing_changes(self, client, cast, clock):
        clock.set(cast["session"]["starts_at"])
        log_in(client, cast["host"])
        html_page(await self.checkin(client, cast, "", cast["booking"]["checkin_code"]), 403)
        assert (await api_roster(client, cast))["Zoé Zed"]["attendance"] == "unknown"

    async def test_an_unknown_session_is_404(self, client, cast, clock):
        token = log_in(client, cast["host"])
        response = await client.post("/sessions/999999/checkin", data={"code": "X", "csrf_token": token},
                                     headers=BROWSER)
        html_page(response, 404)

    async def test_in_french(self, client, cast, clock):
        clock.set(cast["session"]["starts_at"])
        token = log_in(client, cast["host"])
        client.cookies.set("alveole_lang", "fr")
        await client.post(f"/sessions/{cast['session']['id']}/checkin",
                          data={"code": "nope", "csrf_token": token}, headers=BROWSER)
        page = html_page(await client.get(roster_url(cast), headers=BROWSER))
        assert "Aucune réservation de cette séance n'a ce code" in page.visible


class TestLinkFromTheWorkshopPage:
    async def test_its_host_sees_a_roster_link_per_session_a_participant_does_not(self, client, cast):
        link = f'href="{roster_url(cast)}"'
        log_in(client, cast["host"])
        assert link in (await client.get(f"/workshops/{cast['workshop']['id']}", headers=BROWSER)).text
        log_in(client, cast["participant"])
        assert link not in (await client.get(f"/workshops/{cast['workshop']['id']}", headers=BROWSER)).text


class TestCheckInByLink:
    """The link the participant's QR code holds (`/checkin/{booking}/{code}`): a phone camera
    opens it, the host (or an organizer, an admin) sees who it is and checks them in."""

    def link(self, cast, code=None) -> str:
        return f"/checkin/{cast['booking']['id']}/{code or cast['booking']['checkin_code']}"

    @pytest.mark.parametrize("who", ROLES)
    async def test_each_role(self, client, cast, who):
        log_in(client, cast[who])
        response = await client.get(self.link(cast), headers=BROWSER)
        if who == "anonymous":
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login?next=%2Fcheckin%2F")
        elif who in MANAGERS:
            page = html_page(response)
            assert "Zoé Zed" in page.visible and "2 seats" in page.visible
            assert "To collect on site: €10.00" in page.visible
            assert 'method="post"' in response.text and "Check in" in page.visible
        else:
            html_page(response, 403)

    async def test_a_wrong_code_or_booking_is_404(self, client, cast):
        log_in(client, cast["host"])
        html_page(await client.get(self.link(cast, "AAAA-BBBB-CCCC-DDDD"), headers=BROWSER), 404)
        html_page(await client.get(f"/checkin/999999/{cast['booking']['checkin_code']}", headers=BROWSER), 404)
        html_page(await client.get("/checkin/x/y", headers=BROWSER), 404)

    async def test_check_in_then_again(self, client, cast, clock):
        clock.set(cast["session"]["starts_at"] - dt.timedelta(minutes=30))
        token = log_in(client, cast["host"])
        response = await client.post(self.link(cast), data={"csrf_token": token}, headers=BROWSER)
        assert response.headers["location"].startswith(self.link(cast))
        page = await follow(client, response)
        assert "Checked in: Zoé Zed (2 seats)." in page.visible and "Already checked in" not in page.visible
        assert (await api_roster(client, cast))["Zoé Zed"]["attendance"] == "attended"
        again = await follow(client, await client.post(self.link(cast), data={"csrf_token": token}, headers=BROWSER))
        assert "Already checked in: Zoé Zed (2 seats). Nothing changed." in again.visible
        from booking.tables import AttendanceMark

        assert await AttendanceMark.count().where(AttendanceMark.booking == cast["booking"]["id"]) == 1

    async def test_refusals_change_nothing(self, client, cast, clock):
        token = log_in(client, cast["host"])
        early = await follow(client, await client.post(self.link(cast), data={"csrf_token": token}, headers=BROWSER))
        assert "check-in opens 1 hour before the session starts" in early.visible
        clock.set(cast["session"]["starts_at"])
        html_page(await client.post(self.link(cast), data={}, headers=BROWSER), 403)  # no CSRF token
        token = log_in(client, cast["participant"])
        html_page(await client.post(self.link(cast), data={"csrf_token": token}, headers=BROWSER), 403)
        log_in(client, None)
        anonymous = await client.post(self.link(cast), data={}, headers=BROWSER)
        assert anonymous.status_code in (303, 403)
        assert (await api_roster(client, cast))["Zoé Zed"]["attendance"] == "unknown"

    async def test_in_french(self, client, cast, clock):
        log_in(client, cast["host"])
        client.cookies.set("alveole_lang", "fr")
        page = html_page(await client.get(self.link(cast), headers=BROWSER))
        assert "Zoé Zed" in page.visible and "2 places" in page.visible and "Accueillir" in page.visible

    async def test_the_roster_s_code_field_takes_the_scanned_link_too(self, client, cast, clock):
        clock.set(cast["session"]["starts_at"])
        token = log_in(client, cast["host"])
        base = client._transport.app.state.runtime.settings.base_url
        response = await client.post(f"/sessions/{cast['session']['id']}/checkin",
                                     data={"code": base + self.link(cast), "csrf_token": token}, headers=BROWSER)
        assert "Checked in: Zoé Zed (2 seats)." in (await follow(client, response)).visible
