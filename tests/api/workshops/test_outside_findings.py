"""Regression tests for what outside testing found in workshops, over HTTP: unbounded RRULE
expansion (1), far-future sessions and the unbounded community feed (2, 17), RRULE and text
looseness and `q` matching JSON punctuation (15), edits that skip moderation (6), and drafts
and host ids that leak (13). The workshop page (7) is in test_pages.py."""
from __future__ import annotations

import datetime as dt
import time

import pytest
import vobject
from icalendar import Calendar

from kernel.events import RecordingNotifier
from tests.api.workshops.test_workshops import WORKSHOPS, bad_fields, create, problem
from tests.factories import auth, make_booking_row, make_community, make_session, make_user, make_workshop
from workshops import recurrence, rules, service
from workshops.tables import Workshop, WorkshopSession

UTC = dt.timezone.utc


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def sessions_url(workshop) -> str:
    return f"{WORKSHOPS}/{workshop['id']}/sessions"


def in_paris(rrule: str, **overrides) -> dict:
    body = {"starts_at": "2027-01-10T10:00:00", "ends_at": "2027-01-10T12:00:00", "timezone": "Europe/Paris",
            "rrule": rrule}
    body.update(overrides)
    return body


@pytest.fixture
def walks(monkeypatch) -> list[recurrence.Walk]:
    """Every bounded walk an expansion makes, to read how much it examined."""
    seen: list[recurrence.Walk] = []
    original = recurrence.walk

    def recording(rule, bounds):
        seen.append(bounds)
        return original(rule, bounds)

    monkeypatch.setattr(recurrence, "walk", recording)
    return seen


class TestRruleWorkIsBounded:
    """Finding 1: one request froze the server for 9 s expanding a rule with no occurrence."""

    async def test_the_reported_rule_is_a_400_naming_rrule(self, client, cast):
        workshop = await create(client, cast.host)
        response = await client.post(sessions_url(workshop), headers=auth(cast.host),
                                     json=in_paris("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"))
        assert bad_fields(response) == ["rrule"]
        assert await WorkshopSession.count() == 0

    @pytest.mark.parametrize("rule", [
        "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=1",
        "FREQ=HOURLY;BYSETPOS=2;COUNT=5", "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=31;UNTIL=20360101",
    ])
    async def test_rules_with_few_or_no_occurrences_stop_within_the_candidate_budget(
            self, client, cast, walks, rule):
        workshop = await create(client, cast.host)
        started = time.perf_counter()
        response = await client.post(sessions_url(workshop), headers=auth(cast.host), json=in_paris(rule))
        print(f"{rule}: {(time.perf_counter() - started) * 1000:.0f} ms")  # for the record only
        assert bad_fields(response) == ["rrule"]
        [walk] = walks
        assert 0 < walk.examined <= rules.RRULE_MAX_CANDIDATES + 1
        # nothing after the 10-year horizon (from the test clock's now) is looked at
        assert walk.last_day <= (dt.datetime(2026, 12, 1, 9, tzinfo=UTC) + rules.SESSION_MAX_AHEAD).date()

    async def test_health_is_not_part_of_it(self, client, cast, walks):
        workshop = await create(client, cast.host)
        response = await client.post(sessions_url(workshop), headers=auth(cast.host),
                                     json=in_paris("FREQ=WEEKLY;COUNT=4"))
        assert response.status_code == 201 and walks[0].examined < 100
        assert (await client.get("/health")).json() == {"status": "ok"}


class TestFarFutureSessions:
    """Finding 2: the 10-year limit was checked on the first occurrence only."""

    @pytest.mark.parametrize("rule", ["FREQ=YEARLY;INTERVAL=400;COUNT=20", "FREQ=YEARLY;COUNT=12",
                                      "FREQ=MONTHLY;INTERVAL=60;COUNT=3", "FREQ=YEARLY;UNTIL=20500101"])
    async def test_every_occurrence_obeys_the_horizon(self, client, cast, rule):
        workshop = await create(client, cast.host)
        response = await client.post(sessions_url(workshop), headers=auth(cast.host), json=in_paris(rule))
        assert bad_fields(response) == ["rrule"]
        assert "10 years" in response.json()["detail"]
        assert await WorkshopSession.count() == 0

    async def test_ten_yearly_sessions_still_fit(self, client, cast):
        workshop = await create(client, cast.host)
        response = await client.post(sessions_url(workshop), headers=auth(cast.host),
                                     json=in_paris("FREQ=YEARLY;COUNT=10"))
        assert response.status_code == 201 and response.json()["total"] == 10


