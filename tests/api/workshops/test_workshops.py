"""POST/GET/PATCH /api/v1/workshops and the moderation flow, through the app over HTTP."""
from __future__ import annotations

import dataclasses

import pytest

from tests.api.workshops.conftest import workshop_body
from tests.factories import auth, make_session, make_workshop
from kernel.ports import Rating

WORKSHOPS = "/api/v1/workshops"


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith("/" + slug)
    return body


def bad_fields(response) -> list[str]:
    body = problem(response, 400, "validation-error")
    return [e["field"] for e in body["errors"]]


async def create(client, user, **overrides) -> dict:
    response = await client.post(WORKSHOPS, json=workshop_body(**overrides), headers=auth(user))
    assert response.status_code == 201, response.text
    return response.json()


class TestCreateWorkshop:
    async def test_the_caller_becomes_host_of_a_draft(self, client, cast):
        response = await client.post(WORKSHOPS, json=workshop_body(currency="EUR"), headers=auth(cast.host))
        assert response.status_code == 201
        body = response.json()
        assert body["status"] == "draft"
        assert body["community"] == "belleville"
        assert body["host"] == {"id": cast.host["id"], "display_name": "Amina"}
        assert body["currency"] == "eur"
        assert body["tags"] == ["vélo", "bike"]
        assert body["venue"] == {"name": "La Petite Rockette", "address": "125 rue du Chemin Vert, Paris",
                                 "lat": 48.8619, "lon": 2.3833}
        assert body["max_seats_per_booking"] == 4
        assert body["waitlist"] == {"enabled": True, "mode": "auto", "offer_ttl_minutes": 60}
        assert body["sessions"] == [] and body["next_session"] is None
        assert body["rating"] == {"average": None, "count": 0}
        assert body["created_at"].startswith("2026-12-01T09:00:00")
        again = await client.get(f"{WORKSHOPS}/{body['id']}", headers=auth(cast.host))
        assert again.json() == body

    async def test_online_only_on_site_with_currency_in_any_case(self, client, cast):
        body = await create(client, cast.host, venue=None, online_url="https://meet.example.org/abc",
                            payment="on_site", price_cents=500, currency="cHf",
                            waitlist={"enabled": True, "mode": "offer", "offer_ttl_minutes": 30},
                            max_seats_per_booking=1, cancellation_deadline_hours=48)
        assert body["venue"] is None and body["online_url"] == "https://meet.example.org/abc"
        assert (body["payment"], body["price_cents"], body["currency"]) == ("on_site", 500, "chf")
        assert body["waitlist"] == {"enabled": True, "mode": "offer", "offer_ttl_minutes": 30}
        assert body["max_seats_per_booking"] == 1 and body["cancellation_deadline_hours"] == 48

    async def test_language_defaults_to_the_community_locale(self, client, cast):
        body = workshop_body()
        del body["language"]
        response = await client.post(WORKSHOPS, json=body, headers=auth(cast.host))
        assert response.json()["language"] == "fr"

    async def test_anonymous_gets_401(self, client, cast):
        problem(await client.post(WORKSHOPS, json=workshop_body()), 401, "not-authenticated")

    @pytest.mark.parametrize("overrides,field", [
        ({"capacity": 0}, "capacity"),
        ({"capacity": "ten"}, "capacity"),
        ({"capacity": 10**12}, "capacity"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"category": "c" * 41}, "category"),
        ({"venue": None}, "venue"),
        ({"venue": {"name": "Hall", "address": "1 rue X", "lat": 91, "lon": 2}}, "venue.lat"),
        ({"venue": {"name": "Hall", "address": "1 rue X", "lat": 48, "lon": 200}}, "venue.lon"),
        ({"online_url": "ftp://example.org"}, "online_url"),
        ({"payment": "bitcoin"}, "payment"),
        ({"payment": "free", "price_cents": 100}, "price_cents"),
        ({"payment": "on_site"}, "price_cents"),
        ({"payment": "on_site", "price_cents": 100, "currency": "XYZ"}, "currency"),
        ({"payment": "on_site", "price_cents": 100, "currency": "euro"}, "currency"),
        ({"max_seats_per_booking": 0}, "max_seats_per_booking"),
        ({"waitlist": {"enabled": True, "mode": "offer", "offer_ttl_minutes": 0}}, "waitlist.offer_ttl_minutes"),
        ({"waitlist": {"enabled": True, "mode": "lottery"}}, "waitlist.mode"),
        ({"tags": "bike"}, "tags"),
        ({"cancellation_deadline_hours": -1}, "cancellation_deadline_hours"),
        ({"community": "atlantis"}, "community"),
        ({"community": "bell\u0000ville"}, "community"),
        ({"title": "Bike\u0000repair"}, "title"),
        ({"tags": ["ok", "n\u0000ul"]}, "tags"),  # the JSON decoder names a list's items by the list
        ({"venue": {"name": "Hall", "address": "1 rue\u0000X"}}, "venue.address"),
    ])
    async def test_bad_input_names_the_field(self, client, cast, overrides, field):
        response = await client.post(WORKSHOPS, json=workshop_body(**overrides), headers=auth(cast.host))
        assert field in bad_fields(response)

    async def test_missing_field(self, client, cast):
        body = workshop_body()
        del body["summary"]
        response = await client.post(WORKSHOPS, json=body, headers=auth(cast.host))
        assert bad_fields(response) == ["summary"]

    async def test_missing_nested_field(self, client, cast):
        response = await client.post(WORKSHOPS, json=workshop_body(venue={"name": "Hall"}), headers=auth(cast.host))
        body = problem(response, 400, "validation-error")
        assert body["errors"][0]["field"] == "venue.address", body

    async def test_not_json(self, client, cast):
        response = await client.post(WORKSHOPS, content=b"{not json", headers={
            **auth(cast.host), "content-type": "application/json"})
        problem(response, 400, "validation-error")

    async def test_stripe_without_payments_configured_is_409(self, client, cast):
        response = await client.post(WORKSHOPS, json=workshop_body(payment="stripe", price_cents=1500),
                                     headers=auth(cast.host))
        problem(response, 409, "payments-not-configured")

    async def test_stripe_when_configured(self, client, cast, runtime):
        runtime.settings = dataclasses.replace(runtime.settings, stripe_api_key="sk_test_x",
                                               stripe_webhook_secret="whsec_x")
        body = await create(client, cast.host, payment="stripe", price_cents=1500)
        assert body["payment"] == "stripe"


