"""The admin's pages over HTTP: communities (list, create with every field of the API's body),
one community (rename, add and remove organizers); every role, CSRF refusals, French."""
from __future__ import annotations

import pytest

from accounts import service
from tests.api.web import test_host_pages
from tests.api.web.test_host_pages import BROWSER, FR, error_ids, log_in
from tests.api.workshops.test_pages import html_page
from tests.factories import make_user

cast = test_host_pages.cast  # the same people and workshops as the host pages' tests


def new_community(**changes: str) -> dict[str, str]:
    form = {"name": "La Goutte d'Or", "slug": "goutte-dor", "timezone": "Europe/Paris", "locale": "fr",
            "lat": "48,8849", "lon": "2.3539", "moderation": "on"}
    form.update(changes)
    return form


class TestWhoMay:
    @pytest.mark.parametrize(("role", "status"), [("participant", 403), ("host", 403), ("organizer", 403),
                                                  ("admin", 200)])
    async def test_each_role(self, client, cast, settings, role, status):
        token = log_in(client, getattr(cast, role), settings)
        for path in ("/admin/communities", f"/admin/communities/{cast.community['id']}"):
            html_page(await client.get(path, headers=BROWSER), status)
        answer = await client.post("/admin/communities", data={**new_community(), "csrf_token": token},
                                   headers=BROWSER)
        assert answer.status_code == (303 if role == "admin" else 403)
        assert (await service.find_community_by_slug("goutte-dor") is not None) is (role == "admin")

    async def test_a_visitor_is_sent_to_log_in(self, client, cast, settings):
        log_in(client, None, settings)
        for path in ("/admin/communities", f"/admin/communities/{cast.community['id']}"):
            answer = await client.get(path, headers=BROWSER)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")

    @pytest.mark.parametrize("path", ["/admin/communities/999999", "/admin/communities/abc",
                                      "/admin/communities/01"])
    async def test_unknown_communities(self, client, cast, settings, path):
        log_in(client, cast.admin, settings)
        html_page(await client.get(path, headers=BROWSER), 404)

    async def test_without_the_token(self, client, cast, settings):
        log_in(client, cast.admin, settings)
        assert (await client.post("/admin/communities", data=new_community(), headers=BROWSER)).status_code == 403
        answer = await client.post(f"/admin/communities/{cast.community['id']}",
                                   data={"action": "rename", "name": "Forged"}, headers=BROWSER)
        assert answer.status_code == 403
        assert (await service.find_community_by_id(cast.community["id"])).name == "Belleville"


class TestCreate:
    async def test_every_field(self, client, cast, settings):
        token = log_in(client, cast.admin, settings)
        form = new_community()
        del form["moderation"]  # unticked
        answer = await client.post("/admin/communities", data={**form, "csrf_token": token}, headers=BROWSER)
        assert answer.status_code == 303
        made = await service.find_community_by_slug("goutte-dor")
        assert answer.headers["location"] == f"/admin/communities/{made.id}"
        assert (made.name, made.timezone, made.locale, made.lat, made.lon, made.moderation) == (
            "La Goutte d'Or", "Europe/Paris", "fr", 48.8849, 2.3539, False)
        page = html_page(await client.get("/admin/communities", headers=BROWSER))
        assert "La Goutte d'Or" in page.visible and "Belleville" in page.visible

    async def test_every_wrong_field_at_once(self, client, cast, settings):
        token = log_in(client, cast.admin, settings)
        form = new_community(slug="Not A Slug", name=" ", timezone="Mars/Base", lat="north", lon="200")
        answer = await client.post("/admin/communities", data={**form, "csrf_token": token}, headers=BROWSER)
        page = html_page(answer, 400)
        assert error_ids(answer.text) == {"slug", "name", "lat", "lon"}  # as the API decodes the body
        assert "There is a problem" in page.visible and 'value="Not A Slug"' in answer.text
        form.update(slug="fine-slug", name="\u200b", lat="", lon="")
        answer = await client.post("/admin/communities", data={**form, "csrf_token": token}, headers=BROWSER)
        assert error_ids(answer.text) == {"name", "timezone"}  # then the service's rules
        assert await service.find_community_by_slug("fine-slug") is None

    async def test_a_slug_taken(self, client, cast, settings):
        token = log_in(client, cast.admin, settings)
        answer = await client.post("/admin/communities", data={**new_community(slug="belleville"), "csrf_token": token},
                                   headers=BROWSER)
        assert "already uses this short name" in html_page(answer, 400).visible

    async def test_in_french(self, client, cast, settings):
        token = log_in(client, cast.admin, settings, "fr")
        assert "Communautés" in html_page(await client.get("/admin/communities", headers=FR)).title
        answer = await client.post("/admin/communities", data={**new_community(slug="X"), "csrf_token": token},
                                   headers=FR)
        assert "Il y a un problème" in html_page(answer, 400).visible