class TestRruleStrictness:
    """Finding 15: INTERVAL=0, COUNT with UNTIL, and silent cuts at 52."""

    @pytest.mark.parametrize("rule,says", [
        ("FREQ=WEEKLY;INTERVAL=0;COUNT=52", "INTERVAL"),
        ("FREQ=WEEKLY;COUNT=4;UNTIL=20270301", "COUNT or UNTIL"),
        ("FREQ=WEEKLY;COUNT=100", "52"),
        ("FREQ=DAILY;UNTIL=20270601", "52"),
        ("FREQ=DAILY", "52"),
    ])
    async def test_refused_naming_rrule_and_why(self, client, cast, rule, says):
        workshop = await create(client, cast.host)
        response = await client.post(sessions_url(workshop), headers=auth(cast.host), json=in_paris(rule))
        assert bad_fields(response) == ["rrule"]
        assert says in response.json()["detail"]
        assert await WorkshopSession.count() == 0

    async def test_the_rules_are_documented(self, client):
        schema = (await client.get("/schema/openapi.json")).json()
        text = schema["paths"]["/api/v1/workshops/{workshop_id}/sessions"]["post"]["description"]
        assert "COUNT or UNTIL" in text and "10 years" in text and "never cut" in text


class TestCommunityFeedIsBounded:
    """Finding 2 (the feed) and 17 (ORGANIZER in METHOD:PUBLISH events)."""

    async def test_window_vtimezones_and_organizer(self, client, cast):
        bike = await make_workshop(host=cast.host, community=cast.community, title="Bike repair")
        too_old = await make_session(bike, starts_at=at(2026, 10, 20, 13))  # ended 42 days ago
        recent = await make_session(bike, starts_at=at(2026, 11, 10, 13))  # 21 days ago
        soon = await make_session(bike, starts_at=at(2026, 12, 5, 13))
        in_eleven_months = await make_session(bike, starts_at=at(2027, 11, 2, 13))
        await make_session(bike, starts_at=at(2028, 6, 1, 12))  # beyond a year
        await make_session(bike, starts_at=at(2036, 6, 1, 12))
        await make_session(bike, starts_at=at(9627, 1, 10, 9))  # as the old rule check let in

        response = await client.get("/api/v1/communities/belleville/calendar.ics")
        assert response.status_code == 200
        cal = Calendar.from_ical(response.text)
        events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
        assert set(events) == {f"session-{s['id']}@alveole" for s in (recent, soon, in_eleven_months)}
        assert f"session-{too_old['id']}@alveole" not in events

        # VTIMEZONE transitions cover the feed's dates, not the centuries up to the last session
        moments = []
        for observance in cal.walk("STANDARD") + cal.walk("DAYLIGHT"):
            moments.append(observance.decoded("DTSTART"))
            rdates = observance.get("RDATE", [])
            for rdate in rdates if isinstance(rdates, list) else [rdates]:
                moments.extend(period.dt for period in rdate.dts)
        assert moments and max(m.year for m in moments) <= 2028
        assert len(response.content) < 20_000

        for event in events.values():
            organizer = event["ORGANIZER"]
            # the host's name, the instance's address: a public feed publishes no host's email
            assert str(organizer) == "mailto:noreply@localhost"
            assert organizer.params["CN"] == "Amina"
            assert cast.host["email"] not in response.text
        assert all(not component.errors for component in cal.walk())
        parsed = vobject.readOne(response.text, validate=True)
        for vevent in parsed.vevent_list:
            assert vevent.organizer.value == "mailto:noreply@localhost"
            assert vevent.organizer.params["CN"] == ["Amina"]

    async def test_the_feed_holds_at_most_its_count(self, client, cast, monkeypatch):
        monkeypatch.setattr(service, "FEED_MAX_EVENTS", 2)
        bike = await make_workshop(host=cast.host, community=cast.community)
        made = [await make_session(bike, starts_at=dt.datetime(2026, 12, day, 13, tzinfo=UTC)) for day in (9, 3, 6)]
        cal = Calendar.from_ical((await client.get("/api/v1/communities/belleville/calendar.ics")).text)
        assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [
            f"session-{made[1]['id']}@alveole", f"session-{made[2]['id']}@alveole"]  # the soonest

    async def test_an_erased_host_is_named_without_an_address_of_theirs(self, client, cast):
        from accounts.tables import User

        gone = await make_user(display_name="Ghost")
        workshop = await make_workshop(host=gone, community=cast.community)
        await make_session(workshop)
        await User.update({User.display_name: "Former member", User.email: "erased-1@invalid",
                           User.deleted_at: dt.datetime(2026, 11, 30, tzinfo=UTC)}).where(User.id == gone["id"])
        [event] = Calendar.from_ical((await client.get("/api/v1/communities/belleville/calendar.ics")).text
                                     ).walk("VEVENT")
        assert str(event["ORGANIZER"]) == "mailto:noreply@localhost"
        assert event["ORGANIZER"].params["CN"] == "Former member"

    async def test_the_window_is_documented(self, client):
        schema = (await client.get("/schema/openapi.json")).json()
        text = schema["paths"]["/api/v1/communities/{slug}/calendar.ics"]["get"]["description"]
        assert "30 days" in text and "365 days" in text and "1000" in text


