"""GET /api/v1/hosts/{id} and GET /api/v1/communities/{slug}/calendar.ics."""
from __future__ import annotations

import datetime as dt

import vobject
from icalendar import Calendar

from accounts.tables import User
from tests.api.workshops.test_workshops import problem
from tests.factories import make_session, make_user, make_workshop
from kernel.ports import Rating

UTC = dt.timezone.utc


class TestHostProfile:
    async def test_profile_with_published_workshops_and_rating(self, client, cast, stats):
        await User.update({User.bio: "Mechanic since 1998.", User.skills: ["bikes", "welding"]}).where(
            User.id == cast.host["id"])
        published = await make_workshop(host=cast.host, community=cast.community, title="Bike repair")
        await make_workshop(host=cast.host, community=cast.community, title="Secret draft", status="draft")
        await make_workshop(host=cast.other_host, community=cast.community, title="Not hers")
        stats.host_ratings[cast.host["id"]] = Rating(average=4.8, count=12)
        response = await client.get(f"/api/v1/hosts/{cast.host['id']}")
        assert response.status_code == 200
        body = response.json()
        assert (body["id"], body["display_name"], body["bio"], body["skills"]) == (
            cast.host["id"], "Amina", "Mechanic since 1998.", ["bikes", "welding"])
        assert [w["id"] for w in body["workshops"]] == [published["id"]]
        assert body["workshops"][0]["title"] == "Bike repair"
        assert body["rating"] == {"average": 4.8, "count": 12}

    async def test_someone_without_published_workshops_has_no_profile(self, client, cast):
        # finding 13: ids are sequential; only hosts of a published workshop have a public face
        problem(await client.get(f"/api/v1/hosts/{cast.participant['id']}"), 404, "not-found")
        problem(await client.get(f"/api/v1/hosts/{cast.admin['id']}"), 404, "not-found")
        await make_workshop(host=cast.other_host, community=cast.community, status="draft")
        problem(await client.get(f"/api/v1/hosts/{cast.other_host['id']}"), 404, "not-found")
        await make_workshop(host=cast.other_host, community=cast.community)
        body = (await client.get(f"/api/v1/hosts/{cast.other_host['id']}")).json()
        assert len(body["workshops"]) == 1 and body["rating"] == {"average": None, "count": 0}

    async def test_unknown_and_deleted(self, client, cast):
        problem(await client.get("/api/v1/hosts/987654"), 404, "not-found")
        problem(await client.get("/api/v1/hosts/98765432109876543210"), 404, "not-found")
        gone = await make_user()
        await User.update({User.deleted_at: dt.datetime(2026, 11, 1, tzinfo=UTC)}).where(User.id == gone["id"])
        problem(await client.get(f"/api/v1/hosts/{gone['id']}"), 404, "not-found")


class TestCommunityCalendar:
    async def test_published_scheduled_sessions_as_an_icalendar_feed(self, client, cast):
        bike = await make_workshop(host=cast.host, community=cast.community, title="Bike repair",
                                   summary="Brakes; gears, tyres.", venue_name="La Rockette",
                                   venue_address="125 rue du Chemin Vert, Paris", venue_lat=48.8619,
                                   venue_lon=2.3833)
        online = await make_workshop(host=cast.host, community=cast.community, title="Spreadsheets",
                                     venue_name=None, venue_address=None, venue_lat=None, venue_lon=None,
                                     online_url="https://meet.example.org/sheets")
        draft = await make_workshop(host=cast.host, community=cast.community, status="draft")
        elsewhere = await make_workshop(host=cast.host, community=cast.other_community)
        winter = await make_session(bike, starts_at=dt.datetime(2026, 12, 5, 13, tzinfo=UTC), sequence=3)
        summer = await make_session(bike, starts_at=dt.datetime(2027, 6, 5, 12, tzinfo=UTC))
        montreal = await make_session(online, starts_at=dt.datetime(2026, 12, 9, 23, tzinfo=UTC),
                                      timezone="America/Montreal")
        await make_session(bike, starts_at=dt.datetime(2026, 12, 19, 13, tzinfo=UTC), status="cancelled")
        await make_session(draft)
        await make_session(elsewhere)

        response = await client.get("/api/v1/communities/belleville/calendar.ics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        text = response.text

        cal = Calendar.from_ical(text)
        assert str(cal["METHOD"]) == "PUBLISH" and str(cal["VERSION"]) == "2.0" and cal["PRODID"]
        events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
        assert set(events) == {f"session-{s['id']}@alveole" for s in (winter, summer, montreal)}
        first = events[f"session-{winter['id']}@alveole"]
        assert first["DTSTART"].params["TZID"] == "Europe/Paris"
        assert first.decoded("DTSTART") == dt.datetime(2026, 12, 5, 13, tzinfo=UTC)
        assert first.decoded("DTSTART").utcoffset() == dt.timedelta(hours=1)
        assert first.decoded("DTEND") == dt.datetime(2026, 12, 5, 15, tzinfo=UTC)
        assert str(first["SUMMARY"]) == "Bike repair"
        assert str(first["DESCRIPTION"]) == "Brakes; gears, tyres."
        assert str(first["LOCATION"]) == "La Rockette, 125 rue du Chemin Vert, Paris"
        assert (first["GEO"].latitude, first["GEO"].longitude) == (48.8619, 2.3833)
        assert str(first["URL"]) == f"http://alveole.test/workshops/{bike['id']}"
        assert int(first["SEQUENCE"]) == 3
        assert first["DTSTAMP"].dt == dt.datetime(2026, 12, 1, 9, tzinfo=UTC)
        summer_event = events[f"session-{summer['id']}@alveole"]
        assert summer_event.decoded("DTSTART").utcoffset() == dt.timedelta(hours=2)
        online_event = events[f"session-{montreal['id']}@alveole"]
        assert online_event["DTSTART"].params["TZID"] == "America/Montreal"
        assert str(online_event["LOCATION"]) == "https://meet.example.org/sheets"
        assert "GEO" not in online_event
        assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} == {"Europe/Paris", "America/Montreal"}
        assert all(not component.errors for component in cal.walk())

        parsed = vobject.readOne(text, validate=True)
        uids = sorted(e.uid.value for e in parsed.vevent_list)
        assert uids == sorted(events)
        by_uid = {e.uid.value: e for e in parsed.vevent_list}
        assert by_uid[f"session-{winter['id']}@alveole"].dtstart.value == dt.datetime(2026, 12, 5, 13, tzinfo=UTC)
        assert by_uid[f"session-{summer['id']}@alveole"].dtstart.value.utcoffset() == dt.timedelta(hours=2)

    async def test_an_empty_community_has_an_empty_feed(self, client, cast):
        response = await client.get("/api/v1/communities/lyon-croix-rousse/calendar.ics")
        assert response.status_code == 200
        cal = Calendar.from_ical(response.text)
        assert cal.walk("VEVENT") == [] and str(cal["METHOD"]) == "PUBLISH"
        vobject.readOne(response.text, validate=True)

    async def test_unknown_community(self, client, cast):
        problem(await client.get("/api/v1/communities/atlantis/calendar.ics"), 404, "not-found")
