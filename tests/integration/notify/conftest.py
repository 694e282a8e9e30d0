"""Fixtures for notify's integration tests: a Runtime on the test database (no HTTP), a mailer
that records, and helpers to write events' outbox rows and read the outbox back."""
from __future__ import annotations

import email
import email.message
import email.policy
import email.utils
from collections.abc import Sequence
from typing import Any

import pytest

from kernel.clock import FrozenClock
from kernel.events import DomainEvent
from kernel.runtime import Runtime
from kernel.settings import Settings
from notify.mailers import message_bytes
from notify.outbox import insert_rows
from notify.repository import decode_record
from notify.tables import OutboxMessage
from tests.conftest import runtime_on


class RecordingMailer:
    """Keeps every message it is given; `fail_with` makes the next sends raise."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.attempts: list[bytes] = []
        self.fail_with: BaseException | None = None
        self.refuse: dict[str, BaseException] = {}
        self.closed = 0

    async def send(self, message: email.message.EmailMessage) -> None:
        raw = message_bytes(message)
        self.attempts.append(raw)
        if self.fail_with is not None:
            raise self.fail_with
        to = email.utils.parseaddr(str(message["To"]))[1]
        if to in self.refuse:
            raise self.refuse[to]
        # a round trip through bytes, as a real transport would do
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))

    async def close(self) -> None:
        self.closed += 1

    def kinds(self) -> list[str]:
        return [m["X-Alveole-Kind"] for m in self.messages]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"].addresses[0].addr_spec == address]


@pytest.fixture(autouse=True)
def isolated_vobject_timezones():
    """vobject keeps the first VTIMEZONE it parses for a TZID for the whole process: start each
    test without the ones other tests parsed, and leave none of ours behind."""
    import vobject.icalendar

    registry = vars(vobject.icalendar)["__tzidMap"]
    saved = dict(registry)
    registry.clear()
    registry.update({k: v for k, v in saved.items() if k == "UTC"})
    yield
    registry.clear()
    registry.update(saved)


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture
def notify_runtime(db, settings: Settings, clock: FrozenClock, mailer: RecordingMailer) -> Runtime:
    return runtime_on(settings, clock, db, mailer=mailer)


async def emit(runtime: Runtime, *events: DomainEvent) -> int:
    """What a use case does in its transaction: the notifier's rows, inserted."""
    return await insert_rows(runtime.notifier.outbox_rows(list(events)), runtime.clock.now())


async def outbox_rows(**where: Any) -> list[dict[str, Any]]:
    rows = await OutboxMessage.select().order_by(OutboxMessage.id)
    records = [decode_record(r) for r in rows]
    return [r for r in records if all(r[k] == v for k, v in where.items())]


def calendar_part(message: email.message.EmailMessage) -> tuple[str, str] | None:
    """(method parameter, text) of the text/calendar part named invite.ics, if any. Every
    calendar it returns was parsed by icalendar and by vobject (validating), and checked:
    METHOD matches the MIME parameter, one VEVENT with UID, SEQUENCE and DTSTAMP, and
    DTSTART/DTEND's TZID has its VTIMEZONE."""
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    if not parts:
        return None
    (part,) = parts
    assert part.get_filename() == "invite.ics" and part.get_param("name") == "invite.ics"
    method, text = part.get_param("method"), part.get_content()
    check_calendar(text, method)
    return method, text


def check_calendar(text: str, method: str) -> None:
    import icalendar
    import vobject

    calendar = icalendar.Calendar.from_ical(text)
    for component in calendar.walk():
        assert not component.errors, component.errors
    assert calendar["METHOD"] == method
    (event,) = calendar.walk("VEVENT")
    assert {"UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "ORGANIZER", "ATTENDEE", "URL"} <= set(event)
    tzid = event["DTSTART"].params.get("TZID")
    assert event["DTEND"].params.get("TZID") == tzid
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ([tzid] if tzid else [])
    if method == "CANCEL":
        assert str(event["STATUS"]) == "CANCELLED"
    card = vobject.readOne(text, validate=True)
    assert card.vevent.uid.value == str(event["UID"])


def parts_of(message: email.message.EmailMessage) -> dict[str, str]:
    found = {}
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            found[part.get_content_type()] = part.get_content()
    return found


def assert_kinds(messages: Sequence[email.message.EmailMessage], expected: Sequence[str]) -> None:
    assert sorted(m["X-Alveole-Kind"] for m in messages) == sorted(expected)
