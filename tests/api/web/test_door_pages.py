"""The door and the desk's pages: the slip, the programme, short links, the relays page, the
desk and a relay's neighbours' bookings, and the roster's door forms — who may, who may not."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.api.web.test_roster_pages import log_in
from tests.api.workshops.test_pages import BROWSER, html_page
from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import book, rows


@pytest.fixture
async def cast(clock, client):
    host, organizer = await make_user(), await make_user()
    relay = await make_user(display_name="Médiathèque", locale="fr")
    community = await make_community(organizers=(organizer,), name="Belleville")
    answer = await client.post(f"/api/v1/communities/{community['slug']}/relays", json={"email": relay["email"]},
                               headers=auth(organizer))
    assert answer.status_code == 201
    workshop = await make_workshop(host=host, community=community, capacity=4, payment="on_site", price_cents=500,
                                   title="Réparer son vélo")
    session = await make_session(workshop, starts_at=clock.now() + dt.timedelta(days=3))
    guest = (await client.post(f"/api/v1/sessions/{session['id']}/bookings",
                               json={"seats": 1, "guest": {"name": "Mme Lefèvre", "phone": "0612345678"}},
                               headers=auth(relay))).json()
    participant = await make_user(display_name="Zoé")
    own = (await book(client, participant, session["id"], 1, expect=201)).json()
    other_organizer, other_relay = await make_user(), await make_user()
    other = await make_community(organizers=(other_organizer,))
    await client.post(f"/api/v1/communities/{other['slug']}/relays", json={"email": other_relay["email"]},
                      headers=auth(other_organizer))
    return dict(host=host, organizer=organizer, relay=relay, participant=participant, session=session, workshop=workshop,
                guest=guest, own=own, community=community, other_organizer=other_organizer,
                other_relay=other_relay, admin=await make_user(is_admin=True), user=await make_user(),
                anonymous=None)


class TestSlip:
    @pytest.mark.parametrize("who", ["relay", "host", "organizer", "admin"])
    async def test_those_who_may_print_it(self, client, cast, who):
        log_in(client, cast[who])
        page = html_page(await client.get(f"/bookings/{cast['guest']['id']}/slip", headers=BROWSER))
        text = page.text if hasattr(page, "text") else ""
        response = await client.get(f"/bookings/{cast['guest']['id']}/slip", headers=BROWSER)
        assert "Mme Lefèvre" in response.text and cast["guest"]["checkin_code"] in response.text
        assert "<svg" in response.text and "Réparer son vélo" in response.text
        assert "5,00" in response.text  # the relay's language: French
        assert response.headers["content-language"] == "fr"
        del text

    async def test_its_participant_and_lang(self, client, cast):
        log_in(client, cast["participant"])
        response = await client.get(f"/bookings/{cast['own']['id']}/slip?lang=en", headers=BROWSER)
        html_page(response)
        assert "€5.00" in response.text and "Show this code at the door" in response.text

    @pytest.mark.parametrize("who,status", [("participant", 403), ("other_relay", 403), ("other_organizer", 403),
                                            ("user", 403)])
    async def test_others_are_refused(self, client, cast, who, status):
        log_in(client, cast[who])
        html_page(await client.get(f"/bookings/{cast['guest']['id']}/slip", headers=BROWSER), status)

    async def test_a_visitor_logs_in_first(self, client, cast):
        log_in(client, None)
        response = await client.get(f"/bookings/{cast['guest']['id']}/slip", headers=BROWSER)
        assert response.status_code in (302, 303) and "/login" in response.headers["location"]


class TestShortCodesAndProgramme:
    async def test_a_short_code_opens_the_workshop(self, client, cast):
        code = (await rows("SELECT short_code FROM workshop_session WHERE id = {}", cast["session"]["id"]))[0]["short_code"]
        assert len(code) == 6 and not set(code) & set("01OIL")
        response = await client.get(f"/s/{code.lower()}", headers=BROWSER)
        assert response.status_code == 303
        assert response.headers["location"].endswith(f"/workshops/{cast['workshop']['id']}")
        html_page(await client.get("/s/ZZZZZZ", headers=BROWSER), 404)
        html_page(await client.get("/s/nope", headers=BROWSER), 404)

    @pytest.mark.parametrize("language,expected", [("en", "Book at the desk"), ("fr", "Réservez à l’accueil")])
    async def test_the_programme_lists_the_next_14_days_with_codes(self, client, cast, clock, language, expected):
        later = await make_session(cast["workshop"], starts_at=clock.now() + dt.timedelta(days=15))
        code = (await rows("SELECT short_code FROM workshop_session WHERE id = {}", cast["session"]["id"]))[0]["short_code"]
        later_code = (await rows("SELECT short_code FROM workshop_session WHERE id = {}", later["id"]))[0]["short_code"]
        log_in(client, None)
        response = await client.get(f"/communities/{cast['community']['slug']}/programme",
                                    headers={**BROWSER, "Accept-Language": language})
        html_page(response)
        assert code in response.text and later_code not in response.text
        assert expected in response.text and "http://alveole.test/s/CODE" in response.text
        assert (await client.get("/static/paper.css")).status_code == 200

    async def test_an_unknown_community_has_no_programme(self, client, cast):
        html_page(await client.get("/communities/nowhere/programme", headers=BROWSER), 404)


class TestRelaysPage:
    async def test_an_organizer_adds_and_removes_a_relay(self, client, cast):
        token = log_in(client, cast["organizer"])
        url = f"/organize/communities/{cast['community']['slug']}/relays"
        page = await client.get(url, headers=BROWSER)
        html_page(page)
        assert "Médiathèque" in page.text
        added = await client.post(url, data={"email": cast["user"]["email"], "csrf_token": token}, headers=BROWSER)
        assert added.status_code == 303
        unknown = await client.post(url, data={"email": "nobody@example.org", "csrf_token": token}, headers=BROWSER)
        html_page(unknown, 400)
        removed = await client.post(f"{url}/{cast['user']['id']}/remove", data={"csrf_token": token}, headers=BROWSER)
        assert removed.status_code == 303
        listed = (await client.get(f"/api/v1/communities/{cast['community']['slug']}/relays",
                                   headers=auth(cast["organizer"]))).json()
        assert [r["user_id"] for r in listed["items"]] == [cast["relay"]["id"]]

    @pytest.mark.parametrize("who", ["relay", "host", "other_organizer", "user"])
    async def test_others_are_refused(self, client, cast, who):
        token = log_in(client, cast[who])
        url = f"/organize/communities/{cast['community']['slug']}/relays"
        html_page(await client.get(url, headers=BROWSER), 403)
        html_page(await client.post(url, data={"email": cast["user"]["email"], "csrf_token": token},
                                    headers=BROWSER), 403)
        assert len(await rows("SELECT id FROM community_relay WHERE community = {}", cast["community"]["id"])) == 1


class TestDeskAndNeighbours:
    async def test_a_relay_books_at_the_desk_then_sees_prints_and_cancels(self, client, cast):
        token = log_in(client, cast["relay"])
        form = await client.get("/desk", headers=BROWSER)
        html_page(form)
        assert "Réparer son vélo" in form.text
        answer = await client.post("/desk", data={"session": str(cast["session"]["id"]), "name": "M. Diallo",
                                                  "phone": "06 11 22 33 44", "note": "", "seats": "2",
                                                  "csrf_token": token}, headers=BROWSER)
        assert answer.status_code == 303 and "/slip" in answer.headers["location"]
        booking_id = int(answer.headers["location"].split("/")[2])
        mine = await client.get("/me/neighbours", headers=BROWSER)
        html_page(mine)
        assert "M. Diallo" in mine.text and "Mme Lefèvre" in mine.text and "06 11 22 33 44" in mine.text
        cancelled = await client.post(f"/me/neighbours/{booking_id}/cancel", data={"csrf_token": token},
                                      headers=BROWSER)
        assert cancelled.status_code == 303
        assert (await rows("SELECT status FROM booking WHERE id = {}", booking_id))[0]["status"] == "cancelled"

    async def test_the_desk_tells_what_is_wrong_and_writes_nothing(self, client, cast):
        token = log_in(client, cast["relay"])
        before = len(await rows("SELECT id FROM booking"))
        answer = await client.post("/desk", data={"session": str(cast["session"]["id"]), "name": "",
                                                  "phone": "12", "seats": "1", "csrf_token": token}, headers=BROWSER)
        html_page(answer, 400)
        answer = await client.post("/desk", data={"session": str(cast["session"]["id"]), "name": "Ana",
                                                  "phone": "12", "seats": "1", "csrf_token": token}, headers=BROWSER)
        html_page(answer, 400)
        assert len(await rows("SELECT id FROM booking")) == before

    async def test_another_relay_may_not_cancel_it(self, client, cast):
        token = log_in(client, cast["other_relay"])
        answer = await client.post(f"/me/neighbours/{cast['guest']['id']}/cancel", data={"csrf_token": token},
                                   headers=BROWSER)
        html_page(answer, 403)
        assert (await rows("SELECT status FROM booking WHERE id = {}", cast["guest"]["id"]))[0]["status"] == "confirmed"
        other_desk = await client.post("/desk", data={"session": str(cast["session"]["id"]), "name": "X",
                                                      "seats": "1", "csrf_token": token}, headers=BROWSER)
        html_page(other_desk, 400)


class TestRosterDoor:
    async def test_walk_in_standby_and_release_from_the_roster(self, client, cast, clock):
        sid = cast["session"]["id"]
        token = log_in(client, cast["host"])
        clock.set(cast["session"]["starts_at"] - dt.timedelta(minutes=30))
        walk = await client.post(f"/sessions/{sid}/walk-in", data={"name": "Paul", "seats": "2", "csrf_token": token},
                                 headers=BROWSER)
        assert walk.status_code == 303
        for name in ("Inès", "Jo"):
            answer = await client.post(f"/sessions/{sid}/standby", data={"name": name, "seats": "1",
                                                                          "csrf_token": token}, headers=BROWSER)
            assert answer.status_code == 303
        page = await client.get(f"/sessions/{sid}/roster", headers=BROWSER)
        html_page(page)
        assert page.text.index('id="checkin"') < page.text.index('id="door"')
        assert "Inès" in page.text and "Paul" in page.text
        assert "06 12 34 56 78" in page.text  # Mme Lefèvre's phone, as French people write it
        early = await client.post(f"/sessions/{sid}/release-no-shows", data={"csrf_token": token}, headers=BROWSER)
        assert early.status_code == 303
        assert not await rows("SELECT id FROM booking WHERE source = 'standby'")
        clock.set(cast["session"]["starts_at"] + dt.timedelta(minutes=10))
        released = await client.post(f"/sessions/{sid}/release-no-shows", data={"csrf_token": token}, headers=BROWSER)
        assert released.status_code == 303
        assert [r["guest_name"] for r in await rows("SELECT guest_name FROM booking WHERE source = 'standby' ORDER BY id")] \
            == ["Inès", "Jo"]

    @pytest.mark.parametrize("who", ["relay", "participant", "other_organizer"])
    async def test_others_may_not_use_the_door(self, client, cast, clock, who):
        sid = cast["session"]["id"]
        token = log_in(client, cast[who])
        clock.set(cast["session"]["starts_at"] + dt.timedelta(minutes=15))
        for path in ("walk-in", "standby", "release-no-shows"):
            html_page(await client.post(f"/sessions/{sid}/{path}", data={"seats": "1", "csrf_token": token},
                                        headers=BROWSER), 403)
        assert not await rows("SELECT id FROM booking WHERE source IN ('walk_in', 'standby')")
        assert not await rows("SELECT id FROM standby_entry")
