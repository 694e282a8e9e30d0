"""Feedback through the API: its window (frozen clock), who may give it, the workshop's list with
hidden comments, and the public rating from 3 ratings."""
from __future__ import annotations

import datetime as dt

import pytest

from accounts.auth import issue_token
from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import book, rows

ROLES = ["anonymous", "participant", "other_participant", "host", "other_host", "organizer",
         "other_organizer", "admin"]


@pytest.fixture
async def cast(clock, client):
    host, organizer = await make_user(), await make_user()
    community = await make_community(organizers=(organizer,))
    workshop = await make_workshop(host=host, community=community, capacity=10)
    session = await make_session(workshop, starts_at=clock.now() + dt.timedelta(days=7))
    other_organizer = await make_user()
    other_host = await make_user()
    await make_workshop(host=other_host, community=await make_community(organizers=(other_organizer,)))
    participant = await make_user()
    booking = (await book(client, participant, session["id"], expect=201)).json()
    return dict(host=host, organizer=organizer, participant=participant, session=session, booking=booking,
                workshop=workshop, other_participant=await make_user(), other_host=other_host,
                other_organizer=other_organizer, admin=await make_user(is_admin=True), anonymous=None)


def headers(cast, who):
    return auth(cast[who]) if cast.get(who) else {}


def slug(response):
    return response.json()["type"].rsplit("/", 1)[-1]


async def give(client, cast, who="participant", booking_id=None, **body):
    body = body or {"rating": 4, "comment": "Great"}
    return await client.post(f"/api/v1/bookings/{booking_id or cast['booking']['id']}/feedback", json=body,
                             headers=headers(cast, who))


def ends(cast):
    return cast["session"]["ends_at"]


class TestGiveFeedback:
    @pytest.mark.parametrize(("offset", "status", "problem"), [
        (-dt.timedelta(seconds=1), 409, "feedback-not-open"),
        (dt.timedelta(0), 201, None),
        (dt.timedelta(days=30), 201, None),
        (dt.timedelta(days=30, seconds=1), 409, "invalid-state"),
    ])
    async def test_window(self, client, cast, clock, offset, status, problem):
        clock.set(ends(cast) + offset)
        cast["participant"]["token"] = await issue_token(cast["participant"]["id"], clock.now())  # 30-day logins
        response = await give(client, cast)
        assert response.status_code == status, response.text
        if problem:
            assert slug(response) == problem
        else:
            body = response.json()
            assert (body["booking_id"], body["rating"], body["comment"]) == (cast["booking"]["id"], 4, "Great")

    async def test_twice_is_a_conflict(self, client, cast, clock):
        clock.set(ends(cast) + dt.timedelta(hours=1))
        assert (await give(client, cast)).status_code == 201
        again = await give(client, cast, rating=1)
        assert again.status_code == 409 and slug(again) == "feedback-exists"
        assert [r["rating"] for r in await rows("SELECT rating FROM feedback")] == [4]

    async def test_a_no_show_may_not(self, client, cast, clock):
        clock.set(ends(cast))
        await client.post(f"/api/v1/bookings/{cast['booking']['id']}/attendance", json={"attendance": "no_show"},
                          headers=auth(cast["host"]))
        response = await give(client, cast)
        assert response.status_code == 403 and slug(response) == "forbidden"

    async def test_a_cancelled_booking_may_not(self, client, cast, clock):
        await client.post(f"/api/v1/bookings/{cast['booking']['id']}/cancel", headers=auth(cast["participant"]))
        clock.set(ends(cast))
        assert (await give(client, cast)).status_code == 403

    async def test_the_host_may_not_rate_their_own_workshop(self, client, cast, clock):
        own = (await book(client, cast["host"], cast["session"]["id"], expect=201)).json()
        clock.set(ends(cast))
        response = await give(client, cast, "host", booking_id=own["id"])
        assert response.status_code == 403 and slug(response) == "forbidden"

    @pytest.mark.parametrize("who", ROLES)
    async def test_only_its_participant(self, client, cast, clock, who):
        clock.set(ends(cast))
        response = await give(client, cast, who)
        expected = 201 if who == "participant" else 401 if who == "anonymous" else 403
        assert response.status_code == expected, (who, response.text)

    @pytest.mark.parametrize("body", [
        {"rating": 0}, {"rating": 6}, {"rating": "5"}, {"comment": "no rating"},
        {"rating": 3, "comment": "x" * 2001}, {"rating": 3, "comment": "bell\x07"}, {"rating": 3, "extra": True},
    ])
    async def test_bad_bodies(self, client, cast, clock, body):
        clock.set(ends(cast))
        response = await give(client, cast, **body)
        assert response.status_code == 400 and slug(response) == "validation-error", body

    async def test_comments_are_plain_text_kept_as_written(self, client, cast, clock):
        clock.set(ends(cast))
        comment = "  <b>Merci</b> & à bientôt\nLigne 2 " + "é" * 1900
        response = await give(client, cast, rating=5, comment=comment)
        assert response.status_code == 201
        assert response.json()["comment"] == comment.strip()


