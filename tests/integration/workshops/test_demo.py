"""The demo data loader: what it creates, and that a second run adds nothing."""
from __future__ import annotations

import datetime as dt

from accounts.passwords import verify_password
from accounts.tables import Community, Organizer, User
from alveole.demo import load_demo
from kernel.clock import FrozenClock
from tests.conftest import runtime_on
from workshops.tables import Workshop, WorkshopSession

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


async def counts() -> tuple[int, ...]:
    return (await User.count(), await Community.count(), await Organizer.count(), await Workshop.count(),
            await WorkshopSession.count())


class TestLoadDemo:
    async def test_loads_once_and_again_adds_nothing(self, db, settings):
        logins = await load_demo(runtime_on(settings, FrozenClock(NOW), db))
        first = await counts()
        assert first == (5, 1, 1, 9, 2 + 1 + 2 + 1 + 3 + 8 + 1 + 2)  # + the two sessions of the loop
        again = await load_demo(runtime_on(settings, FrozenClock(NOW + dt.timedelta(days=1)), db))
        assert again == logins
        assert await counts() == first

        roles = [role for role, _, _ in logins]
        assert roles == ["admin", "organizer", "host", "host", "participant"]
        assert ("admin", "admin@alveole.test") == logins[0][:2]
        for _, email, password in logins:
            row = await User.select(User.password_hash, User.is_admin).where(User.email == email).first()
            assert await verify_password(row["password_hash"], password)
        assert (await User.select(User.is_admin).where(User.email == "admin@alveole.test").first())["is_admin"]

    async def test_the_workshops(self, db, settings):
        await load_demo(runtime_on(settings, FrozenClock(NOW), db))
        community = await Community.select().where(Community.slug == "belleville").first()
        assert (community["name"], community["timezone"], community["moderation"]) == (
            "Belleville", "Europe/Paris", True)
        rows = await Workshop.select(Workshop.id, Workshop.status, Workshop.payment, Workshop.venue_lat,
                                     Workshop.venue_lon, Workshop.title)
        statuses = sorted(r["status"] for r in rows)
        assert statuses == ["published"] * 8 + ["submitted"]
        assert {r["payment"] for r in rows} == {"free", "on_site"}
        # Paris 20e
        assert all(48.85 < r["venue_lat"] < 48.88 and 2.37 < r["venue_lon"] < 2.42 for r in rows)
        sessions = await WorkshopSession.select(WorkshopSession.workshop, WorkshopSession.starts_at)
        past = next(r["id"] for r in rows if r["title"] == "Compost en pied d'immeuble")
        assert all(s["starts_at"] > NOW for s in sessions if s["workshop"] != past)
        per_workshop = {r["id"]: sum(s["workshop"] == r["id"] for s in sessions) for r in rows}
        assert all(n >= 1 for n in per_workshop.values())
        conversation = next(r["id"] for r in rows if r["title"] == "Conversation en français")
        weekly = sorted(s["starts_at"] for s in sessions if s["workshop"] == conversation)
        assert len(weekly) == 8 and {b - a for a, b in zip(weekly, weekly[1:])} == {dt.timedelta(days=7)}
        hosts = await User.select(User.bio, User.skills).where(User.email.is_in(
            ["amina@alveole.test", "louis@alveole.test"])).output(load_json=True)
        assert all(h["bio"] and h["skills"] for h in hosts)


class TestTheLoop:
    """What `alveole serve --demo` offers to try attendance and feedback."""

    async def test_chloe_can_be_checked_in_now_and_was_at_yesterdays_session(self, db, settings):
        from booking.tables import AttendanceMark, Booking
        from notify.tables import OutboxMessage

        await load_demo(runtime_on(settings, FrozenClock(NOW), db))
        chloe = (await User.select(User.id).where(User.email == "chloe@alveole.test").first())["id"]
        bookings = await Booking.select(Booking.id, Booking.status, Booking.attendance, Booking.checkin_code,
                                        Booking.session.starts_at.as_alias("starts_at"),
                                        Booking.session.ends_at.as_alias("ends_at")).where(
            Booking.user == chloe).order_by(Booking.id)
        door, past = bookings
        assert door["status"] == past["status"] == "confirmed"
        assert NOW + dt.timedelta(minutes=30) <= door["starts_at"] <= NOW + dt.timedelta(minutes=35)
        assert door["attendance"] == "unknown" and door["checkin_code"]
        assert past["ends_at"] == NOW - dt.timedelta(days=1) and past["attendance"] == "attended"
        assert await AttendanceMark.count().where(AttendanceMark.booking == past["id"]) == 1
        # her confirmation (with the code) is queued for the door session only
        kinds = await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.payload).output(load_json=True)
        assert [k["kind"] for k in kinds if k["payload"].get("booking_id") in (door["id"], past["id"])] == [
            "booking_confirmed"]
