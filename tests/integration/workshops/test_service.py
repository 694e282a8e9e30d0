"""The workshops service against a real database (SQLite file or PostgreSQL), without HTTP."""
from __future__ import annotations

import asyncio
import json
import datetime as dt

import pytest

from accounts.auth import CurrentUser
from accounts.service import find_community_by_id, find_community_by_slug
from kernel.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from kernel.events import RecordingNotifier
from kernel.runtime import Runtime
from tests.factories import make_community, make_session, make_user, make_workshop
from workshops import rules, schemas, service
from workshops.errors import PaymentsNotConfigured
from workshops.tables import Workshop, WorkshopSession
from tests.conftest import runtime_on

UTC = dt.timezone.utc


@pytest.fixture
def runtime(settings, clock, db) -> Runtime:
    return runtime_on(settings, clock, db, notifier=RecordingNotifier())


def current(user: dict, *, is_admin: bool = False) -> CurrentUser:
    return CurrentUser(id=user["id"], email=user["email"], display_name=user["display_name"], locale="en",
                       timezone="Europe/Paris", is_admin=is_admin)


def create_body(**overrides) -> schemas.WorkshopCreate:
    values = dict(community="belleville", title="Mending clinic", summary="Darning and patches",
                  category="sewing", payment="free", capacity=6,
                  venue=schemas.Venue(name="Ressourcerie", address="3 rue Ramponeau", lat=48.871, lon=2.379))
    values.update(overrides)
    return schemas.WorkshopCreate(**values)


class TestRecords:
    async def test_get_workshop_and_session_for_other_packages(self, db):
        host = await make_user(display_name="Louis")
        community = await make_community(slug="belleville")
        workshop = await make_workshop(host=host, community=community, tags=["couture"], payment="on_site",
                                       price_cents=300)
        session = await make_session(workshop, starts_at=dt.datetime(2026, 12, 5, 13, tzinfo=UTC))
        record = await service.get_workshop(workshop["id"])
        assert (record.community_id, record.community_slug, record.host_id, record.host_display_name) == (
            community["id"], "belleville", host["id"], "Louis")
        assert record.tags == ("couture",) and record.payment == "on_site" and record.price_cents == 300
        assert record.venue == rules.VenueFields("Maison du quartier", "1 rue de la Paix, Paris", 48.86, 2.35)
        assert record.location == "Maison du quartier, 1 rue de la Paix, Paris" and record.is_public
        s = await service.get_session(session["id"])
        assert (s.workshop_id, s.starts_at, s.capacity, s.status, s.sequence) == (
            workshop["id"], dt.datetime(2026, 12, 5, 13, tzinfo=UTC), 10, "scheduled", 0)
        assert s.local_starts_at.isoformat() == "2026-12-05T14:00:00+01:00"
        with pytest.raises(NotFound):
            await service.get_workshop(workshop["id"] + 1000)
        with pytest.raises(NotFound):
            await service.get_session(2**40)

    async def test_communities(self, db):
        community = await make_community(slug="belleville", moderation=False)
        found = await find_community_by_slug("belleville")
        assert found.id == community["id"] and found.moderation is False and found.timezone == "Europe/Paris"
        assert (await find_community_by_id(community["id"])).slug == "belleville"
        assert await find_community_by_slug("nowhere") is None and await find_community_by_id(2**40) is None


class TestCreate:
    async def test_creates_a_draft_with_normalised_values(self, runtime):
        await make_community(slug="belleville", locale="fr")
        host = current(await make_user())
        created = await service.create_workshop(runtime, host, create_body(
            title="  Mending clinic ", tags=["réparer"], currency="EUR"))
        assert created.status == "draft" and created.title == "Mending clinic" and created.language == "fr"
        stored = await Workshop.select(Workshop.tags, Workshop.currency).where(Workshop.id == created.id).first()
        assert "réparer" in stored["tags"] and stored["currency"] == "eur"

    async def test_rules_apply_to_python_callers_too(self, runtime):
        await make_community(slug="belleville")
        host = current(await make_user())
        with pytest.raises(ValidationFailed) as exc:
            await service.create_workshop(runtime, host, create_body(capacity=0, venue=None, community="x"))
        assert [e["field"] for e in exc.value.extra["errors"]] == ["community", "venue", "capacity"]
        assert await Workshop.count() == 0

    async def test_stripe_needs_payments(self, runtime):
        await make_community(slug="belleville")
        with pytest.raises(PaymentsNotConfigured):
            await service.create_workshop(runtime, current(await make_user()),
                                          create_body(payment="stripe", price_cents=1000))


