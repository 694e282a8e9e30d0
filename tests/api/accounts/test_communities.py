"""Communities and their organizers over HTTP."""
from __future__ import annotations

import asyncio

import pytest

from accounts.tables import Community, Organizer
from tests.api.accounts.conftest import error_fields, problem_slug
from tests.factories import auth, make_community, make_user

COMMUNITIES = "/api/v1/communities"


def belleville(**overrides):
    body = {"slug": "belleville", "name": "Belleville", "timezone": "Europe/Paris",
            "locale": "fr", "lat": 48.872, "lon": 2.384}
    body.update(overrides)
    return body


class TestCreateCommunity:
    async def test_admin_creates_it(self, client, admin):
        response = await client.post(COMMUNITIES, headers=auth(admin), json=belleville())
        assert response.status_code == 201, response.text
        body = response.json()
        assert body == {"id": body["id"], "slug": "belleville", "name": "Belleville",
                        "timezone": "Europe/Paris", "locale": "fr", "lat": 48.872, "lon": 2.384,
                        "moderation": True}
        assert (await client.get(f"{COMMUNITIES}/belleville")).json() == body

    async def test_defaults(self, client, admin):
        response = await client.post(COMMUNITIES, headers=auth(admin),
                                     json={"slug": "arles", "name": "Arles", "timezone": "UTC"})
        assert response.status_code == 201
        body = response.json()
        assert (body["locale"], body["lat"], body["lon"], body["moderation"]) == ("en", None, None, True)

    async def test_moderation_can_be_off(self, client, admin):
        response = await client.post(COMMUNITIES, headers=auth(admin), json=belleville(moderation=False))
        assert response.json()["moderation"] is False

    async def test_duplicate_slug_is_409(self, client, admin):
        await make_community(slug="belleville")
        response = await client.post(COMMUNITIES, headers=auth(admin), json=belleville())
        assert response.status_code == 409 and problem_slug(response) == "invalid-state"
        assert "belleville" in response.json()["detail"]
        assert await Community.count() == 1

    async def test_concurrent_duplicates_make_one_row(self, client, admin):
        answers = await asyncio.gather(*[
            client.post(COMMUNITIES, headers=auth(admin), json=belleville()) for _ in range(5)])
        assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409]
        assert await Community.count() == 1

    async def test_participant_is_forbidden(self, client, participant):
        response = await client.post(COMMUNITIES, headers=auth(participant), json=belleville())
        assert response.status_code == 403 and problem_slug(response) == "forbidden"
        assert await Community.count() == 0

    async def test_organizer_of_another_community_is_forbidden(self, client):
        organizer = await make_user()
        await make_community(organizers=(organizer,))
        response = await client.post(COMMUNITIES, headers=auth(organizer), json=belleville())
        assert response.status_code == 403

    async def test_anonymous_is_401(self, client):
        response = await client.post(COMMUNITIES, json=belleville())
        assert response.status_code == 401 and problem_slug(response) == "not-authenticated"

    @pytest.mark.parametrize("field, value", [
        ("slug", "Belleville"), ("slug", "-belleville"), ("slug", "b"), ("slug", "a" * 64),
        ("slug", "belle ville"), ("slug", "belléville"), ("slug", 3),
        ("name", ""), ("name", "   "), ("name", "n" * 201),
        ("timezone", "Paris"), ("timezone", None), ("locale", "it"),
        ("lat", 91), ("lat", -90.5), ("lon", 180.01), ("lon", "east"), ("moderation", "yes"),
    ])
    async def test_bad_input_names_the_field(self, client, admin, field, value):
        response = await client.post(COMMUNITIES, headers=auth(admin), json=belleville(**{field: value}))
        assert response.status_code == 400, response.text
        assert problem_slug(response) == "validation-error"
        assert field in error_fields(response)
        assert await Community.count() == 0

    @pytest.mark.parametrize("missing", ["slug", "name", "timezone"])
    async def test_missing_field(self, client, admin, missing):
        body = belleville()
        del body[missing]
        response = await client.post(COMMUNITIES, headers=auth(admin), json=body)
        assert response.status_code == 400 and f"`{missing}`" in response.json()["detail"]

    async def test_longest_slug_is_fine(self, client, admin):
        response = await client.post(COMMUNITIES, headers=auth(admin), json=belleville(slug="a" * 63))
        assert response.status_code == 201