class TestWorkshopFeedback:
    async def _three(self, client, cast, clock):
        """Three ratings (5, 4 then 1) on two sessions, an hour apart."""
        later = await make_session(cast["workshop"], starts_at=cast["session"]["starts_at"] + dt.timedelta(days=1))
        others = [await make_user(), await make_user()]
        second = (await book(client, others[0], cast["session"]["id"], expect=201)).json()
        third = (await book(client, others[1], later["id"], expect=201)).json()
        clock.set(later["ends_at"])
        ids = []
        for who, booking, rating in ((cast["participant"], cast["booking"], 5), (others[0], second, 4),
                                     (others[1], third, 1)):
            response = await client.post(f"/api/v1/bookings/{booking['id']}/feedback",
                                         json={"rating": rating, "comment": f"rated {rating}"}, headers=auth(who))
            assert response.status_code == 201
            ids.append(response.json()["id"])
            clock.advance(seconds=3600)
        return ids, later

    async def test_newest_first_with_the_session_date_and_the_public_rating(self, client, cast, clock):
        ids, later = await self._three(client, cast, clock)
        response = await client.get(f"/api/v1/workshops/{cast['workshop']['id']}/feedback", headers=auth(cast["host"]))
        assert response.status_code == 200
        body = response.json()
        assert [i["id"] for i in body["items"]] == ids[::-1]
        assert [i["rating"] for i in body["items"]] == [1, 4, 5]
        assert body["items"][0]["session_id"] == later["id"]
        assert dt.datetime.fromisoformat(body["items"][0]["session_starts_at"]) == later["starts_at"]
        assert body["total"] == 3 and body["rating"] == {"average": 3.33, "count": 3}
        public = (await client.get(f"/api/v1/workshops/{cast['workshop']['id']}")).json()["rating"]
        assert public == {"average": 3.33, "count": 3}
        host = (await client.get(f"/api/v1/hosts/{cast['host']['id']}")).json()["rating"]
        assert host == {"average": 3.33, "count": 3}

    async def test_below_three_ratings_no_average_is_shown(self, client, cast, clock):
        clock.set(ends(cast))
        assert (await give(client, cast, rating=5)).status_code == 201
        public = (await client.get(f"/api/v1/workshops/{cast['workshop']['id']}")).json()["rating"]
        assert public == {"average": None, "count": 1}

    async def test_an_organizer_hides_a_comment_and_its_rating_still_counts(self, client, cast, clock):
        ids, _ = await self._three(client, cast, clock)
        hidden = ids[2]
        assert (await client.post(f"/api/v1/feedback/{hidden}/hide", headers=auth(cast["host"]))).status_code == 403
        assert (await client.post(f"/api/v1/feedback/{hidden}/hide",
                                  headers=auth(cast["other_organizer"]))).status_code == 403
        assert (await client.post(f"/api/v1/feedback/{hidden}/hide", headers=auth(cast["organizer"]))).status_code == 204
        as_host = (await client.get(f"/api/v1/workshops/{cast['workshop']['id']}/feedback",
                                    headers=auth(cast["host"]))).json()
        item = next(i for i in as_host["items"] if i["id"] == hidden)
        assert item["hidden"] is True and item["comment"] is None and item["rating"] == 1
        assert as_host["rating"] == {"average": 3.33, "count": 3}
        as_organizer = (await client.get(f"/api/v1/workshops/{cast['workshop']['id']}/feedback",
                                         headers=auth(cast["organizer"]))).json()
        assert next(i for i in as_organizer["items"] if i["id"] == hidden)["comment"] == "rated 1"
        assert (await client.post(f"/api/v1/feedback/{hidden}/unhide", headers=auth(cast["admin"]))).status_code == 204
        again = (await client.get(f"/api/v1/workshops/{cast['workshop']['id']}/feedback",
                                  headers=auth(cast["host"]))).json()
        assert next(i for i in again["items"] if i["id"] == hidden)["comment"] == "rated 1"
        assert (await client.post("/api/v1/feedback/999999/hide", headers=auth(cast["organizer"]))).status_code == 404

    @pytest.mark.parametrize("who", ROLES)
    async def test_who_may_read_it(self, client, cast, who):
        response = await client.get(f"/api/v1/workshops/{cast['workshop']['id']}/feedback", headers=headers(cast, who))
        expected = 200 if who in ("host", "organizer", "admin") else 401 if who == "anonymous" else 403
        assert response.status_code == expected, who

    @pytest.mark.parametrize("who", ["anonymous", "participant", "other_participant", "host", "other_host",
                                     "other_organizer"])
    async def test_who_may_not_hide(self, client, cast, clock, who):
        clock.set(ends(cast))
        feedback_id = (await give(client, cast)).json()["id"]
        response = await client.post(f"/api/v1/feedback/{feedback_id}/hide", headers=headers(cast, who))
        assert response.status_code == (401 if who == "anonymous" else 403)
        assert (await rows("SELECT hidden_at FROM feedback"))[0]["hidden_at"] is None
