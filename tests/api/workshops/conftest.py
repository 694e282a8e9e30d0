"""The cast of the workshops API tests: one community with its organizer, another community with
its own, a host, another host, a participant and an admin; a notifier that records events."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import shared_app

from kernel.events import DomainEvent, OutboxRow, RecordingNotifier
from notify.notifier import OutboxNotifier
from tests.factories import make_community, make_user
from kernel.ports import Rating, SessionSeats


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def app(settings, clock, notifier):
    return shared_app(settings, clock, notifier)


@dataclass
class Cast:
    community: dict[str, Any]
    other_community: dict[str, Any]
    organizer: dict[str, Any]
    other_organizer: dict[str, Any]
    host: dict[str, Any]
    other_host: dict[str, Any]
    participant: dict[str, Any]
    admin: dict[str, Any]


@pytest.fixture
async def cast(client) -> Cast:
    organizer, other_organizer = await make_user(), await make_user()
    community = await make_community(organizers=(organizer,), slug="belleville", name="Belleville",
                                     lat=48.872, lon=2.377)
    other_community = await make_community(organizers=(other_organizer,), slug="lyon-croix-rousse",
                                           timezone="Europe/Paris")
    return Cast(
        community=community, other_community=other_community, organizer=organizer,
        other_organizer=other_organizer, host=await make_user(display_name="Amina"),
        other_host=await make_user(), participant=await make_user(), admin=await make_user(is_admin=True),
    )


def workshop_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "community": "belleville", "title": "Fix your bike", "summary": "Brakes, gears and tyres.",
        "description": "Bring your bike and your questions.", "category": "repair", "tags": ["vélo", "bike"],
        "language": "fr",
        "venue": {"name": "La Petite Rockette", "address": "125 rue du Chemin Vert, Paris",
                  "lat": 48.8619, "lon": 2.3833},
        "payment": "free", "capacity": 8,
    }
    body.update(overrides)
    return body


class FakeStats:
    """A stand-in for the booking side's statistics: whatever the test sets."""

    def __init__(self) -> None:
        self.seats: dict[int, SessionSeats] = {}
        self.ratings: dict[int, Rating] = {}
        self.host_ratings: dict[int, Rating] = {}
        self.calls: list[tuple[str, tuple[int, ...]]] = []

    async def seats_by_session(self, session_ids: Sequence[int], now: dt.datetime) -> dict[int, SessionSeats]:
        self.calls.append(("seats", tuple(session_ids)))
        return {i: self.seats.get(i, SessionSeats()) for i in session_ids}

    async def rating_by_workshop(self, workshop_ids: Sequence[int]) -> dict[int, Rating]:
        return {i: self.ratings.get(i, Rating()) for i in workshop_ids}

    async def rating_of_host(self, host_id: int) -> Rating:
        return self.host_ratings.get(host_id, Rating())


@pytest.fixture
def stats(runtime) -> FakeStats:
    fake = FakeStats()
    runtime.booking_stats = fake
    return fake


class OutboxingNotifier(RecordingNotifier):
    """Records events and asks for one outbox row per event (to see them land in the database);
    with `fail` set it raises instead, as a broken renderer would."""

    outbox_writes = OutboxNotifier.outbox_writes  # writes the rows below for real

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.fail = fail

    def outbox_rows(self, events: Sequence[DomainEvent]) -> list[OutboxRow]:
        self.events.extend(events)
        if self.fail:
            raise RuntimeError("renderer exploded")
        return [OutboxRow(kind=e.name, dedupe_key=f"{e.name}:{sorted(e.as_payload().items())}",
                          recipient_id=None, payload=e.as_payload(), recipient_email="someone@example.org")
                for e in events]