class TestChangeCommunity:
    async def test_admin_changes_every_field_but_the_slug(self, client, admin):
        await client.post(COMMUNITIES, headers=auth(admin), json=belleville())
        change = {"name": "Belleville-Ménilmontant", "timezone": "America/Montreal", "locale": "en",
                  "lat": 45.5, "lon": -73.6, "moderation": False}
        response = await client.patch(f"{COMMUNITIES}/belleville", headers=auth(admin), json=change)
        assert response.status_code == 200, response.text
        assert response.json() == {"id": response.json()["id"], "slug": "belleville", **change}
        assert (await client.get(f"{COMMUNITIES}/belleville")).json() == response.json()

    async def test_only_what_the_body_names_changes(self, client, admin):
        created = (await client.post(COMMUNITIES, headers=auth(admin), json=belleville())).json()
        response = await client.patch(f"{COMMUNITIES}/belleville", headers=auth(admin), json={"lat": None})
        assert response.json() == {**created, "lat": None}
        assert (await client.patch(f"{COMMUNITIES}/belleville", headers=auth(admin), json={})).json() == \
            {**created, "lat": None}

    async def test_turning_moderation_off_publishes_nothing(self, client, admin):
        host = await make_user()
        community = await make_community(moderation=True)
        from tests.factories import make_workshop

        waiting = await make_workshop(host=host, community=community, status="submitted")
        response = await client.patch(f"{COMMUNITIES}/{community['slug']}", headers=auth(admin),
                                      json={"moderation": False})
        assert response.status_code == 200 and response.json()["moderation"] is False
        from workshops.tables import Workshop

        assert await Workshop.select(Workshop.status).where(Workshop.id == waiting["id"]).first() == \
            {"status": "submitted"}

    @pytest.mark.parametrize("who, status", [("participant", 403), ("organizer", 403), ("anonymous", 401)])
    async def test_only_admins(self, client, who, status):
        organizer = await make_user()
        community = await make_community(organizers=(organizer,), name="Arles")
        user = {"participant": await make_user(), "organizer": organizer, "anonymous": None}[who]
        response = await client.patch(f"{COMMUNITIES}/{community['slug']}", json={"name": "Pwned"},
                                      headers=auth(user) if user else {})
        assert response.status_code == status
        assert (await client.get(f"{COMMUNITIES}/{community['slug']}")).json()["name"] == "Arles"

    async def test_an_unknown_community_is_404(self, client, admin):
        response = await client.patch(f"{COMMUNITIES}/nowhere", headers=auth(admin), json={"name": "X"})
        assert response.status_code == 404 and problem_slug(response) == "not-found"

    @pytest.mark.parametrize("field, value", [
        ("name", ""), ("name", "   "), ("name", "n" * 201), ("name", "a\u202eb"), ("timezone", "Paris"),
        ("timezone", None), ("locale", "it"), ("lat", 91), ("lon", "east"), ("moderation", "yes"),
        ("slug", "other"),
    ])
    async def test_bad_input_names_the_field_and_changes_nothing(self, client, admin, field, value):
        created = (await client.post(COMMUNITIES, headers=auth(admin), json=belleville())).json()
        response = await client.patch(f"{COMMUNITIES}/belleville", headers=auth(admin),
                                      json={"name": "Changed", field: value} if field != "name" else {field: value})
        assert response.status_code == 400, response.text
        assert problem_slug(response) == "validation-error"
        assert field in error_fields(response) or field in response.json()["detail"]
        assert (await client.get(f"{COMMUNITIES}/belleville")).json() == created