class TestTextLooseness:
    """Finding 15: control characters, bidi overrides and invisible values in one-line fields."""

    @pytest.mark.parametrize("overrides,field", [
        ({"title": "FREE iPhone\r\nclaim now"}, "title"),
        ({"title": "\u200b"}, "title"),
        ({"title": "Invoice \u202efdp.exe"}, "title"),
        ({"summary": "One\u2066two"}, "summary"),
        ({"category": "repair\x1b[31m"}, "category"),
        ({"tags": ["bike", "a\nb"]}, "tags[1]"),
        ({"tags": ["\u200b\u200c"]}, "tags[0]"),
        ({"venue": {"name": "Hall\u0085", "address": "1 rue X"}}, "venue.name"),
        ({"venue": {"name": "Hall", "address": "1 rue X\n75011 Paris"}}, "venue.address"),
        ({"description": "Fine\nbut \u202ereversed"}, "description"),
    ])
    async def test_create_refuses_naming_the_field(self, client, cast, overrides, field):
        from tests.api.workshops.conftest import workshop_body

        response = await client.post(WORKSHOPS, json=workshop_body(**overrides), headers=auth(cast.host))
        assert bad_fields(response) == [field]

    async def test_patch_too_and_the_description_keeps_its_lines(self, client, cast):
        workshop = await create(client, cast.host)
        url = f"{WORKSHOPS}/{workshop['id']}"
        assert bad_fields(await client.patch(url, headers=auth(cast.host), json={"title": "a\tb"})) == ["title"]
        response = await client.patch(url, headers=auth(cast.host), json={"description": "# Plan\n\n- tyres\r\n- brakes"})
        assert response.status_code == 200 and response.json()["description"] == "# Plan\n\n- tyres\r\n- brakes"


class TestSearchInTags:
    """Finding 15: `q` matched the JSON text of tags, so `"`, `,` or `[` matched every tagged workshop."""

    @pytest.mark.parametrize("q", ['"', ",", "[", "]", '", "', "\\"])
    async def test_json_punctuation_matches_nothing(self, client, cast, q):
        texts = {"title": "Bike repair", "summary": "Brakes and gears", "description": "Bring it"}
        await make_workshop(host=cast.host, community=cast.community, tags=["bike", "vélo"], **texts)
        await make_workshop(host=cast.host, community=cast.community, tags=["bread"], **texts)
        body = (await client.get(WORKSHOPS, params={"q": q})).json()
        assert body["total"] == 0 and body["items"] == []

    async def test_tag_values_still_match(self, client, cast):
        bike = await make_workshop(host=cast.host, community=cast.community, title="Wheels", summary="x",
                                   description="", tags=["Vélo", "bike repair"])
        await make_workshop(host=cast.host, community=cast.community, title="Bread", summary="y",
                            description="", tags=["baking"])
        for q in ("vélo", "Vél", "repair", "ke re"):
            body = (await client.get(WORKSHOPS, params={"q": q})).json()
            assert [w["id"] for w in body["items"]] == [bike["id"]], q