class TestReadWorkshop:
    @pytest.mark.parametrize("status", ["draft", "submitted", "rejected"])
    async def test_unpublished_ones_hide_from_everyone_but_host_organizers_admins(self, client, cast, status):
        workshop = await make_workshop(host=cast.host, community=cast.community, status=status)
        url = f"{WORKSHOPS}/{workshop['id']}"
        problem(await client.get(url), 404, "not-found")
        for outsider in (cast.participant, cast.other_host, cast.other_organizer):
            problem(await client.get(url, headers=auth(outsider)), 404, "not-found")
        for insider in (cast.host, cast.organizer, cast.admin):
            response = await client.get(url, headers=auth(insider))
            assert response.status_code == 200 and response.json()["status"] == status

    @pytest.mark.parametrize("status", ["published", "cancelled", "archived"])
    async def test_published_and_closed_ones_are_public(self, client, cast, status):
        workshop = await make_workshop(host=cast.host, community=cast.community, status=status)
        response = await client.get(f"{WORKSHOPS}/{workshop['id']}")
        assert response.status_code == 200 and response.json()["status"] == status

    async def test_unknown_and_absurd_ids(self, client, cast):
        problem(await client.get(f"{WORKSHOPS}/999999"), 404, "not-found")
        problem(await client.get(f"{WORKSHOPS}/99999999999999999999"), 404, "not-found")
        problem(await client.get(f"{WORKSHOPS}/abc"), 404, "not-found")

    async def test_sessions_in_order_with_seats_and_rating(self, client, cast, stats):
        import datetime as dt

        from kernel.ports import SessionSeats

        workshop = await make_workshop(host=cast.host, community=cast.community, capacity=6)
        later = await make_session(workshop, starts_at=dt.datetime(2026, 12, 12, 13, tzinfo=dt.timezone.utc))
        sooner = await make_session(workshop, starts_at=dt.datetime(2026, 12, 5, 13, tzinfo=dt.timezone.utc))
        stats.seats[sooner["id"]] = SessionSeats(seats_taken=4, waitlist_length=2)
        stats.ratings[workshop["id"]] = Rating(average=4.333333, count=3)
        body = (await client.get(f"{WORKSHOPS}/{workshop['id']}")).json()
        assert [s["id"] for s in body["sessions"]] == [sooner["id"], later["id"]]
        first = body["sessions"][0]
        assert first["starts_at"] == "2026-12-05T14:00:00+01:00"
        assert (first["seats_taken"], first["seats_left"], first["waitlist_length"]) == (4, 2, 2)
        assert body["next_session"]["id"] == sooner["id"]
        assert body["rating"] == {"average": 4.33, "count": 3}

    async def test_rating_below_three_stays_null(self, client, cast, stats):
        workshop = await make_workshop(host=cast.host, community=cast.community)
        stats.ratings[workshop["id"]] = Rating(average=None, count=2)
        body = (await client.get(f"{WORKSHOPS}/{workshop['id']}")).json()
        assert body["rating"] == {"average": None, "count": 2}


