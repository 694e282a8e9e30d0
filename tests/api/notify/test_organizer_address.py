"""ORGANIZER carries the host's name with the instance's sender address everywhere: no host's
email address in any invite (downloaded or emailed), cancellation, personal or community feed."""
from __future__ import annotations

import dataclasses
import email
import email.policy

import icalendar
import pytest

from alveole.worker import run_once
from tests.api.notify.test_http_headers import feed_path
from tests.factories import auth, make_community, make_session, make_user, make_workshop

SENDER = "Alvéole Belleville <bonjour@alveole.example>"


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, mail_from=SENDER)


def events_of(text: str) -> list:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def assert_no_host_address(text: str, host: dict) -> None:
    assert host["email"] not in text and host["email"].split("@")[0] not in text
    for event in events_of(text):
        organizer = event["ORGANIZER"]
        assert str(organizer) == "mailto:bonjour@alveole.example"
        assert organizer.params["CN"] == host["display_name"]


class TestOrganizerIsNeverTheHostsAddress:
    async def test_invites_feeds_and_emails(self, client, runtime, settings):
        host = await make_user(display_name="Hélène Hôte", email="helene.private@example.org")
        alice = await make_user()
        community = await make_community(slug="belleville")
        session = await make_session(await make_workshop(host=host, community=community))
        booked = await client.post(f"/api/v1/sessions/{session['id']}/bookings", json={"seats": 1},
                                   headers=auth(alice))
        assert booked.status_code == 201
        booking_id = booked.json()["id"]
        texts = {
            "invite": (await client.get(f"/api/v1/bookings/{booking_id}/invite.ics", headers=auth(alice))).text,
            "personal feed": (await client.get(await feed_path(alice))).text,
            "community feed": (await client.get("/api/v1/communities/belleville/calendar.ics")).text,
        }
        cancelled = await client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=auth(alice))
        assert cancelled.status_code == 200
        texts["cancellation"] = (await client.get(f"/api/v1/bookings/{booking_id}/invite.ics",
                                                  headers=auth(alice))).text
        await run_once(runtime)
        emailed = 0
        for path in settings.mail_dir.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for part in message.walk():
                if part.get_content_type() == "text/calendar":
                    texts[f"email {path.name}"] = part.get_content()
                    emailed += 1
        assert emailed == 2  # the confirmation's REQUEST and the cancellation's CANCEL
        for name, text in texts.items():
            assert events_of(text), name
            assert_no_host_address(text, host)