class TestModerationRaces:
    async def test_two_organizers_approve_at_once_one_wins(self, runtime):
        first, second = await make_user(), await make_user()
        community = await make_community(organizers=(first, second))
        workshop = await make_workshop(community=community, status="submitted")
        results = await asyncio.gather(
            service.approve_workshop(runtime, current(first), workshop["id"]),
            service.approve_workshop(runtime, current(second), workshop["id"]),
            return_exceptions=True,
        )
        assert sorted(type(r).__name__ for r in results) == ["InvalidState", "Workshop"]
        assert runtime.notifier.names() == ["WorkshopApproved"]

    async def test_approve_and_reject_race(self, runtime):
        organizer = await make_user()
        community = await make_community(organizers=(organizer,))
        workshop = await make_workshop(community=community, status="submitted")
        results = await asyncio.gather(
            service.approve_workshop(runtime, current(organizer), workshop["id"]),
            service.reject_workshop(runtime, current(organizer), workshop["id"], "no"),
            return_exceptions=True,
        )
        assert sum(isinstance(r, InvalidState) for r in results) == 1
        assert len(runtime.notifier.events) == 1
        status = (await Workshop.select(Workshop.status).where(Workshop.id == workshop["id"]).first())["status"]
        assert status == {"WorkshopApproved": "published", "WorkshopRejected": "rejected"}[
            runtime.notifier.names()[0]]

    async def test_organizer_elsewhere_is_forbidden(self, runtime):
        elsewhere = await make_user()
        await make_community(organizers=(elsewhere,))
        workshop = await make_workshop(status="published")
        with pytest.raises(Forbidden):
            await service.approve_workshop(runtime, current(elsewhere), workshop["id"])

    async def test_organizer_elsewhere_does_not_see_a_submitted_one(self, runtime):
        # finding 13: a workshop they may not see does not exist for them (404, not 403)
        elsewhere = await make_user()
        await make_community(organizers=(elsewhere,))
        workshop = await make_workshop(status="submitted")
        with pytest.raises(NotFound):
            await service.approve_workshop(runtime, current(elsewhere), workshop["id"])


class TestConcurrentEdits:
    async def test_two_partial_updates_at_once_both_land(self, runtime):
        host = await make_user()
        workshop = await make_workshop(host=host)
        for _ in range(3):
            await asyncio.gather(
                service.update_workshop(runtime, current(host), workshop["id"], schemas.WorkshopUpdate(title="A")),
                service.update_workshop(runtime, current(host), workshop["id"], schemas.WorkshopUpdate(capacity=3)),
                service.update_workshop(runtime, current(host), workshop["id"],
                                        schemas.WorkshopUpdate(summary="Both changes stay")),
            )
        record = await service.get_workshop(workshop["id"])
        # published in a moderated community: the texts wait in the revision, the capacity applies
        assert record.capacity == 3 and record.title == "Fix your bike"
        assert json.loads(record.revision) == {"title": "A", "summary": "Both changes stay"}


class TestSessions:
    async def test_rrule_sessions_are_all_or_nothing(self, runtime, clock):
        host = await make_user()
        workshop = await make_workshop(host=host, capacity=7)
        body = schemas.SessionCreate(starts_at=dt.datetime(2026, 12, 2, 18), ends_at=dt.datetime(2026, 12, 2, 20),
                                     timezone="Europe/Paris", rrule="FREQ=WEEKLY;BYDAY=WE;COUNT=5")
        created = await service.add_sessions(runtime, current(host), workshop["id"], body)
        assert created.total == 5
        assert [s.starts_at.isoformat() for s in created.items][:2] == [
            "2026-12-02T18:00:00+01:00", "2026-12-09T18:00:00+01:00"]
        assert {s.capacity for s in created.items} == {7}
        rows = await WorkshopSession.select(WorkshopSession.starts_at).where(
            WorkshopSession.workshop == workshop["id"]).order_by(WorkshopSession.starts_at)
        assert rows[0]["starts_at"] == dt.datetime(2026, 12, 2, 17, tzinfo=UTC)

    async def test_sessions_need_the_host(self, runtime):
        workshop = await make_workshop()
        stranger = current(await make_user())
        body = schemas.SessionCreate(starts_at=dt.datetime(2026, 12, 2, 18, tzinfo=UTC),
                                     ends_at=dt.datetime(2026, 12, 2, 20, tzinfo=UTC), timezone="UTC")
        with pytest.raises(Forbidden):
            await service.add_sessions(runtime, stranger, workshop["id"], body)

    async def test_validate_session_times_is_shared(self):
        assert service.validate_session_times is rules.validate_session_times


class TestListingService:
    async def test_bbox_candidates_then_exact_distance(self, runtime):
        community = await make_community()
        # two points in the bounding box of a 10 km circle around the centre, one in the corner (outside)
        centre = (48.8566, 2.3522)
        inside = await make_workshop(community=community, venue_lat=48.90, venue_lon=2.40)
        corner = await make_workshop(community=community, venue_lat=48.93, venue_lon=2.47)
        assert rules.haversine_km(*centre, 48.90, 2.40) < 10 < rules.haversine_km(*centre, 48.93, 2.47)
        box = rules.bounding_box(*centre, 10)
        assert box.min_lat < 48.93 < box.max_lat and box.min_lon < 2.47 < box.max_lon
        found = await service.list_workshops(runtime, rules.ListingQuery(near=rules.Near(*centre, 10)))
        assert [w.id for w in found.items] == [inside["id"]] and found.total == 1
        assert corner["id"] not in [w.id for w in found.items]
