"""The recipe pages over HTTP (issue 24): the listing with its search, a recipe's page (record,
lineage, licence link, "Run it in my neighbourhood"), the host's publish form, in English and
French; every page × the roles that must be refused, and nothing written on a refusal."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.api.recipes.test_recipes import PAST, publish
from tests.api.web.test_host_pages import log_in
from tests.api.workshops.test_pages import BROWSER
from tests.api.workshops.test_pages import html_page as outline
from tests.factories import make_community, make_session, make_user, make_workshop
from workshops.tables import Recipe, Workshop

FORM = {"materials": "Tyre levers\nA pump\n", "steps": "Take the wheel off\n\nPatch it\n",
        "duration_minutes": "90", "group_size": "", "cost_note": "About 5 €", "licence": "CC-BY-4.0"}


class Page:
    def __init__(self, response, status: int) -> None:
        page = outline(response, status)
        self.title, self.text_content, self.raw = page.title, page.visible, response.text


def html_page(response, status: int = 200) -> Page:
    return Page(response, status)


@pytest.fixture
async def cast(client) -> dict[str, Any]:
    organizer = await make_user()
    community = await make_community(organizers=(organizer,), slug="belleville", name="Belleville")
    other = await make_community(slug="croix-rousse", name="Croix-Rousse")
    host = await make_user(display_name="Amina")
    workshop = await make_workshop(host=host, community=community, title="Bike repair", category="repair")
    await make_session(workshop, starts_at=PAST)
    fresh = await make_workshop(host=host, community=community, title="Never ran")
    await make_session(fresh, starts_at=PAST + dt.timedelta(days=30))
    return {"community": community, "other": other, "host": host, "organizer": organizer,
            "workshop": workshop, "fresh": fresh, "participant": await make_user(),
            "unverified": await make_user(verified=False), "admin": await make_user(is_admin=True)}


async def published_recipe(client, cast) -> dict[str, Any]:
    workshop = {**cast["workshop"], "host": cast["host"]}
    answer = await publish(client, workshop)
    assert answer.status_code == 200, answer.text
    return answer.json()


class TestListing:
    async def test_lists_and_searches_in_both_languages(self, client, cast, settings):
        await published_recipe(client, cast)
        log_in(client, None, settings)
        page = html_page(await client.get("/recipes", headers=BROWSER))
        assert page.title.startswith("Recipes") and "Bike repair" in page.text_content
        assert "Bike repair" not in html_page(await client.get("/recipes?q=bread", headers=BROWSER)).text_content
        assert "Bike repair" in html_page(await client.get("/recipes?q=PATCH&category=Repair",
                                                           headers=BROWSER)).text_content
        log_in(client, None, settings, "fr")
        french = html_page(await client.get("/recipes", headers=BROWSER))
        assert french.title.startswith("Recettes") and "1 recette" in french.text_content

    async def test_a_too_long_search_is_told_next_to_the_field(self, client, cast, settings):
        log_in(client, None, settings)
        answer = await client.get("/recipes", params={"q": "x" * 201}, headers=BROWSER)
        assert 'id="q-error"' in html_page(answer, 400).raw

    async def test_the_footer_links_to_the_recipes(self, client, cast, settings):
        log_in(client, None, settings)
        assert 'href="/recipes"' in (await client.get("/", headers=BROWSER)).text


class TestRecipePage:
    async def test_shows_the_recipe_its_record_and_licence(self, client, cast, settings):
        recipe = await published_recipe(client, cast)
        log_in(client, None, settings)
        page = html_page(await client.get(f"/recipes/{recipe['id']}", headers=BROWSER))
        text = page.text_content
        for expected in ("Tyre levers", "Patch it", "Sessions held", "Amina", "Log in to run it"):
            assert expected in text, expected
        assert 'href="https://creativecommons.org/licenses/by-sa/4.0/" rel="license"' in page.raw
        log_in(client, None, settings, "fr")
        french = html_page(await client.get(f"/recipes/{recipe['id']}", headers=BROWSER))
        assert "Matériel" in french.text_content and "Étapes" in french.text_content

    async def test_unknown_recipes_are_404_pages(self, client, cast, settings):
        log_in(client, None, settings)
        for path in ("/recipes/999999", "/recipes/abc", "/recipes/01"):
            html_page(await client.get(path, headers=BROWSER), 404)

    async def test_run_it_in_my_neighbourhood_lands_on_the_draft_s_edit_page(self, client, cast, settings):
        recipe = await published_recipe(client, cast)
        copier = await make_user()
        token = log_in(client, copier, settings)
        page = html_page(await client.get(f"/recipes/{recipe['id']}", headers=BROWSER))
        assert 'name="community"' in page.raw and "Croix-Rousse" in page.text_content
        answer = await client.post(f"/recipes/{recipe['id']}/copy", data={"community": "croix-rousse",
                                                                        "csrf_token": token}, headers=BROWSER)
        assert answer.status_code == 303, answer.text
        draft = await Workshop.select().where(Workshop.recipe_id == recipe["id"]).first()
        assert answer.headers["location"] == f"/workshops/{draft['id']}/edit"
        assert (draft["host"], draft["status"]) == (copier["id"], "draft")
        html_page(await client.get(answer.headers["location"], headers=BROWSER))
        # submitted before it has a place: back to its form, saying what is missing
        refused = await client.post(f"/workshops/{draft['id']}/submit", data={"csrf_token": token}, headers=BROWSER)
        assert refused.status_code == 303 and refused.headers["location"] == f"/workshops/{draft['id']}/edit"
        assert (await Workshop.select(Workshop.status).where(Workshop.id == draft["id"]).first())["status"] == "draft"
        # the draft's page links back to the recipe
        assert f'href="/recipes/{recipe["id"]}"' in html_page(
            await client.get(f"/workshops/{draft['id']}", headers=BROWSER)).raw

    async def test_an_unknown_community_is_told_next_to_the_field(self, client, cast, settings):
        recipe = await published_recipe(client, cast)
        token = log_in(client, await make_user(), settings)
        before = await Workshop.count()
        answer = await client.post(f"/recipes/{recipe['id']}/copy", data={"community": "atlantis",
                                                                        "csrf_token": token}, headers=BROWSER)
        assert 'id="community-error"' in html_page(answer, 400).raw
        assert await Workshop.count() == before

    @pytest.mark.parametrize("who", ["visitor", "unverified", "no_csrf"])
    async def test_copy_refusals_write_nothing(self, client, cast, settings, who):
        recipe = await published_recipe(client, cast)
        before = await Workshop.count()
        path = f"/recipes/{recipe['id']}/copy"
        if who == "visitor":
            log_in(client, None, settings)
            answer = await client.post(path, data={"community": "croix-rousse"}, headers=BROWSER)
            assert answer.status_code in (303, 403)
        elif who == "unverified":
            token = log_in(client, cast["unverified"], settings)
            answer = await client.post(path, data={"community": "croix-rousse", "csrf_token": token}, headers=BROWSER)
            assert answer.status_code == 303 and answer.headers["location"] == f"/recipes/{recipe['id']}"
        else:
            log_in(client, cast["participant"], settings)
            answer = await client.post(path, data={"community": "croix-rousse", "csrf_token": "0" * 64},
                                       headers=BROWSER)
            assert answer.status_code == 403
        assert await Workshop.count() == before


class TestPublishForm:
    async def test_the_host_publishes_from_the_dashboard(self, client, cast, settings):
        token = log_in(client, cast["host"], settings)
        dashboard = html_page(await client.get("/host", headers=BROWSER)).raw
        assert f'href="/workshops/{cast["workshop"]["id"]}/recipe"' in dashboard
        assert f'href="/workshops/{cast["fresh"]["id"]}/recipe"' not in dashboard  # it has not run
        form = html_page(await client.get(f"/workshops/{cast['workshop']['id']}/recipe", headers=BROWSER))
        assert form.title.startswith("Publish the recipe")
        answer = await client.post(f"/workshops/{cast['workshop']['id']}/recipe", data={**FORM, "csrf_token": token},
                                   headers=BROWSER)
        assert answer.status_code == 303, answer.text
        recipe = await Recipe.select().first()
        assert answer.headers["location"] == f"/recipes/{recipe['id']}"
        assert recipe["licence"] == "CC-BY-4.0" and recipe["duration_minutes"] == 90
        again = html_page(await client.get(f"/workshops/{cast['workshop']['id']}/recipe", headers=BROWSER))
        assert "Take the wheel off" in again.raw  # the form shows what is published

    @pytest.mark.parametrize("changes,field", [
        ({"steps": "  \n "}, "steps"), ({"licence": "MIT"}, "licence"), ({"duration_minutes": "soon"}, "duration_minutes"),
        ({"duration_minutes": "0"}, "duration_minutes"), ({"group_size": "-2"}, "group_size"),
        ({"cost_note": "c" * 301}, "cost_note"), ({"materials": "a\u0000b"}, "materials"),
    ])
    async def test_bad_fields_are_told_and_nothing_is_written(self, client, cast, settings, changes, field):
        token = log_in(client, cast["host"], settings)
        answer = await client.post(f"/workshops/{cast['workshop']['id']}/recipe",
                                   data={**FORM, **changes, "csrf_token": token}, headers=BROWSER)
        assert f'id="{field}-error"' in html_page(answer, 400).raw
        assert await Recipe.count() == 0

    async def test_a_workshop_that_never_ran_says_so(self, client, cast, settings):
        token = log_in(client, cast["host"], settings)
        path = f"/workshops/{cast['fresh']['id']}/recipe"
        assert "has not run yet" in html_page(await client.get(path, headers=BROWSER), 409).text_content
        answer = await client.post(path, data={**FORM, "csrf_token": token}, headers=BROWSER)
        assert "has not run yet" in html_page(answer, 409).text_content
        assert await Recipe.count() == 0

    @pytest.mark.parametrize("who,status", [("participant", 403), ("organizer", 403), ("admin", 403)])
    async def test_only_the_host(self, client, cast, settings, who, status):
        token = log_in(client, cast[who], settings)
        path = f"/workshops/{cast['workshop']['id']}/recipe"
        html_page(await client.get(path, headers=BROWSER), status)
        answer = await client.post(path, data={**FORM, "csrf_token": token}, headers=BROWSER)
        assert answer.status_code == status
        assert await Recipe.count() == 0

    async def test_a_visitor_is_sent_to_log_in(self, client, cast, settings):
        log_in(client, None, settings)
        path = f"/workshops/{cast['workshop']['id']}/recipe"
        answer = await client.get(path, headers=BROWSER)
        assert answer.status_code in (302, 303) and answer.headers["location"].startswith("/login")
