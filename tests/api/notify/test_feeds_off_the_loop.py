"""Calendar feeds are built off the event loop, once per version however many ask at once, and
the personal feed is bounded like the community feed (a window around now, a count)."""
from __future__ import annotations

import asyncio
import datetime as dt

import icalendar
import pytest

from kernel.caching import rendered_feeds
from notify import service as notify_service
from tests.api.notify.test_calendar_api import feed_url_of
from tests.factories import make_booking_row, make_community, make_session, make_user, make_workshop
from workshops import calendar as workshops_calendar
from workshops.tables import WorkshopSession


@pytest.fixture
def builders(monkeypatch):
    """Each feed builder, recording for every call whether an event loop runs in its thread."""
    on_loop: list[bool] = []

    def where(builder):
        def recorded(*args, **kwargs):
            try:
                asyncio.get_running_loop()
                on_loop.append(True)
            except RuntimeError:
                on_loop.append(False)
            return builder(*args, **kwargs)
        return recorded

    monkeypatch.setattr(workshops_calendar, "community_feed", where(workshops_calendar.community_feed))
    monkeypatch.setattr(notify_service, "feed_ics", where(notify_service.feed_ics))
    return on_loop


async def test_no_request_builds_a_feed_on_the_event_loop_and_each_version_is_built_once(client, clock, builders):
    community, alice = await make_community(), await make_user()
    session = await make_session(await make_workshop(community=community),
                                 starts_at=clock.now() + dt.timedelta(days=3))
    await make_booking_row(session, alice)
    paths = [f"/api/v1/communities/{community['slug']}/calendar.ics", await feed_url_of(alice)]
    builds = rendered_feeds.builds
    answers = await asyncio.gather(*[client.get(path) for path in paths for _ in range(4)])
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers[:4]}) == 1 and len({a.content for a in answers[4:]}) == 1
    assert rendered_feeds.builds - builds == 2  # one per feed, though four asked for each at once
    assert builders == [False, False]  # both built, neither on the event loop
    again = await client.get(paths[0])
    assert again.content == answers[0].content and rendered_feeds.builds - builds == 2


async def test_the_personal_feed_is_bounded_in_time_and_count(client, clock, monkeypatch):
    alice, now = await make_user(), clock.now()
    workshop = await make_workshop()
    starts = {name: now + dt.timedelta(days=days) for name, days in
              (("long_ago", -40), ("last_week", -7), ("soon", 2), ("later", 20), ("next_year", 400))}
    sessions = {name: await make_session(workshop, starts_at=at) for name, at in starts.items()}
    for session in sessions.values():
        await make_booking_row(session, alice)

    def shown(answer) -> list[str]:
        assert answer.status_code == 200, answer.text
        events = icalendar.Calendar.from_ical(answer.content).walk("VEVENT")
        ids = {f"session-{s['id']}-user-{alice['id']}@alveole": name for name, s in sessions.items()}
        return [ids[str(e["UID"])] for e in events]

    url = await feed_url_of(alice)
    # ended more than 30 days ago, or starting more than a year ahead: not in the feed
    assert shown(await client.get(url)) == ["last_week", "soon", "later"]
    monkeypatch.setattr(notify_service, "FEED_MAX_EVENTS", 2)
    clock.advance(hours=1)  # a new version period: built again, with the smaller cap
    assert shown(await client.get(url)) == ["last_week", "soon"]  # the first ones in start order


async def test_a_new_version_rebuilds_only_the_events_that_changed(client, clock):
    community = await make_community()
    workshop = await make_workshop(community=community)
    sessions = [await make_session(workshop, starts_at=clock.now() + dt.timedelta(days=d)) for d in range(1, 6)]
    path = f"/api/v1/communities/{community['slug']}/calendar.ics"
    first = await client.get(path)
    assert first.status_code == 200
    serialised = workshops_calendar._community_event.cache_info().misses
    await WorkshopSession.update({WorkshopSession.sequence: 1}).where(WorkshopSession.id == sessions[2]["id"])
    second = await client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200 and second.content != first.content
    assert workshops_calendar._community_event.cache_info().misses - serialised == 1  # the changed one alone
    events = icalendar.Calendar.from_ical(second.content).walk("VEVENT")
    assert [int(e["SEQUENCE"]) for e in events] == [0, 0, 1, 0, 0]
    assert all(e["DTSTAMP"].dt == clock.now().replace(microsecond=0) for e in events)