class TestUpdateWorkshop:
    async def test_host_updates_some_fields(self, client, cast, clock):
        workshop = await create(client, cast.host)
        clock.advance(hours=1)
        response = await client.patch(f"{WORKSHOPS}/{workshop['id']}", headers=auth(cast.host),
                                      json={"title": "Bike repair café", "tags": ["vélo"], "currency": "USD"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["title"] == "Bike repair café" and body["tags"] == ["vélo"] and body["currency"] == "usd"
        assert body["summary"] == workshop["summary"] and body["venue"] == workshop["venue"]
        assert body["updated_at"].startswith("2026-12-01T10:00:00")

    async def test_switching_to_free_resets_the_price(self, client, cast):
        workshop = await create(client, cast.host, payment="on_site", price_cents=800)
        response = await client.patch(f"{WORKSHOPS}/{workshop['id']}", headers=auth(cast.host),
                                      json={"payment": "free"})
        assert (response.json()["payment"], response.json()["price_cents"]) == ("free", 0)

    async def test_venue_removed_needs_an_online_url(self, client, cast):
        workshop = await create(client, cast.host)
        url = f"{WORKSHOPS}/{workshop['id']}"
        assert bad_fields(await client.patch(url, headers=auth(cast.host), json={"venue": None})) == ["venue"]
        response = await client.patch(url, headers=auth(cast.host),
                                      json={"venue": None, "online_url": "https://meet.example.org/x"})
        assert response.json()["venue"] is None

    async def test_only_the_host(self, client, cast):
        workshop = await create(client, cast.host)
        url = f"{WORKSHOPS}/{workshop['id']}"
        problem(await client.patch(url, json={"title": "Mine"}), 401, "not-authenticated")
        # those who may see the draft are refused; for the others it does not exist (finding 13)
        for other in (cast.organizer, cast.admin):
            problem(await client.patch(url, json={"title": "Mine"}, headers=auth(other)), 403, "forbidden")
        for outsider in (cast.participant, cast.other_host, cast.other_organizer):
            problem(await client.patch(url, json={"title": "Mine"}, headers=auth(outsider)), 404, "not-found")
        assert (await client.get(url, headers=auth(cast.host))).json()["title"] == "Fix your bike"

    @pytest.mark.parametrize("patch,field", [
        ({"capacity": 0}, "capacity"), ({"payment": "on_site"}, "price_cents"),
        ({"currency": "ABC"}, "currency"), ({"title": ""}, "title"),
        ({"venue": {"name": "x", "address": "y", "lat": 100, "lon": 0}}, "venue.lat"),
    ])
    async def test_bad_input(self, client, cast, patch, field):
        workshop = await create(client, cast.host)
        response = await client.patch(f"{WORKSHOPS}/{workshop['id']}", json=patch, headers=auth(cast.host))
        assert field in bad_fields(response)

    async def test_stripe_without_payments_is_refused(self, client, cast):
        workshop = await create(client, cast.host)
        response = await client.patch(f"{WORKSHOPS}/{workshop['id']}", headers=auth(cast.host),
                                      json={"payment": "stripe", "price_cents": 900})
        problem(response, 409, "payments-not-configured")

    async def test_closed_workshops_cannot_change(self, client, cast):
        workshop = await make_workshop(host=cast.host, community=cast.community, status="cancelled")
        response = await client.patch(f"{WORKSHOPS}/{workshop['id']}", headers=auth(cast.host),
                                      json={"title": "Again"})
        problem(response, 409, "invalid-state")

    async def test_unknown_workshop(self, client, cast):
        problem(await client.patch(f"{WORKSHOPS}/424242", headers=auth(cast.host), json={}), 404, "not-found")


class TestModeration:
    async def test_submit_then_approve(self, client, cast, notifier, clock):
        workshop = await create(client, cast.host)
        url = f"{WORKSHOPS}/{workshop['id']}"
        response = await client.post(f"{url}/submit", headers=auth(cast.host))
        assert response.status_code == 200 and response.json()["status"] == "submitted"
        assert notifier.names() == ["WorkshopSubmitted"]
        submitted = notifier.events[0]
        assert (submitted.workshop_id, submitted.community_id, submitted.host_id) == (
            workshop["id"], cast.community["id"], cast.host["id"])
        clock.advance(hours=2)
        response = await client.post(f"{url}/approve", headers=auth(cast.organizer))
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "published" and body["published_at"].startswith("2026-12-01T11:00:00")
        assert notifier.names() == ["WorkshopSubmitted", "WorkshopApproved"]
        assert (await client.get(url)).status_code == 200  # public now

    async def test_submit_publishes_at_once_without_moderation(self, client, cast, notifier):
        from tests.factories import make_community

        open_community = await make_community(slug="open-village", moderation=False)
        workshop = await create(client, cast.host, community=open_community["slug"])
        response = await client.post(f"{WORKSHOPS}/{workshop['id']}/submit", headers=auth(cast.host))
        assert response.json()["status"] == "published" and response.json()["published_at"]
        assert notifier.names() == []

    async def test_reject_then_resubmit(self, client, cast, notifier):
        workshop = await create(client, cast.host)
        url = f"{WORKSHOPS}/{workshop['id']}"
        await client.post(f"{url}/submit", headers=auth(cast.host))
        response = await client.post(f"{url}/reject", headers=auth(cast.organizer),
                                     json={"reason": "Please add the address."})
        assert response.status_code == 200
        assert response.json()["status"] == "rejected"
        assert response.json()["rejection_reason"] == "Please add the address."
        assert notifier.events[-1].reason == "Please add the address."
        assert (await client.get(url)).status_code == 404
        response = await client.post(f"{url}/submit", headers=auth(cast.host))
        assert response.json()["status"] == "submitted" and response.json()["rejection_reason"] is None

    async def test_admin_may_approve(self, client, cast):
        workshop = await make_workshop(host=cast.host, community=cast.community, status="submitted")
        response = await client.post(f"{WORKSHOPS}/{workshop['id']}/approve", headers=auth(cast.admin))
        assert response.json()["status"] == "published"

    async def test_who_may_moderate(self, client, cast, notifier):
        workshop = await make_workshop(host=cast.host, community=cast.community, status="submitted")
        url = f"{WORKSHOPS}/{workshop['id']}"
        for action, body in (("approve", None), ("reject", {"reason": "no"})):
            problem(await client.post(f"{url}/{action}", json=body), 401, "not-authenticated")
            problem(await client.post(f"{url}/{action}", json=body, headers=auth(cast.host)), 403, "forbidden")
            # a submitted workshop does not exist for those who may not see it (finding 13)
            for user in (cast.participant, cast.other_host, cast.other_organizer):
                problem(await client.post(f"{url}/{action}", json=body, headers=auth(user)), 404, "not-found")
        assert notifier.events == []

    async def test_only_the_host_submits(self, client, cast):
        workshop = await create(client, cast.host)
        url = f"{WORKSHOPS}/{workshop['id']}/submit"
        problem(await client.post(url), 401, "not-authenticated")
        problem(await client.post(url, headers=auth(cast.organizer)), 403, "forbidden")
        for user in (cast.participant, cast.other_host, cast.other_organizer):  # finding 13: 404
            problem(await client.post(url, headers=auth(user)), 404, "not-found")

    @pytest.mark.parametrize("status", ["draft", "published", "rejected", "cancelled", "archived"])
    async def test_approve_and_reject_only_submitted(self, client, cast, status):
        workshop = await make_workshop(host=cast.host, community=cast.community, status=status)
        url = f"{WORKSHOPS}/{workshop['id']}"
        problem(await client.post(f"{url}/approve", headers=auth(cast.organizer)), 409, "invalid-state")
        problem(await client.post(f"{url}/reject", headers=auth(cast.organizer), json={"reason": "x"}),
                409, "invalid-state")

    @pytest.mark.parametrize("status", ["submitted", "published", "cancelled", "archived"])
    async def test_submit_only_drafts_and_rejected(self, client, cast, status):
        workshop = await make_workshop(host=cast.host, community=cast.community, status=status)
        problem(await client.post(f"{WORKSHOPS}/{workshop['id']}/submit", headers=auth(cast.host)),
                409, "invalid-state")

    @pytest.mark.parametrize("body,field", [
        ({}, "reason"), ({"reason": ""}, "reason"), ({"reason": "   "}, "reason"),
        ({"reason": "x" * 1001}, "reason"), ({"reason": 12}, "reason"), ({"reason": "a\u0000b"}, "reason"),
    ])
    async def test_reject_needs_a_reason(self, client, cast, body, field):
        workshop = await make_workshop(host=cast.host, community=cast.community, status="submitted")
        response = await client.post(f"{WORKSHOPS}/{workshop['id']}/reject", json=body,
                                     headers=auth(cast.organizer))
        body = problem(response, 400, "validation-error")
        assert field in body["detail"]

    async def test_unknown_workshop(self, client, cast):
        for action in ("submit", "approve"):
            problem(await client.post(f"{WORKSHOPS}/424242/{action}", headers=auth(cast.admin)), 404, "not-found")
