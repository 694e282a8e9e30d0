"""The host's pages over HTTP: my workshops, propose and edit (every field of the API's body,
messages next to each field), submit, add sessions (one date or a repeat made into an RRULE),
reschedule and cancel a session (with how many people are told), feedback received, and the
Markdown description rendered then sanitised. Every page × role, and CSRF refusals."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from accounts.csrf import csrf_token_for
from tests.api.workshops.test_pages import BROWSER, html_page
from tests.factories import (
    auth,
    make_booking_row,
    make_community,
    make_session,
    make_user,
    make_waitlist_row,
    make_workshop,
)

UTC = dt.UTC
PARIS = ZoneInfo("Europe/Paris")
FR = {**BROWSER, "Accept-Language": "fr-FR,fr;q=0.9"}


@dataclass
class Cast:
    community: dict[str, Any]
    other_community: dict[str, Any]
    host: dict[str, Any]
    participant: dict[str, Any]
    organizer: dict[str, Any]
    other_organizer: dict[str, Any]
    admin: dict[str, Any]
    published: dict[str, Any]  # hosted by `host`, in `community`
    draft: dict[str, Any]
    session: dict[str, Any]  # of `published`, a week ahead


@pytest.fixture
async def cast(client) -> Cast:
    organizer, other_organizer = await make_user(display_name="Olga"), await make_user()
    community = await make_community(organizers=(organizer,), slug="belleville", name="Belleville")
    other = await make_community(organizers=(other_organizer,), slug="croix-rousse", name="Croix-Rousse")
    host = await make_user(display_name="Amina")
    published = await make_workshop(host=host, community=community, title="Bike repair")
    draft = await make_workshop(host=host, community=community, title="Secret draft", status="draft",
                                published_at=None)
    return Cast(community=community, other_community=other, host=host, participant=await make_user(),
                organizer=organizer, other_organizer=other_organizer, admin=await make_user(is_admin=True),
                published=published, draft=draft, session=await make_session(published))


def log_in(client, user: dict[str, Any] | None, settings, language: str | None = None) -> str:
    """Browse as `user` with a session cookie (None: as a visitor), in `language` if given (the
    header's switch); the CSRF token its forms carry."""
    client.cookies.clear()
    if language:
        client.cookies.set("alveole_lang", language)
    if user is None:
        return ""
    client.cookies.set("alveole_session", user["token"])
    token = csrf_token_for(user["token"], settings.secret_key)
    client.cookies.set("alveole_csrf", token)
    return token


def error_ids(html: str) -> set[str]:
    return set(re.findall(r'id="([a-z_]+)-error"', html))


async def api_workshop(client, user, workshop_id: int) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/workshops/{workshop_id}", headers=auth(user))
    assert answer.status_code == 200, answer.text
    return answer.json()


# ------------------------------------------------------------------------------ who may see what

def host_paths(cast: Cast) -> dict[str, str]:
    w, d, s = cast.published["id"], cast.draft["id"], cast.session["id"]
    return {"host": "/host", "new": "/workshops/new", "edit": f"/workshops/{w}/edit",
            "edit_draft": f"/workshops/{d}/edit", "sessions": f"/workshops/{w}/sessions/new",
            "sessions_draft": f"/workshops/{d}/sessions/new", "reschedule": f"/sessions/{s}/edit",
            "cancel": f"/sessions/{s}/cancel", "feedback": f"/workshops/{w}/feedback",
            "feedback_draft": f"/workshops/{d}/feedback"}


# what each role gets: whoever may not see a draft is told it does not exist (404, as the API);
# whoever may see it but not do this is refused (403); organizers and admins may cancel a session
# and read feedback, only the host changes the workshop and reschedules
EXPECTED = {
    "participant": {"host": 200, "new": 200, "edit": 403, "edit_draft": 404, "sessions": 403,
                    "sessions_draft": 404, "reschedule": 403, "cancel": 403, "feedback": 403,
                    "feedback_draft": 404},
    "host": {name: 200 for name in ("host", "new", "edit", "edit_draft", "sessions", "sessions_draft",
                                    "reschedule", "cancel", "feedback", "feedback_draft")},
    "organizer": {"host": 200, "new": 200, "edit": 403, "edit_draft": 403, "sessions": 403,
                  "sessions_draft": 403, "reschedule": 403, "cancel": 200, "feedback": 200,
                  "feedback_draft": 200},
    "other_organizer": {"edit": 403, "edit_draft": 404, "cancel": 403, "feedback": 403, "feedback_draft": 404},
    "admin": {"host": 200, "edit": 403, "edit_draft": 403, "reschedule": 403, "cancel": 200, "feedback": 200,
              "feedback_draft": 200},
}


class TestWhoMaySeeWhat:
    async def test_a_visitor_is_sent_to_log_in_and_back(self, client, cast, settings):
        log_in(client, None, settings)
        for path in host_paths(cast).values():
            answer = await client.get(path, headers=BROWSER)
            assert answer.status_code == 303, path
            assert answer.headers["location"] == "/login?next=" + path.replace("/", "%2F"), path

    @pytest.mark.parametrize("role", sorted(EXPECTED))
    async def test_each_role(self, client, cast, settings, role):
        log_in(client, getattr(cast, role), settings)
        paths = host_paths(cast)
        for name, status in EXPECTED[role].items():
            answer = await client.get(paths[name], headers=BROWSER)
            html_page(answer, status)  # a page, never a 500
            if status == 404:
                assert "Secret draft" not in answer.text, name

    async def test_a_visitor_posting_changes_nothing(self, client, cast, settings):
        log_in(client, None, settings)
        answer = await client.post(f"/workshops/{cast.draft['id']}/submit", data={}, headers=BROWSER)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
        assert (await api_workshop(client, cast.host, cast.draft["id"]))["status"] == "draft"

    async def test_the_header_links_to_the_host_pages(self, client, cast, settings):
        log_in(client, cast.participant, settings)
        home = (await client.get("/host", headers=BROWSER)).text
        assert 'href="/host"' in home and 'href="/admin/communities"' not in home
        log_in(client, cast.admin, settings)
        home = (await client.get("/host", headers=BROWSER)).text
        assert 'href="/admin/communities"' in home and 'href="/organize/moderation"' in home


class TestCsrf:
    async def test_forms_without_the_token_are_refused(self, client, cast, settings):
        log_in(client, cast.host, settings)
        form = {"community": "belleville", "title": "Forged", "summary": "s", "category": "c",
                "venue_name": "v", "venue_address": "a", "payment": "free", "capacity": "5",
                "max_seats_per_booking": "2", "waitlist_mode": "auto", "offer_ttl_minutes": "60",
                "cancellation_deadline_hours": "24", "currency": "EUR"}
        for path in ("/workshops/new", f"/workshops/{cast.draft['id']}/submit",
                     f"/workshops/{cast.draft['id']}/edit", f"/sessions/{cast.session['id']}/cancel"):
            answer = await client.post(path, data={**form, "reason": "x"}, headers=BROWSER)
            assert answer.status_code == 403, path
            wrong = await client.post(path, data={**form, "reason": "x", "csrf_token": "0" * 64}, headers=BROWSER)
            assert wrong.status_code == 403, path
        mine = (await client.get("/api/v1/workshops?community=belleville")).json()
        assert "Forged" not in str(mine)
        assert (await api_workshop(client, cast.host, cast.draft["id"]))["status"] == "draft"
        session = (await client.get(f"/api/v1/sessions/{cast.session['id']}")).json()
        assert session["status"] == "scheduled"


# ------------------------------------------------------------------------------------ my workshops

class TestMyWorkshops:
    async def test_every_status_with_what_to_do_next(self, client, cast, settings):
        await make_workshop(host=cast.host, community=cast.community, title="Turned down", status="rejected",
                            rejection_reason="Too close to the other one", published_at=None)
        await make_workshop(host=cast.participant, community=cast.community, title="Not mine")
        log_in(client, cast.host, settings)
        page = html_page(await client.get("/host", headers=BROWSER))
        text = page.visible
        for expected in ("Bike repair", "Published: neighbours can book it.", "Secret draft",
                         "Draft: add sessions, then submit it for review.", "Turned down",
                         "Too close to the other one", "Next session: Tuesday, December 8, 2026, 10:00 AM"):
            assert expected in text, expected
        assert "Not mine" not in text and "Moderation queue" not in text
        assert text.count("Submit for review") == 2  # the draft and the rejected one

    async def test_the_next_session_s_seats_waitlist_and_roster(self, client, cast, settings):
        from tests.factories import make_booking_row, make_waitlist_row

        for seats in (2, 1):
            await make_booking_row(cast.session, seats=seats)
        await make_booking_row(cast.session, seats=3, status="cancelled")  # not counted
        for _ in range(2):
            await make_waitlist_row(cast.session)
        log_in(client, cast.host, settings)
        response = await client.get("/host", headers=BROWSER)
        text = html_page(response).visible
        assert "3 of 10 seats booked" in text and "2 on the waitlist" in text
        assert f'href="/sessions/{cast.session["id"]}/roster"' in response.text
        log_in(client, cast.host, settings, "fr")
        french = html_page(await client.get("/host", headers=FR)).visible
        assert "3 places réservées sur 10" in french and "2 en liste d’attente" in french

    async def test_the_page_costs_the_same_statements_for_one_workshop_and_for_six(self, client, cast, settings):
        from tests.factories import make_booking_row
        from tests.statements import counting

        log_in(client, cast.host, settings)

        async def statements() -> int:
            await client.get("/host", headers=BROWSER)
            with counting() as seen:
                html_page(await client.get("/host", headers=BROWSER))
            return seen.count

        before = await statements()
        for k in range(4):
            workshop = await make_workshop(host=cast.host, community=cast.community, title=f"More {k}")
            await make_booking_row(await make_session(workshop))
        assert (await client.get("/host", headers=BROWSER)).text.count("/roster\"") == 5
        assert await statements() == before

    async def test_an_organizer_finds_the_queue_from_here(self, client, cast, settings):
        log_in(client, cast.organizer, settings)
        page = html_page(await client.get("/host", headers=BROWSER))
        assert "You host no workshop yet" in page.visible and "Moderation queue" in page.visible

    async def test_in_french(self, client, cast, settings):
        log_in(client, cast.host, settings, "fr")
        page = html_page(await client.get("/host", headers=FR))
        for expected in ("Mes ateliers", "Proposer un atelier", "Modifier", "Ajouter des séances",
                         "mardi 8 décembre 2026"):
            assert expected in page.visible, expected


# ------------------------------------------------------------------------------- propose and edit

def full_form(**changes: str) -> dict[str, str]:
    form = {"community": "belleville", "title": "Sourdough at home", "summary": "Starter, dough, bake.",
            "description": "Bring a **jar**.", "category": "cooking", "tags": "bread, levain",
            "language": "fr", "venue_name": "Maison du quartier", "venue_address": "1 rue de la Paix",
            "venue_lat": "48,8721", "venue_lon": "2.3772", "online_url": "", "payment": "on_site",
            "price": "7.50", "currency": "eur", "capacity": "12", "max_seats_per_booking": "3",
            "waitlist_enabled": "on", "waitlist_mode": "offer", "offer_ttl_minutes": "90",
            "cancellation_deadline_hours": "48"}
    form.update(changes)
    return form


class TestPropose:
    async def test_paying_online_is_offered_only_where_the_site_takes_it(self, client, cast, settings, app):
        from dataclasses import replace

        log_in(client, cast.host, settings)
        without = await client.get("/workshops/new", headers=BROWSER)
        assert 'value="on_site"' in without.text and 'value="stripe"' not in without.text
        runtime = app.state.runtime
        runtime.settings = replace(settings, stripe_api_key="sk_test_x", stripe_webhook_secret="whsec_x")
        assert 'value="stripe"' in (await client.get("/workshops/new", headers=BROWSER)).text

    async def test_every_field_reaches_the_api(self, client, cast, settings):
        token = log_in(client, cast.host, settings)
        form = html_page(await client.get("/workshops/new", headers=BROWSER))
        assert "Propose a workshop" in form.title
        answer = await client.post("/workshops/new", data={**full_form(), "csrf_token": token}, headers=BROWSER)
        assert answer.status_code == 303
        workshop_id = int(re.fullmatch(r"/workshops/(\d+)", answer.headers["location"]).group(1))
        made = await api_workshop(client, cast.host, workshop_id)
        assert made["status"] == "draft" and made["host"]["id"] == cast.host["id"]
        assert made["community"] == "belleville" and made["title"] == "Sourdough at home"
        assert made["description"] == "Bring a **jar**." and made["tags"] == ["bread", "levain"]
        assert made["language"] == "fr" and made["category"] == "cooking"
        assert made["venue"] == {"name": "Maison du quartier", "address": "1 rue de la Paix",
                                 "lat": 48.8721, "lon": 2.3772}
        assert (made["payment"], made["price_cents"], made["currency"]) == ("on_site", 750, "eur")
        assert (made["capacity"], made["max_seats_per_booking"], made["cancellation_deadline_hours"]) == (12, 3, 48)
        assert made["waitlist"] == {"enabled": True, "mode": "offer", "offer_ttl_minutes": 90}
        shown = html_page(await client.get(answer.headers["location"], headers=BROWSER))
        assert "Your draft is saved" in shown.visible

    async def test_online_and_free_without_a_waitlist(self, client, cast, settings):
        token = log_in(client, cast.host, settings)
        form = full_form(venue_name="", venue_address="", venue_lat="", venue_lon="", payment="free",
                         price="99", online_url="https://meet.example.org/bread", waitlist_enabled="")
        del form["waitlist_enabled"]
        answer = await client.post("/workshops/new", data={**form, "csrf_token": token}, headers=BROWSER)
        made = await api_workshop(client, cast.host, int(answer.headers["location"].rsplit("/", 1)[1]))
        assert made["venue"] is None and made["online_url"] == "https://meet.example.org/bread"
        assert (made["payment"], made["price_cents"]) == ("free", 0)  # a free workshop's price is not read
        assert made["waitlist"]["enabled"] is False

    async def test_messages_next_to_each_field_and_a_summary(self, client, cast, settings):
        token = log_in(client, cast.host, settings)
        form = full_form(title=" ", capacity="many", price="", venue_name="", venue_address="", venue_lat="12",
                         venue_lon="", online_url="ftp://example.org", category="other", category_other="x" * 41,
                         currency="zzz")
        answer = await client.post("/workshops/new", data={**form, "csrf_token": token}, headers=BROWSER)
        page = html_page(answer, 400)
        assert page.title.startswith("Error:") and "There is a problem" in page.visible
        assert error_ids(answer.text) >= {"capacity", "price"}  # not numbers: told before the API is asked
        form["capacity"], form["price"] = "12", "7.50"
        answer = await client.post("/workshops/new", data={**form, "csrf_token": token}, headers=BROWSER)
        page = html_page(answer, 400)
        # the API's errors[].field, mapped to the form's fields
        assert error_ids(answer.text) == {"title", "category_other", "venue_name", "venue_address", "venue_lon",
                                          "online_url", "currency"}
        for name in ("title", "category_other", "venue_name", "online_url", "currency"):
            assert f'href="#{name}"' in answer.text
            assert re.search(rf'id="{name}"[^>]*aria-describedby="[^"]*{name}-error"', answer.text), name
        assert "Enter a web address starting with https://." in page.visible
        assert 'value="ftp://example.org"' in answer.text and "x" * 41 in answer.text  # values kept
        assert '<option value="belleville" selected>' in answer.text
        assert (await client.get("/api/v1/workshops?community=belleville")).json()["total"] == 1

    async def test_a_place_is_required(self, client, cast, settings):
        token = log_in(client, cast.host, settings)
        form = full_form(venue_name="", venue_address="", venue_lat="", venue_lon="", online_url="")
        answer = await client.post("/workshops/new", data={**form, "csrf_token": token}, headers=BROWSER)
        assert "Give a venue (its name and address) or an online link." in html_page(answer, 400).visible
        assert error_ids(answer.text) == {"venue_name"}

    async def test_online_payment_without_stripe_is_told_on_the_payment_field(self, client, cast, settings):
        token = log_in(client, cast.host, settings)
        answer = await client.post("/workshops/new", data={**full_form(payment="stripe"), "csrf_token": token},
                                   headers=BROWSER)
        assert "takes no online payments" in html_page(answer, 400).visible
        assert error_ids(answer.text) == {"payment"}

    async def test_the_form_in_french(self, client, cast, settings):
        token = log_in(client, cast.host, settings, "fr")
        assert "Proposer un atelier" in html_page(await client.get("/workshops/new", headers=FR)).title
        answer = await client.post("/workshops/new", data={**full_form(title=""), "csrf_token": token}, headers=FR)
        page = html_page(answer, 400)
        assert "Il y a un problème" in page.visible and "Indiquez un titre" in page.visible


class TestEdit:
    async def test_the_form_is_filled_in_and_only_changes_are_sent(self, client, cast, settings, runtime):
        token = log_in(client, cast.host, settings)
        page = await client.get(f"/workshops/{cast.published['id']}/edit", headers=BROWSER)
        html_page(page)
        assert 'value="Bike repair"' in page.text and 'value="Brakes, gears, tyres."' in page.text
        current = await api_workshop(client, cast.host, cast.published["id"])
        form = full_form(title=current["title"], summary=current["summary"], description=current["description"],
                         category=current["category"], tags="bike", language="en",
                         venue_name=current["venue"]["name"], venue_address=current["venue"]["address"],
                         venue_lat=str(current["venue"]["lat"]), venue_lon=str(current["venue"]["lon"]),
                         payment="free", price="", currency="EUR", capacity="25", max_seats_per_booking="4",
                         waitlist_mode="auto", offer_ttl_minutes="60", cancellation_deadline_hours="24")
        answer = await client.post(f"/workshops/{cast.published['id']}/edit", data={**form, "csrf_token": token},
                                   headers=BROWSER)
        assert answer.status_code == 303
        after = await api_workshop(client, cast.host, cast.published["id"])
        assert after["capacity"] == 25 and after["status"] == "published"  # not content: still public
        form["title"] = "Bike repair for beginners"
        answer = await client.post(f"/workshops/{cast.published['id']}/edit", data={**form, "csrf_token": token},
                                   headers=BROWSER)
        after = await api_workshop(client, cast.host, cast.published["id"])
        assert after["title"] == "Bike repair" and after["status"] == "published"  # still the published one
        assert after["pending_revision"]["proposed"] == {"title": "Bike repair for beginners"}
        shown = html_page(await client.get(answer.headers["location"], headers=BROWSER))
        assert "the published version stays open for booking" in shown.visible
        # the form starts from the revision, and saving it again keeps it
        page = await client.get(f"/workshops/{cast.published['id']}/edit", headers=BROWSER)
        html_page(page)
        assert 'value="Bike repair for beginners"' in page.text
        form["capacity"] = "26"
        await client.post(f"/workshops/{cast.published['id']}/edit", data={**form, "csrf_token": token},
                          headers=BROWSER)
        after = await api_workshop(client, cast.host, cast.published["id"])
        assert after["capacity"] == 26 and after["pending_revision"]["fields"] == ["title"]

    async def test_a_refused_edit_keeps_what_was_typed(self, client, cast, settings):
        token = log_in(client, cast.host, settings)
        form = full_form(title="", summary="A new summary")
        answer = await client.post(f"/workshops/{cast.draft['id']}/edit", data={**form, "csrf_token": token},
                                   headers=BROWSER)
        html_page(answer, 400)
        assert error_ids(answer.text) == {"title"} and 'value="A new summary"' in answer.text
        assert (await api_workshop(client, cast.host, cast.draft["id"]))["summary"] == "Brakes, gears, tyres."


class TestSubmit:
    async def test_a_draft_goes_to_review_once(self, client, cast, settings):
        token = log_in(client, cast.host, settings)
        answer = await client.post(f"/workshops/{cast.draft['id']}/submit", data={"csrf_token": token},
                                   headers=BROWSER)
        assert answer.status_code == 303
        assert (await api_workshop(client, cast.host, cast.draft["id"]))["status"] == "submitted"
        assert "an organizer will review it" in html_page(await client.get(answer.headers["location"],
                                                                            headers=BROWSER)).visible
        again = await client.post(f"/workshops/{cast.draft['id']}/submit", data={"csrf_token": token},
                                  headers=BROWSER)
        assert again.status_code == 303  # invalid-state: a message, not an error page
        assert "Only a draft or a rejected workshop" in html_page(await client.get(again.headers["location"],
                                                                                    headers=BROWSER)).visible

    async def test_someone_else_cannot(self, client, cast, settings):
        token = log_in(client, cast.participant, settings)
        answer = await client.post(f"/workshops/{cast.draft['id']}/submit", data={"csrf_token": token},
                                   headers=BROWSER)
        html_page(answer, 404)
        assert (await api_workshop(client, cast.host, cast.draft["id"]))["status"] == "draft"


# ------------------------------------------------------------------------------------- sessions

def session_form(**changes: str) -> dict[str, str]:
    form = {"date": "2026-12-14", "time": "18:30", "duration": "90", "timezone": "Europe/Paris",
            "capacity": "", "repeat": "none", "interval": "1", "end": "count", "count": "4", "until": ""}
    form.update(changes)
    return form


async def sessions_of(client, user, workshop_id: int) -> list[dict[str, Any]]:
    return (await api_workshop(client, user, workshop_id))["sessions"]


class TestAddSessions:
    async def test_one_date(self, client, cast, settings):
        token = log_in(client, cast.host, settings)
        html_page(await client.get(f"/workshops/{cast.draft['id']}/sessions/new", headers=BROWSER))
        answer = await client.post(f"/workshops/{cast.draft['id']}/sessions/new",
                                   data={**session_form(capacity="6"), "csrf_token": token}, headers=BROWSER)
        assert answer.status_code == 303 and answer.headers["location"] == f"/workshops/{cast.draft['id']}"
        [made] = await sessions_of(client, cast.host, cast.draft["id"])
        assert made["starts_at"] == "2026-12-14T18:30:00+01:00" and made["ends_at"] == "2026-12-14T20:00:00+01:00"
        assert made["capacity"] == 6 and made["timezone"] == "Europe/Paris"

    async def test_weekly_on_chosen_days_n_times(self, client, cast, settings):
        token = log_in(client, cast.host, settings)
        form = {**session_form(repeat="weekly", interval="2", count="4"), "csrf_token": token}
        answer = await client.post(f"/workshops/{cast.draft['id']}/sessions/new",
                                   data={**form, "weekdays": ["MO", "TH"]}, headers=BROWSER)
        assert answer.status_code == 303, answer.text
        starts = [s["starts_at"] for s in await sessions_of(client, cast.host, cast.draft["id"])]
        # Monday 14th, Thursday 17th, then every other week
        assert starts == ["2026-12-14T18:30:00+01:00", "2026-12-17T18:30:00+01:00",
                          "2026-12-28T18:30:00+01:00", "2026-12-31T18:30:00+01:00"]

    async def test_monthly_on_the_same_day_until_a_date(self, client, cast, settings):
        token = log_in(client, cast.host, settings)
        form = session_form(date="2027-01-15", time="10:00", repeat="monthly", end="until", until="2027-04-15")
        answer = await client.post(f"/workshops/{cast.draft['id']}/sessions/new", data={**form, "csrf_token": token},
                                   headers=BROWSER)
        assert answer.status_code == 303, answer.text
        starts = [s["starts_at"] for s in await sessions_of(client, cast.host, cast.draft["id"])]
        assert starts == ["2027-01-15T10:00:00+01:00", "2027-02-15T10:00:00+01:00", "2027-03-15T10:00:00+01:00",
                          "2027-04-15T10:00:00+02:00"]  # 10:00 in Paris across the change of time

    async def test_the_api_s_caps_are_told_next_to_their_field(self, client, cast, settings):
        token = log_in(client, cast.host, settings)
        path = f"/workshops/{cast.draft['id']}/sessions/new"
        too_many = await client.post(path, data={**session_form(repeat="weekly", count="60"), "csrf_token": token},
                                     headers=BROWSER)
        page = html_page(too_many, 400)
        assert error_ids(too_many.text) == {"count"} and "at most 52 sessions" in page.visible
        assert 'value="60"' in too_many.text  # kept
        far = await client.post(path, data={**session_form(repeat="monthly", end="until", until="2040-01-01"),
                                            "csrf_token": token}, headers=BROWSER)
        assert error_ids(far.text) == {"until"} and "within the next 10 years" in html_page(far, 400).visible
        past = await client.post(path, data={**session_form(date="2026-11-30"), "csrf_token": token}, headers=BROWSER)
        assert error_ids(past.text) == {"date"} and "in the future" in html_page(past, 400).visible
        wrong = await client.post(path, data={**session_form(date="soon", time="", duration="0", timezone="Mars/Base"),
                                              "csrf_token": token}, headers=BROWSER)
        assert error_ids(wrong.text) == {"date", "time"}
        zone = await client.post(path, data={**session_form(timezone="Mars/Base"), "csrf_token": token},
                                 headers=BROWSER)
        assert error_ids(zone.text) == {"timezone"}
        assert await sessions_of(client, cast.host, cast.draft["id"]) == []

    async def test_in_french(self, client, cast, settings):
        token = log_in(client, cast.host, settings, "fr")
        path = f"/workshops/{cast.draft['id']}/sessions/new"
        assert "Ajouter des séances" in html_page(await client.get(path, headers=FR)).title
        answer = await client.post(path, data={**session_form(repeat="weekly", count="60"), "csrf_token": token},
                                   headers=FR)
        assert "52 séances au plus" in html_page(answer, 400).visible


# ------------------------------------------------------------------------- reschedule and cancel

@pytest.fixture
async def crowd(cast) -> dict[str, Any]:
    """Two confirmed bookings, a cancelled one and a waitlist entry on the cast's session."""
    session = cast.session
    booked = [await make_booking_row(session, seats=2), await make_booking_row(session)]
    await make_booking_row(session, status="cancelled")
    await make_waitlist_row(session)
    return {"booked": booked}


class TestReschedule:
    async def test_says_who_is_told_then_moves_the_session(self, client, cast, settings, crowd):
        token = log_in(client, cast.host, settings)
        path = f"/sessions/{cast.session['id']}/edit"
        page = html_page(await client.get(path, headers=BROWSER))
        assert "2 people who booked will be sent the new time." in page.visible
        answer = await client.post(path, data={"date": "2026-12-09", "time": "19:00", "duration": "60",
                                               "timezone": "Europe/Paris", "capacity": "10", "csrf_token": token},
                                   headers=BROWSER)
        assert answer.status_code == 303
        session = (await client.get(f"/api/v1/sessions/{cast.session['id']}")).json()
        assert session["starts_at"] == "2026-12-09T19:00:00+01:00" and session["ends_at"] == "2026-12-09T20:00:00+01:00"
        assert session["sequence"] == 1

    async def test_a_capacity_below_the_bookings_is_told_on_its_field(self, client, cast, settings, crowd):
        token = log_in(client, cast.host, settings)
        form = {"date": "2026-12-08", "time": "10:00", "duration": "120", "timezone": "Europe/Paris",
                "capacity": "2", "csrf_token": token}
        answer = await client.post(f"/sessions/{cast.session['id']}/edit", data=form, headers=BROWSER)
        assert "More seats are already taken" in html_page(answer, 400).visible
        assert error_ids(answer.text) == {"capacity"}
        assert (await client.get(f"/api/v1/sessions/{cast.session['id']}")).json()["capacity"] == 10

    async def test_in_french(self, client, cast, settings, crowd):
        log_in(client, cast.host, settings, "fr")
        page = html_page(await client.get(f"/sessions/{cast.session['id']}/edit", headers=FR))
        assert "2 personnes" in page.visible and "mardi 8 décembre 2026" in page.visible


class TestCancelSession:
    async def test_says_who_is_told_asks_a_reason_then_cancels(self, client, cast, settings, crowd):
        token = log_in(client, cast.host, settings)
        path = f"/sessions/{cast.session['id']}/cancel"
        page = html_page(await client.get(path, headers=BROWSER))
        assert "3 people will be told" in page.visible and "2 bookings, 1 on the waitlist" in page.visible
        blank = await client.post(path, data={"reason": "  ", "csrf_token": token}, headers=BROWSER)
        assert error_ids(blank.text) == {"reason"} and "There is a problem" in html_page(blank, 400).visible
        done = await client.post(path, data={"reason": "The room is flooded", "csrf_token": token}, headers=BROWSER)
        assert done.status_code == 303 and done.headers["location"] == f"/workshops/{cast.published['id']}"
        assert (await client.get(f"/api/v1/sessions/{cast.session['id']}")).json()["status"] == "cancelled"
        again = await client.post(path, data={"reason": "Twice", "csrf_token": token}, headers=BROWSER)
        assert "can no longer be changed" in html_page(again, 409).visible

    async def test_an_organizer_may_cancel(self, client, cast, settings):
        token = log_in(client, cast.organizer, settings)
        done = await client.post(f"/sessions/{cast.session['id']}/cancel", data={"reason": "Strike",
                                                                                  "csrf_token": token},
                                 headers=BROWSER)
        assert done.status_code == 303
        assert (await client.get(f"/api/v1/sessions/{cast.session['id']}")).json()["status"] == "cancelled"


# ------------------------------------------------------------------------------------- feedback

class TestFeedback:
    async def test_the_host_reads_ratings_and_comments(self, client, cast, settings):
        from booking.tables import Feedback

        past = await make_session(cast.published, starts_at=dt.datetime(2026, 11, 20, 13, tzinfo=UTC))
        for rating, comment in ((5, "Loved it"), (4, ""), (3, "Too short")):
            booking = await make_booking_row(past)
            await Feedback.insert(Feedback(booking=booking["id"], rating=rating, comment=comment))
        log_in(client, cast.host, settings)
        page = html_page(await client.get(f"/workshops/{cast.published['id']}/feedback", headers=BROWSER))
        assert "Rated 4.0 out of 5 (3 ratings)" in page.visible
        assert "Loved it" in page.visible and "Too short" in page.visible
        assert "Session of Friday, November 20, 2026" in page.visible
        log_in(client, cast.host, settings, "fr")
        french = html_page(await client.get(f"/workshops/{cast.published['id']}/feedback", headers=FR))
        assert "Noté 4,0 sur 5" in french.visible and "vendredi 20 novembre 2026" in french.visible

    async def test_an_organizer_hides_a_comment_from_the_host_and_shows_it_again(self, client, cast, settings):
        from booking.tables import Feedback

        past = await make_session(cast.published, starts_at=dt.datetime(2026, 11, 20, 13, tzinfo=UTC))
        booking = await make_booking_row(past)
        await Feedback.insert(Feedback(booking=booking["id"], rating=1, comment="Abusive words"))
        (row,) = await Feedback.select(Feedback.id)
        path = f"/workshops/{cast.published['id']}/feedback"
        host_token = log_in(client, cast.host, settings)
        assert "Hide this comment" not in html_page(await client.get(path, headers=BROWSER)).visible
        refused = await client.post(f"{path}/{row['id']}", data={"action": "hide", "csrf_token": host_token},
                                    headers=BROWSER)
        assert refused.status_code == 403
        token = log_in(client, cast.organizer, settings)
        assert "Hide this comment" in html_page(await client.get(path, headers=BROWSER)).visible
        done = await client.post(f"{path}/{row['id']}", data={"action": "hide", "csrf_token": token},
                                 headers=BROWSER)
        assert done.status_code == 303 and done.headers["location"] == path
        hidden = await Feedback.select(Feedback.hidden_at, Feedback.hidden_by).first()
        assert hidden["hidden_at"] is not None and hidden["hidden_by"] == cast.organizer["id"]  # the audit
        organizer_view = html_page(await client.get(path, headers=BROWSER)).visible
        assert "Abusive words" in organizer_view and "Show this comment again" in organizer_view
        log_in(client, cast.host, settings)
        host_view = html_page(await client.get(path, headers=BROWSER)).visible
        assert "Abusive words" not in host_view and "An organizer hid this comment." in host_view
        token = log_in(client, cast.organizer, settings)
        await client.post(f"{path}/{row['id']}", data={"action": "show", "csrf_token": token}, headers=BROWSER)
        log_in(client, cast.host, settings)
        assert "Abusive words" in html_page(await client.get(path, headers=BROWSER)).visible
        forged = await client.post(f"{path}/{row['id']}", data={"action": "hide"}, headers=BROWSER)
        assert forged.status_code == 403  # no CSRF token

    async def test_none_yet(self, client, cast, settings):
        log_in(client, cast.host, settings)
        page = html_page(await client.get(f"/workshops/{cast.draft['id']}/feedback", headers=BROWSER))
        assert "No feedback yet" in page.visible


# -------------------------------------------------------------------------- description rendering

class TestDescription:
    async def test_markdown_is_rendered_and_sanitised(self, client, cast):
        description = ("# Bring\n\n**Tools** and *gloves*.\n\n- a pump\n- a spanner\n\n"
                       "<script>alert('x')</script>\n\n[a trap](javascript:alert(1)) "
                       "<a href=\"javascript:alert(2)\">raw</a> [our site](https://example.org/a) "
                       "<img src=x onerror=alert(3)>")
        workshop = await make_workshop(host=cast.host, community=cast.community, description=description)
        answer = await client.get(f"/workshops/{workshop['id']}", headers=BROWSER)
        html_page(answer)
        body = answer.text.split('class="description"', 1)[1].split("</div>", 1)[0]
        assert "<h3>Bring</h3>" in body and "<strong>Tools</strong>" in body and "<em>gloves</em>" in body
        assert "<li>a pump</li>" in body
        # typed HTML stays text; a javascript: link is no link
        assert "<script" not in body and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in body.replace("'", "&#39;")
        assert "<a href=\"javascript" not in body and "[a trap](javascript:alert(1))" in body
        assert "<img" not in body and "&lt;img src=x onerror=alert(3)&gt;" in body
        assert '<a href="https://example.org/a" rel="nofollow noopener noreferrer">our site</a>' in body

    async def test_rendered_when_saved_never_per_view(self, client, cast, monkeypatch):
        from workshops import text

        created = await client.post("/api/v1/workshops", headers=auth(cast.host), json={
            "community": "belleville", "title": "Sourdough", "summary": "Bread.", "category": "food",
            "description": "**Flour** and water.", "venue": {"name": "Hall", "address": "1 rue X"},
            "payment": "free", "capacity": 5})
        assert created.status_code == 201, created.text
        workshop_id = created.json()["id"]
        await client.patch(f"/api/v1/workshops/{workshop_id}", headers=auth(cast.host),
                           json={"description": "*Rye* too."})

        def no_rendering_here(description):
            raise AssertionError("a view rendered the description")

        monkeypatch.setattr(text, "render_description", no_rendering_here)
        log_in_as = {"alveole_session": cast.host["token"]}
        client.cookies.update(log_in_as)
        answer = await client.get(f"/workshops/{workshop_id}", headers=BROWSER)
        body = answer.text.split('class="description"', 1)[1].split("</div>", 1)[0]
        assert "<em>Rye</em> too." in body and "Flour" not in body
        # a change of something else keeps the rendering
        await client.patch(f"/api/v1/workshops/{workshop_id}", headers=auth(cast.host), json={"capacity": 6})
        assert "<em>Rye</em> too." in (await client.get(f"/workshops/{workshop_id}", headers=BROWSER)).text

    def test_the_sanitiser_alone(self):
        from workshops.text import render_description as description_html

        # what markdown-it lets through never holds a script or a javascript: link
        for text in ("<script>alert(1)</script>", "[x](javascript:alert(1))", "[x](JAVASCRIPT:alert(1))",
                     "<a href='javascript:alert(1)'>x</a>", "[x](data:text/html;base64,PHNjcmlwdD4=)"):
            html = str(description_html(text)).lower()
            assert "<script" not in html and 'href="javascript' not in html and 'href="data' not in html, text


class TestCategories:
    """Categories come from a short list of stable keys shown in the page's language, with
    "Other" and a free text; the API keeps `category` free text (a key or the host's words)."""

    async def test_the_form_offers_the_list_in_both_languages(self, client, cast, settings):
        log_in(client, cast.host, settings)
        page = await client.get("/workshops/new", headers=BROWSER)
        html_page(page)
        select = re.search(r'<select id="category" name="category".*?</select>', page.text, re.DOTALL)
        assert select, "no category list"
        values = re.findall(r'<option value="([^"]*)"', select.group(0))
        assert {"cooking", "repair", "gardening", "digital", "other"} <= set(values)
        assert values[-1] == "other" and 'id="category_other"' in page.text
        log_in(client, cast.host, settings, language="fr")
        french = await client.get("/workshops/new", headers=BROWSER)
        assert ">Cuisine</option>" in french.text and ">Réparation</option>" in french.text

    async def test_other_keeps_the_host_s_words(self, client, cast, settings):
        token = log_in(client, cast.host, settings)
        answer = await client.post("/workshops/new", data={**full_form(category="other", category_other=" Upcycling "),
                                                          "csrf_token": token}, headers=BROWSER)
        assert answer.status_code == 303, answer.text
        made = await api_workshop(client, cast.host, int(answer.headers["location"].rsplit("/", 1)[1]))
        assert made["category"] == "Upcycling"
        edit = await client.get(f"/workshops/{made['id']}/edit", headers=BROWSER)
        assert '<option value="other" selected>' in edit.text and 'value="Upcycling"' in edit.text

    async def test_other_without_words_is_refused_at_its_field(self, client, cast, settings):
        token = log_in(client, cast.host, settings)
        answer = await client.post("/workshops/new", data={**full_form(category="other", category_other=""),
                                                          "csrf_token": token}, headers=BROWSER)
        html_page(answer, 400)
        assert "category_other" in error_ids(answer.text)

    async def test_the_home_filter_offers_the_list_and_cards_say_it_in_french(self, client, cast, settings):
        log_in(client, None, settings, language="fr")
        page = await client.get("/?community=belleville", headers=BROWSER)
        html_page(page)
        select = re.search(r'<select id="category" name="category">.*?</select>', page.text, re.DOTALL)
        assert select and 'value="repair"' in select.group(0) and ">Réparation</option>" in select.group(0)
        assert '<span class="tag">Réparation</span>' in page.text  # the published workshop's "repair"


async def test_a_draft_s_status_is_said_in_french(client, cast, settings):
    log_in(client, cast.host, settings, "fr")
    page = html_page(await client.get(f"/workshops/{cast.draft['id']}", headers=FR))
    assert "Cet atelier n'est pas public (brouillon)." in page.visible
