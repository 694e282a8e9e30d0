"""Recipes through the API (issue 24): publishing a workshop that ran, the listing and search,
copying into another community, the record across a lineage, and what each role is refused."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from booking.tables import Feedback
from tests.conftest import T0
from tests.factories import (
    auth,
    make_booking_row,
    make_community,
    make_session,
    make_user,
    make_workshop,
)
from tests.statements import counting
from workshops.tables import Recipe, Workshop

PAST = T0 - dt.timedelta(days=7)
RECIPE = {"materials": ["Tyre levers", "A pump"], "steps": ["Take the wheel off", "Find the hole", "Patch it"],
          "duration_minutes": 120, "group_size": 8, "cost_note": "Patches: 5 € for the group",
          "licence": "CC-BY-SA-4.0"}


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith("/" + slug), body
    return body


def bad_fields(response) -> list[str]:
    return [e["field"] for e in problem(response, 400, "validation-error")["errors"]]


async def ran_workshop(host=None, community=None, **overrides) -> dict[str, Any]:
    """A published workshop with one session that ended a week before T0."""
    host, community = host or await make_user(), community or await make_community()
    workshop = await make_workshop(host=host, community=community, **overrides)
    workshop.update(host=host, community=community)
    workshop["session"] = await make_session(workshop, starts_at=PAST)
    return workshop


async def publish(client, workshop, body=None, user=None):
    return await client.put(f"/api/v1/workshops/{workshop['id']}/recipe", json=body or RECIPE,
                            headers=auth(user or workshop["host"]))


async def counts() -> tuple[int, int]:
    return await Recipe.count(), await Workshop.count()


class TestPublish:
    async def test_a_workshop_that_ran_publishes_its_recipe(self, client):
        workshop = await ran_workshop()
        response = await publish(client, workshop)
        assert response.status_code == 200, response.text
        recipe = response.json()
        assert recipe["workshop_id"] == workshop["id"]
        assert (recipe["title"], recipe["summary"], recipe["category"]) == (
            workshop["title"], workshop["summary"], workshop["category"])
        assert recipe["materials"] == RECIPE["materials"] and recipe["steps"] == RECIPE["steps"]
        assert recipe["licence"] == "CC-BY-SA-4.0"
        assert recipe["licence_url"] == "https://creativecommons.org/licenses/by-sa/4.0/"
        assert recipe["author"] == {"id": workshop["host"]["id"], "display_name": workshop["host"]["display_name"]}
        assert recipe["copied_from"] is None and recipe["copies"] == []
        assert recipe["runs"] == {"sessions": 1, "communities": 1, "attended_seats": 0,
                                  "rating": {"average": None, "count": 0}}
        assert (await client.get(f"/api/v1/recipes/{recipe['id']}")).json() == recipe

    async def test_the_recipe_keeps_its_text_until_published_again(self, client):
        # without moderation the edit is published at once (moderated, it would wait as a
        # revision and the recipe would snapshot the published title still)
        workshop = await ran_workshop(community=await make_community(moderation=False))
        recipe_id = (await publish(client, workshop)).json()["id"]
        response = await client.patch(f"/api/v1/workshops/{workshop['id']}", json={"title": "Bikes, fixed"},
                                      headers=auth(workshop["host"]))
        assert response.status_code == 200, response.text
        assert (await client.get(f"/api/v1/recipes/{recipe_id}")).json()["title"] == workshop["title"]
        again = await publish(client, workshop, {**RECIPE, "licence": "CC0-1.0"})
        assert again.json()["id"] == recipe_id  # the same recipe, refreshed
        assert (again.json()["title"], again.json()["licence"]) == ("Bikes, fixed", "CC0-1.0")
        assert await Recipe.count() == 1

    @pytest.mark.parametrize("when", ["none", "future", "cancelled", "running"])
    async def test_a_workshop_that_never_ran_is_409(self, client, when):
        host = await make_user()
        workshop = await make_workshop(host=host)
        workshop["host"] = host
        if when == "future":
            await make_session(workshop, starts_at=T0 + dt.timedelta(days=1))
        elif when == "cancelled":
            await make_session(workshop, starts_at=PAST, status="cancelled")
        elif when == "running":
            await make_session(workshop, starts_at=T0 - dt.timedelta(hours=1))
        problem(await publish(client, workshop), 409, "invalid-state")
        assert await Recipe.count() == 0

    @pytest.mark.parametrize("overrides,field", [
        ({"licence": "MIT"}, "licence"),
        ({"licence": None}, "licence"),
        ({"steps": []}, "steps"),
        ({"steps": ["  ", ""]}, "steps"),
        ({"steps": ["ok", "n\u0000ul"]}, "steps"),
        ({"steps": ["x" * 2001]}, "steps"),
        ({"steps": ["x"] * 61}, "steps"),
        ({"materials": ["m" * 301]}, "materials"),
        ({"materials": ["bad\u202eside"]}, "materials"),
        ({"materials": "a pump"}, "materials"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 10**9}, "duration_minutes"),
        ({"group_size": 0}, "group_size"),
        ({"cost_note": "c" * 301}, "cost_note"),
        ({"cost_note": "free\u0000"}, "cost_note"),
        ({"colour": "red"}, "body"),  # an unknown field: a misspelt one must not look saved
    ])
    async def test_bad_input_names_the_field_and_writes_nothing(self, client, overrides, field):
        workshop = await ran_workshop()
        fields = bad_fields(await publish(client, workshop, {**RECIPE, **overrides}))
        assert any(f == field or f.startswith(field + "[") for f in fields), fields
        assert await Recipe.count() == 0

    async def test_missing_steps_is_400_naming_steps(self, client):
        workshop = await ran_workshop()
        body = {k: v for k, v in RECIPE.items() if k != "steps"}
        assert bad_fields(await publish(client, workshop, body)) == ["steps"]

    @pytest.mark.parametrize("who,status,slug", [
        ("anonymous", 401, "not-authenticated"), ("participant", 404, "not-found"),
        ("other_host", 404, "not-found"), ("organizer", 403, "forbidden"), ("admin", 403, "forbidden"),
    ])
    async def test_only_the_host_publishes(self, client, who, status, slug):
        organizer = await make_user()
        workshop = await ran_workshop(community=await make_community(organizers=(organizer,)),
                                      status="submitted")
        other_host = await make_user()
        await make_workshop(host=other_host)
        people = {"participant": await make_user(), "other_host": other_host,
                  "organizer": organizer, "admin": await make_user(is_admin=True)}
        headers = auth(people[who]) if who in people else {}
        response = await client.put(f"/api/v1/workshops/{workshop['id']}/recipe", json=RECIPE, headers=headers)
        problem(response, status, slug)
        assert await Recipe.count() == 0

    async def test_unknown_workshop_is_404(self, client):
        user = await make_user()
        response = await client.put("/api/v1/workshops/999999/recipe", json=RECIPE, headers=auth(user))
        problem(response, 404, "not-found")


class TestList:
    async def test_text_and_category_search(self, client):
        bike = await ran_workshop(title="Fix your bike", category="repair")
        bread = await ran_workshop(title="Sourdough", summary="Bread from scratch", category="Cooking")
        await publish(client, bike)
        await publish(client, bread, {**RECIPE, "materials": ["Levain", "Farine de blé"]})
        listing = (await client.get("/api/v1/recipes")).json()
        assert listing["total"] == 2 and {r["title"] for r in listing["items"]} == {"Fix your bike", "Sourdough"}

        async def titles(**params):
            body = (await client.get("/api/v1/recipes", params=params)).json()
            return sorted(r["title"] for r in body["items"]), body["total"]

        assert await titles(q="BREAD") == (["Sourdough"], 1)
        assert await titles(q="farine") == (["Sourdough"], 1)  # in the materials
        assert await titles(q="wheel") == (["Fix your bike", "Sourdough"], 2)  # in the steps
        assert await titles(category="cooking") == (["Sourdough"], 1)
        assert await titles(category="cooking", q="bike") == ([], 0)
        assert await titles(q="100%") == ([], 0)
        assert await titles(limit=1, offset=5) == ([], 2)

    @pytest.mark.parametrize("params", [{"q": "a\u0000b"}, {"limit": 0}, {"offset": -1}, {"category": "c" * 41}])
    async def test_bad_parameters_are_400(self, client, params):
        problem(await client.get("/api/v1/recipes", params=params), 400, "validation-error")

    async def test_unknown_recipe_is_404(self, client):
        problem(await client.get("/api/v1/recipes/999999"), 404, "not-found")
        problem(await client.get("/api/v1/recipes/99999999999999"), 404, "not-found")


class TestCopy:
    async def test_a_verified_user_copies_into_a_draft_of_their_community(self, client):
        source = await ran_workshop()
        recipe = (await publish(client, source)).json()
        other = await make_community(slug="croix-rousse", locale="fr")
        copier = await make_user()
        response = await client.post(f"/api/v1/recipes/{recipe['id']}/copy", json={"community": "croix-rousse"},
                                     headers=auth(copier))
        assert response.status_code == 201, response.text
        draft = response.json()
        assert (draft["status"], draft["community"], draft["recipe_id"]) == ("draft", other["slug"], recipe["id"])
        assert draft["host"]["id"] == copier["id"]
        assert (draft["title"], draft["summary"], draft["category"]) == (
            recipe["title"], recipe["summary"], recipe["category"])
        assert "Tyre levers" in draft["description"] and "Patch it" in draft["description"]
        assert "Matériel" in draft["description"]  # headed in the community's language
        assert draft["capacity"] == 8 and draft["venue"] is None and draft["language"] == "fr"
        # no place yet: it cannot be submitted before the host adds one
        submitted = await client.post(f"/api/v1/workshops/{draft['id']}/submit", headers=auth(copier))
        assert bad_fields(submitted) == ["venue"]

    async def test_the_copy_s_recipe_names_where_it_came_from(self, client, clock):
        source = await ran_workshop()
        recipe = (await publish(client, source)).json()
        community = await make_community()
        copier = await make_user()
        draft = (await client.post(f"/api/v1/recipes/{recipe['id']}/copy", json={"community": community["slug"]},
                                   headers=auth(copier))).json()
        await Workshop.update({Workshop.status: "published", Workshop.published_at: T0}).where(
            Workshop.id == draft["id"])
        await make_session({"id": draft["id"], "capacity": 8}, starts_at=T0 + dt.timedelta(days=1))
        clock.set(T0 + dt.timedelta(days=2))
        copier_token = {"Authorization": auth(copier)["Authorization"]}
        copy = await client.put(f"/api/v1/workshops/{draft['id']}/recipe", json=RECIPE, headers=copier_token)
        assert copy.status_code == 200, copy.text
        assert copy.json()["copied_from"] == recipe["id"]
        assert copy.json()["copied_from_recipe"]["id"] == recipe["id"]
        original = (await client.get(f"/api/v1/recipes/{recipe['id']}")).json()
        assert [c["id"] for c in original["copies"]] == [copy.json()["id"]]

    @pytest.mark.parametrize("body,status,slug", [
        ({"community": "atlantis"}, 404, "not-found"),
        ({"community": "bell\u0000ville"}, 400, "validation-error"),
        ({"community": ""}, 400, "validation-error"),
        ({}, 400, "validation-error"),
        ({"community": "x", "title": "y"}, 400, "validation-error"),
    ])
    async def test_bad_input_writes_nothing(self, client, body, status, slug):
        recipe = (await publish(client, await ran_workshop())).json()
        before = await counts()
        response = await client.post(f"/api/v1/recipes/{recipe['id']}/copy", json=body,
                                     headers=auth(await make_user()))
        problem(response, status, slug)
        assert await counts() == before

    async def test_unknown_recipe_is_404(self, client):
        community = await make_community()
        response = await client.post("/api/v1/recipes/999999/copy", json={"community": community["slug"]},
                                     headers=auth(await make_user()))
        problem(response, 404, "not-found")

    async def test_refused_to_anonymous_and_unverified(self, client):
        recipe = (await publish(client, await ran_workshop())).json()
        community = await make_community()
        before = await counts()
        url = f"/api/v1/recipes/{recipe['id']}/copy"
        problem(await client.post(url, json={"community": community["slug"]}), 401, "not-authenticated")
        unverified = await make_user(verified=False)
        problem(await client.post(url, json={"community": community["slug"]}, headers=auth(unverified)),
                403, "email-not-verified")
        assert await counts() == before

    async def test_copies_count_against_the_workshops_created_quota(self, client, settings):
        from accounts.quotas import QUOTAS, WORKSHOP_CREATED

        recipe = (await publish(client, await ran_workshop())).json()
        community = await make_community()
        copier = await make_user()
        limit = QUOTAS[WORKSHOP_CREATED][0].limit
        url = f"/api/v1/recipes/{recipe['id']}/copy"
        for _ in range(limit):
            assert (await client.post(url, json={"community": community["slug"]},
                                      headers=auth(copier))).status_code == 201
        before = await counts()
        response = await client.post(url, json={"community": community["slug"]}, headers=auth(copier))
        problem(response, 429, "rate-limited")
        assert "retry-after" in response.headers
        assert await counts() == before


async def rate(booking: dict[str, Any], rating: int) -> None:
    await Feedback.insert(Feedback(booking=booking["id"], rating=rating, comment="", created_at=T0))


class TestRecord:
    async def test_counts_across_a_chain_of_three_copies_in_three_communities(self, client, clock):
        """The origin in community A; copied into B, B's copy into C, C's copy into D (the same
        community as B). Each held sessions; the record of any recipe counts its own lineage
        downwards: the origin's counts every workshop."""
        a, b, c = await make_community(), await make_community(), await make_community()
        origin = await ran_workshop(community=a)
        attendee = await make_user()
        # the origin: two sessions held, one cancelled, one to come; 3 seats attended, one no-show
        held = origin["session"]
        second = await make_session(origin, starts_at=PAST + dt.timedelta(days=1))
        await make_session(origin, starts_at=PAST + dt.timedelta(days=2), status="cancelled")
        await make_session(origin, starts_at=T0 + dt.timedelta(days=3))
        b1 = await make_booking_row(held, attendee, seats=2, attendance="attended")
        b2 = await make_booking_row(second, attendee, seats=1, attendance="attended")
        await make_booking_row(second, await make_user(), seats=3, attendance="no_show")
        await make_booking_row(held, await make_user(), seats=4, status="cancelled", attendance="attended")
        await rate(b1, 5)
        await rate(b2, 4)
        recipe = (await publish(client, origin)).json()

        async def copy_and_run(recipe_id: int, community: dict, attended: int, rating: int) -> dict:
            host = await make_user()
            draft = (await client.post(f"/api/v1/recipes/{recipe_id}/copy", json={"community": community["slug"]},
                                       headers=auth(host))).json()
            await Workshop.update({Workshop.status: "published", Workshop.published_at: PAST}).where(
                Workshop.id == draft["id"])
            session = await make_session({"id": draft["id"], "capacity": 10}, starts_at=PAST)
            booking = await make_booking_row(session, await make_user(), seats=attended, attendance="attended")
            await rate(booking, rating)
            response = await client.put(f"/api/v1/workshops/{draft['id']}/recipe", json=RECIPE, headers=auth(host))
            assert response.status_code == 200, response.text
            return response.json()

        first = await copy_and_run(recipe["id"], b, attended=2, rating=3)
        second_copy = await copy_and_run(first["id"], c, attended=1, rating=2)
        third = await copy_and_run(second_copy["id"], b, attended=5, rating=5)
        # a draft copied but never run, and a workshop elsewhere, count nothing
        await client.post(f"/api/v1/recipes/{third['id']}/copy", json={"community": a["slug"]},
                          headers=auth(await make_user()))
        await ran_workshop(community=c)

        def runs(r):
            return r["runs"]

        origin_record = (await client.get(f"/api/v1/recipes/{recipe['id']}")).json()
        assert runs(origin_record) == {"sessions": 5, "communities": 3, "attended_seats": 3 + 2 + 1 + 5,
                                       "rating": {"average": round((5 + 4 + 3 + 2 + 5) / 5, 2), "count": 5}}
        assert runs((await client.get(f"/api/v1/recipes/{first['id']}")).json()) == {
            "sessions": 3, "communities": 2, "attended_seats": 8,
            "rating": {"average": round(10 / 3, 2), "count": 3}}
        assert runs((await client.get(f"/api/v1/recipes/{third['id']}")).json()) == {
            "sessions": 1, "communities": 1, "attended_seats": 5, "rating": {"average": None, "count": 1}}
        # the lineage: each names its parent, each parent its copy
        assert (first["copied_from"], second_copy["copied_from"], third["copied_from"]) == (
            recipe["id"], first["id"], second_copy["id"])
        assert [x["id"] for x in origin_record["copies"]] == [first["id"]]

    async def test_the_record_is_one_statement_whatever_the_lineage(self, client):
        """A recipe page costs three statements (recipe, lineage, record), with no copies as with
        two generations of them."""
        origin = await ran_workshop()
        recipe = (await publish(client, origin)).json()
        url = f"/api/v1/recipes/{recipe['id']}"

        async def statements() -> int:
            await client.get(url)
            with counting() as seen:
                assert (await client.get(url)).status_code == 200
            return seen.count

        alone = await statements()
        parent = recipe["id"]
        for _ in range(2):
            host = await make_user()
            draft = (await client.post(f"/api/v1/recipes/{parent}/copy", json={"community": origin["community"]["slug"]},
                                       headers=auth(host))).json()
            await Workshop.update({Workshop.status: "published", Workshop.published_at: PAST}).where(
                Workshop.id == draft["id"])
            session = await make_session({"id": draft["id"], "capacity": 10}, starts_at=PAST)
            await make_booking_row(session, await make_user(), attendance="attended")
            parent = (await client.put(f"/api/v1/workshops/{draft['id']}/recipe", json=RECIPE,
                                       headers=auth(host))).json()["id"]
        assert (await client.get(url)).json()["runs"]["sessions"] == 3
        assert await statements() == alone <= 3

    async def test_an_erased_author_s_recipe_stays_as_a_former_member_s(self, client):
        workshop = await ran_workshop()
        recipe = (await publish(client, workshop)).json()
        exported = (await client.get("/api/v1/me/export", headers=auth(workshop["host"]))).json()
        assert [r["id"] for r in exported["recipes"]] == [recipe["id"]]
        assert exported["recipes"][0]["steps"] == RECIPE["steps"]
        assert (await client.delete("/api/v1/me", headers=auth(workshop["host"]))).status_code == 204
        after = (await client.get(f"/api/v1/recipes/{recipe['id']}")).json()
        assert after["author"]["display_name"] == "a former member"
        assert after["steps"] == RECIPE["steps"]
        listed = (await client.get("/api/v1/recipes")).json()["items"]
        assert listed[0]["author"]["display_name"] == "a former member"