class TestEditingAPublishedWorkshop:
    """Finding 6: a host edited an approved workshop into a phishing ad and it stayed public."""

    @pytest.fixture
    def notifier(self):
        from notify.notifier import OutboxNotifier

        class Both(OutboxNotifier, RecordingNotifier):  # real outbox rows, and the events kept
            def __init__(self) -> None:
                RecordingNotifier.__init__(self)

            def outbox_rows(self, events):
                self.events.extend(events)
                return OutboxNotifier.outbox_rows(self, events)

        return Both()

    async def published(self, client, cast, community=None):
        workshop = await make_workshop(host=cast.host, community=community or cast.community, status="published")
        session = await make_session(workshop)
        booking = await make_booking_row(session, cast.participant)
        return workshop, session, booking

    async def test_a_typo_fix_keeps_it_public_and_bookable(self, client, cast, notifier, clock):
        from notify.tables import OutboxMessage

        workshop, session, _ = await self.published(client, cast)
        url = f"{WORKSHOPS}/{workshop['id']}"
        clock.advance(hours=1)
        response = await client.patch(url, headers=auth(cast.host), json={
            "title": "Fix your bike!", "description": "Bring **your** bike."})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "published" and body["title"] == "Fix your bike"  # the published one
        assert body["pending_revision"]["fields"] == ["title", "description"]
        assert body["pending_revision"]["proposed"] == {"title": "Fix your bike!", "description": "Bring **your** bike."}
        # still public, unchanged, and bookable; nobody else sees the revision
        public = (await client.get(url)).json()
        assert public["title"] == "Fix your bike" and public["pending_revision"] is None
        assert (await client.get(url, headers=auth(cast.other_host))).json()["pending_revision"] is None
        assert (await client.get(WORKSHOPS)).json()["total"] == 1
        assert (await client.get(f"/api/v1/sessions/{session['id']}")).status_code == 200
        booked = await client.post(f"/api/v1/sessions/{session['id']}/bookings", headers=auth(cast.other_host),
                                   json={"seats": 1})
        assert booked.status_code == 201, booked.text
        assert await service.description_html(workshop["id"]) == "<p>Bring your bike.</p>\n"
        # the organizers are asked, once per revision
        assert notifier.names().count("WorkshopSubmitted") == 1
        for who in (cast.host, cast.organizer):
            seen = (await client.get(url, headers=auth(who))).json()["pending_revision"]
            assert seen["fields"] == ["title", "description"]
        again = await client.patch(url, headers=auth(cast.host), json={"summary": "Brakes and gears."})
        assert again.json()["pending_revision"]["fields"] == ["title", "summary", "description"]
        assert notifier.names().count("WorkshopSubmitted") == 1
        rows = await OutboxMessage.select(OutboxMessage.kind).where(OutboxMessage.kind == "workshop_submitted")
        assert len(rows) >= 1

    async def test_approve_applies_the_revision(self, client, cast, notifier, clock):
        workshop, session, _ = await self.published(client, cast)
        url = f"{WORKSHOPS}/{workshop['id']}"
        await client.patch(url, headers=auth(cast.host), json={
            "title": "Fix your bike!", "description": "Bring **your** bike.",
            "venue": {"name": "Atelier", "address": "2 rue Y"}})
        assert (await client.get(f"/api/v1/sessions/{session['id']}")).json()["sequence"] == 0  # not moved yet
        assert "SessionUpdated" not in notifier.names()
        clock.advance(minutes=5)
        response = await client.post(f"{url}/approve", headers=auth(cast.organizer))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "published" and body["pending_revision"] is None
        assert (body["title"], body["description"], body["venue"]["name"]) == (
            "Fix your bike!", "Bring **your** bike.", "Atelier")
        assert await service.description_html(workshop["id"]) == "<p>Bring <strong>your</strong> bike.</p>\n"
        assert (await client.get(f"/api/v1/sessions/{session['id']}")).json()["sequence"] == 1
        assert "SessionUpdated" in notifier.names() and "WorkshopApproved" in notifier.names()
        # nothing waits any more: a second approval is refused
        problem(await client.post(f"{url}/approve", headers=auth(cast.organizer)), 409, "invalid-state")
        problem(await client.post(f"{url}/reject", headers=auth(cast.organizer), json={"reason": "x"}),
                409, "invalid-state")

    async def test_reject_keeps_the_published_version(self, client, cast, notifier):
        workshop, _, _ = await self.published(client, cast)
        url = f"{WORKSHOPS}/{workshop['id']}"
        await client.patch(url, headers=auth(cast.host), json={"title": "FREE iPhone", "description": "Spam"})
        response = await client.post(f"{url}/reject", headers=auth(cast.organizer), json={"reason": "Spam."})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["title"], body["pending_revision"]) == ("published", "Fix your bike", None)
        assert await service.description_html(workshop["id"]) == "<p>Bring your bike.</p>\n"
        assert (await client.get(url)).json()["title"] == "Fix your bike"
        assert "WorkshopRejected" in notifier.names()
        # the host's next edit starts from the published version
        again = await client.patch(url, headers=auth(cast.host), json={"summary": "Other"})
        assert again.json()["pending_revision"]["fields"] == ["summary"]

    async def test_only_its_organizers_moderate_a_revision(self, client, cast):
        workshop, _, _ = await self.published(client, cast)
        url = f"{WORKSHOPS}/{workshop['id']}"
        await client.patch(url, headers=auth(cast.host), json={"title": "New"})
        for who in (cast.host, cast.participant, cast.other_organizer):
            problem(await client.post(f"{url}/approve", headers=auth(who)), 403, "forbidden")
            problem(await client.post(f"{url}/reject", headers=auth(who), json={"reason": "x"}), 403, "forbidden")
        assert (await client.get(url, headers=auth(cast.host))).json()["pending_revision"]["fields"] == ["title"]

    async def test_bringing_every_field_back_withdraws_the_revision(self, client, cast):
        workshop, _, _ = await self.published(client, cast)
        url = f"{WORKSHOPS}/{workshop['id']}"
        await client.patch(url, headers=auth(cast.host), json={"title": "New"})
        back = await client.patch(url, headers=auth(cast.host), json={"title": "Fix your bike"})
        assert back.json()["pending_revision"] is None
        problem(await client.post(f"{url}/approve", headers=auth(cast.organizer)), 409, "invalid-state")

    @pytest.mark.parametrize("change", [
        {"summary": "Other"}, {"description": "Other"}, {"category": "other"}, {"tags": ["x"]},
        {"language": "fr"}, {"venue": {"name": "Elsewhere", "address": "2 rue Y"}}, {"online_url": "https://x.example"},
        {"payment": "on_site", "price_cents": 500}, {"currency": "chf"},
    ])
    async def test_every_content_field_counts(self, client, cast, change):
        workshop, _, _ = await self.published(client, cast)
        response = await client.patch(f"{WORKSHOPS}/{workshop['id']}", headers=auth(cast.host), json=change)
        assert response.json()["status"] == "published", change
        assert set(response.json()["pending_revision"]["fields"]) == set(change), change

    @pytest.mark.parametrize("change", [
        {"capacity": 30}, {"max_seats_per_booking": 2}, {"cancellation_deadline_hours": 48},
        {"waitlist": {"enabled": False, "mode": "auto", "offer_ttl_minutes": 60}},
        {"title": "Fix your bike"},  # the same title resent
    ])
    async def test_other_changes_apply_at_once(self, client, cast, notifier, change):
        workshop, _, _ = await self.published(client, cast)
        response = await client.patch(f"{WORKSHOPS}/{workshop['id']}", headers=auth(cast.host), json=change)
        assert response.json()["status"] == "published", change
        assert response.json()["pending_revision"] is None
        assert "WorkshopSubmitted" not in notifier.names()
        for name, value in change.items():
            assert response.json()[name] == value

    async def test_without_moderation_an_edit_applies_at_once(self, client, cast, notifier):
        open_village = await make_community(slug="open-village", moderation=False)
        workshop, _, _ = await self.published(client, cast, community=open_village)
        response = await client.patch(f"{WORKSHOPS}/{workshop['id']}", headers=auth(cast.host),
                                      json={"title": "New title", "description": "*New*"})
        body = response.json()
        assert (body["status"], body["title"], body["pending_revision"]) == ("published", "New title", None)
        assert (await client.get(f"{WORKSHOPS}/{workshop['id']}")).json()["title"] == "New title"
        assert await service.description_html(workshop["id"]) == "<p><em>New</em></p>\n"
        assert "WorkshopSubmitted" not in notifier.names()

    async def test_the_rule_is_documented(self, client):
        schema = (await client.get("/schema/openapi.json")).json()
        text = schema["paths"]["/api/v1/workshops/{workshop_id}"]["patch"]["description"]
        assert "pending revision" in text and "moderation" in text