class TestOneCommunity:
    async def test_rename(self, client, cast, settings):
        token = log_in(client, cast.admin, settings)
        path = f"/admin/communities/{cast.community['id']}"
        blank = await client.post(path, data={"action": "rename", "name": "", "csrf_token": token}, headers=BROWSER)
        assert error_ids(blank.text) == {"name"} and html_page(blank, 400)
        done = await client.post(path, data={"action": "rename", "name": "Belleville-Ménilmontant",
                                             "csrf_token": token}, headers=BROWSER)
        assert done.status_code == 303 and done.headers["location"] == path
        renamed = await service.find_community_by_id(cast.community["id"])
        assert renamed.name == "Belleville-Ménilmontant" and renamed.slug == "belleville"
        assert "is renamed" in html_page(await client.get(path, headers=BROWSER)).visible

    async def test_change_every_field(self, client, cast, settings):
        token = log_in(client, cast.admin, settings)
        path = f"/admin/communities/{cast.community['id']}"
        page = await client.get(path, headers=BROWSER)
        # the change form comes filled with what the community has now
        assert 'name="timezone" type="text" value="Europe/Paris"' in page.text
        assert 'name="name" type="text" value="Belleville"' in page.text
        change = {"action": "change", "name": "Belleville-Ménilmontant", "timezone": "America/Montreal",
                  "locale": "en", "lat": "45,5", "lon": "-73.6", "csrf_token": token}  # no moderation: off
        bad = await client.post(path, data={**change, "timezone": "Paris"}, headers=BROWSER)
        assert error_ids(bad.text) == {"timezone"} and html_page(bad, 400)
        assert (await service.find_community_by_id(cast.community["id"])).timezone == "Europe/Paris"
        done = await client.post(path, data=change, headers=BROWSER)
        assert done.status_code == 303 and done.headers["location"] == path
        changed = await service.find_community_by_id(cast.community["id"])
        assert (changed.name, changed.timezone, changed.locale, changed.lat, changed.lon, changed.moderation,
                changed.slug) == ("Belleville-Ménilmontant", "America/Montreal", "en", 45.5, -73.6, False,
                                  "belleville")
        assert "is changed" in html_page(await client.get(path, headers=BROWSER)).visible

    async def test_add_and_remove_organizers(self, client, cast, settings):
        token = log_in(client, cast.admin, settings)
        path = f"/admin/communities/{cast.community['id']}"
        newcomer = await make_user(display_name="Nadia")
        page = html_page(await client.get(path, headers=BROWSER))
        assert "Olga" in page.visible and "Nadia" not in page.visible
        unknown = await client.post(path, data={"action": "add_organizer", "email": "nobody@example.org",
                                                "csrf_token": token}, headers=BROWSER)
        assert "No account uses this email address" in html_page(unknown, 400).visible
        wrong = await client.post(path, data={"action": "add_organizer", "email": "not an email",
                                              "csrf_token": token}, headers=BROWSER)
        assert error_ids(wrong.text) == {"email"} and html_page(wrong, 400)
        added = await client.post(path, data={"action": "add_organizer", "email": newcomer["email"].upper(),
                                              "csrf_token": token}, headers=BROWSER)
        assert added.status_code == 303
        names = lambda: [o.display_name for o in organizers]
        organizers = await service.community_organizers(cast.community["id"])
        assert names() == ["Olga", "Nadia"]
        again = await client.post(path, data={"action": "add_organizer", "email": newcomer["email"],
                                              "csrf_token": token}, headers=BROWSER)
        assert "already an organizer" in html_page(await client.get(again.headers["location"],
                                                                     headers=BROWSER)).visible
        removed = await client.post(path, data={"action": "remove_organizer", "user_id": str(cast.organizer["id"]),
                                                "csrf_token": token}, headers=BROWSER)
        assert removed.status_code == 303
        organizers = await service.community_organizers(cast.community["id"])
        assert names() == ["Nadia"]
        log_in(client, cast.organizer, settings)  # Olga no longer moderates Belleville
        html_page(await client.get("/organize/moderation", headers=BROWSER), 403)

    async def test_in_french(self, client, cast, settings):
        log_in(client, cast.admin, settings, "fr")
        page = html_page(await client.get(f"/admin/communities/{cast.community['id']}", headers=FR))
        assert "Modifier la communauté" in page.visible and "Ajouter un·e organisateur·rice" in page.visible