class TestReadCommunities:
    async def test_list_is_paginated(self, client):
        for name in ("Cergy", "Arles", "Bastia"):
            await make_community(name=name, slug=name.lower())
        response = await client.get(COMMUNITIES)
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 3 and [c["slug"] for c in body["items"]] == ["arles", "bastia", "cergy"]
        page = (await client.get(COMMUNITIES, params={"limit": 1, "offset": 1})).json()
        assert page["total"] == 3 and [c["slug"] for c in page["items"]] == ["bastia"]
        assert set(page["items"][0]) == {"id", "slug", "name", "timezone", "locale", "lat", "lon",
                                         "moderation"}

    @pytest.mark.parametrize("params, field", [({"limit": 0}, "limit"), ({"limit": 201}, "limit"),
                                               ({"limit": "x"}, "limit"), ({"offset": -1}, "offset")])
    async def test_bad_paging_is_400(self, client, params, field):
        response = await client.get(COMMUNITIES, params=params)
        assert response.status_code == 400 and field in error_fields(response)

    async def test_unknown_slug_is_404(self, client):
        response = await client.get(f"{COMMUNITIES}/nowhere")
        assert response.status_code == 404 and problem_slug(response) == "not-found"


class TestNameOrganizer:
    async def test_admin_names_an_organizer_by_email(self, client, admin):
        community = await make_community(slug="belleville")
        user = await make_user(email="orga@example.org", display_name="Orga")
        response = await client.post(f"{COMMUNITIES}/belleville/organizers", headers=auth(admin),
                                      json={"email": "ORGA@example.org"})
        assert response.status_code == 201, response.text
        assert response.json() == {"community": "belleville", "user_id": user["id"],
                                   "email": "orga@example.org", "display_name": "Orga"}
        me = await client.get("/api/v1/me", headers=auth(user))
        assert me.json()["organizer_of"] == ["belleville"]
        assert await Organizer.count().where(Organizer.community == community["id"]) == 1

    async def test_naming_twice_is_idempotent(self, client, admin):
        await make_community(slug="belleville")
        user = await make_user()
        url = f"{COMMUNITIES}/belleville/organizers"
        first = await client.post(url, headers=auth(admin), json={"email": user["email"]})
        again = await client.post(url, headers=auth(admin), json={"email": user["email"]})
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        assert await Organizer.count() == 1

    async def test_concurrent_namings_make_one_row(self, client, admin):
        await make_community(slug="belleville")
        user = await make_user()
        answers = await asyncio.gather(*[
            client.post(f"{COMMUNITIES}/belleville/organizers", headers=auth(admin),
                        json={"email": user["email"]}) for _ in range(4)])
        assert all(a.status_code in (200, 201) for a in answers)
        assert [a.status_code for a in answers].count(201) == 1
        assert await Organizer.count() == 1

    async def test_unknown_email_is_404(self, client, admin):
        await make_community(slug="belleville")
        response = await client.post(f"{COMMUNITIES}/belleville/organizers", headers=auth(admin),
                                     json={"email": "nobody@example.org"})
        assert response.status_code == 404 and problem_slug(response) == "not-found"

    async def test_unknown_community_is_404(self, client, admin, participant):
        response = await client.post(f"{COMMUNITIES}/nowhere/organizers", headers=auth(admin),
                                     json={"email": participant["email"]})
        assert response.status_code == 404

    async def test_only_an_admin(self, client, participant):
        organizer = await make_user()
        await make_community(slug="belleville", organizers=(organizer,))
        url = f"{COMMUNITIES}/belleville/organizers"
        for who in (participant, organizer):  # not even an organizer of that community
            response = await client.post(url, headers=auth(who), json={"email": participant["email"]})
            assert response.status_code == 403 and problem_slug(response) == "forbidden"
        assert (await client.post(url, json={"email": participant["email"]})).status_code == 401
        assert await Organizer.count() == 1

    @pytest.mark.parametrize("body", [{}, {"email": 5}, {"email": None}])
    async def test_bad_body_is_400(self, client, admin, body):
        await make_community(slug="belleville")
        response = await client.post(f"{COMMUNITIES}/belleville/organizers", headers=auth(admin),
                                     json=body)
        assert response.status_code == 400 and "email" in response.json()["detail"]