class TestNothingLeaks:
    """Finding 13: host profiles for any user id; drafts revealed by 403 and 409."""

    async def test_host_profiles_only_for_hosts_of_published_workshops(self, client, cast):
        await make_workshop(host=cast.host, community=cast.community)
        assert (await client.get(f"/api/v1/hosts/{cast.host['id']}")).status_code == 200
        for user in (cast.participant, cast.admin, cast.organizer, cast.other_host):
            problem(await client.get(f"/api/v1/hosts/{user['id']}"), 404, "not-found")
        drafts_only = await make_user()
        for status in ("draft", "submitted", "rejected"):
            await make_workshop(host=drafts_only, community=cast.community, status=status)
        problem(await client.get(f"/api/v1/hosts/{drafts_only['id']}"), 404, "not-found")

    @pytest.mark.parametrize("status", ["draft", "submitted", "rejected"])
    async def test_every_endpoint_answers_404_to_those_who_may_not_see_it(self, client, cast, status):
        workshop = await make_workshop(host=cast.host, community=cast.community, status=status)
        session = await make_session(workshop)
        url = f"{WORKSHOPS}/{workshop['id']}"
        calls = [
            ("GET", url, None), ("PATCH", url, {"title": "Mine"}), ("POST", f"{url}/submit", None),
            ("POST", f"{url}/approve", None), ("POST", f"{url}/reject", {"reason": "no"}),
            ("POST", f"{url}/sessions", in_paris("FREQ=WEEKLY;COUNT=2")),
            ("GET", f"/api/v1/sessions/{session['id']}", None),
        ]
        for outsider in (cast.participant, cast.other_host, cast.other_organizer):
            for method, path, body in calls:
                response = await client.request(method, path, json=body, headers=auth(outsider))
                problem(response, 404, "not-found")
                unknown = await client.request(method, path.replace(str(workshop["id"]), "424242")
                                               .replace(str(session["id"]), "434343"),
                                               json=body, headers=auth(outsider))
                assert unknown.json()["type"] == response.json()["type"]  # indistinguishable
        stored = await Workshop.select(Workshop.title, Workshop.status).where(Workshop.id == workshop["id"]).first()
        assert stored == {"title": "Fix your bike", "status": status}

    async def test_those_who_may_see_it_still_get_403_or_409(self, client, cast):
        workshop = await make_workshop(host=cast.host, community=cast.community, status="draft")
        url = f"{WORKSHOPS}/{workshop['id']}"
        problem(await client.patch(url, json={"title": "x"}, headers=auth(cast.organizer)), 403, "forbidden")
        problem(await client.post(f"{url}/submit", headers=auth(cast.admin)), 403, "forbidden")
        problem(await client.post(f"{url}/approve", headers=auth(cast.organizer)), 409, "invalid-state")
        problem(await client.post(f"{url}/approve", headers=auth(cast.host)), 403, "forbidden")

    async def test_published_ones_are_403_for_others_as_before(self, client, cast):
        workshop = await make_workshop(host=cast.host, community=cast.community)
        url = f"{WORKSHOPS}/{workshop['id']}"
        problem(await client.patch(url, json={"title": "x"}, headers=auth(cast.participant)), 403, "forbidden")
        problem(await client.post(f"{url}/approve", headers=auth(cast.other_organizer)), 403, "forbidden")
