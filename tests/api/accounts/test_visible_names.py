"""Names shown on one line — display names, community names, skills — hold visible text and no
control characters, line breaks or bidi overrides (finding 15, accounts part)."""
from __future__ import annotations

import pytest

from accounts.tables import Community, User
from tests.api.accounts.conftest import error_fields, problem_slug
from tests.factories import auth, make_user

INVISIBLE_OR_CONTROL = [
    "\u200b",            # zero-width space alone
    "\u200b\u200c\u200d\u2060\ufeff",  # only zero-width and format characters
    "\u202e",            # right-to-left override
    "Ada\u202eecilA",    # an override inside a name reverses what follows it
    "a\r\nb",            # a line break (a header split, in an email's To:)
    "Ada\tLovelace",
    "Ada\x7f",           # DEL
    "Ada\u0085",         # NEL (a C1 control)
    "Ada\u2028Lovelace",  # line separator
    "\u3164",            # Hangul filler: a "letter" that renders as nothing
    " \u200b \u00a0 ",
]
FINE = ["Zoë Ångström", "李小龙", "Ada 👩\u200d🔧", "محمد\u200f", "Jean-Luc"]


class TestRegister:
    @pytest.mark.parametrize("name", INVISIBLE_OR_CONTROL)
    async def test_display_name_without_visible_text_or_with_controls_is_refused(self, client, name):
        response = await client.post("/api/v1/auth/register", json={
            "email": "ada@example.org", "password": "a long secret", "display_name": name})
        assert response.status_code == 400, response.text
        assert problem_slug(response) == "validation-error"
        assert error_fields(response) == {"display_name"}
        assert await User.count() == 0

    @pytest.mark.parametrize("name", FINE)
    async def test_names_in_any_script_are_fine(self, client, name):
        response = await client.post("/api/v1/auth/register", json={
            "email": "ada@example.org", "password": "a long secret", "display_name": name})
        assert response.status_code == 201, response.text
        assert response.json()["display_name"] == name


class TestUpdateMe:
    @pytest.mark.parametrize("name", INVISIBLE_OR_CONTROL)
    async def test_display_name_is_refused(self, client, name):
        user = await make_user(display_name="Ada")
        response = await client.patch("/api/v1/me", headers=auth(user), json={"display_name": name})
        assert response.status_code == 400, response.text
        assert problem_slug(response) == "validation-error"
        assert error_fields(response) == {"display_name"}
        assert (await User.select(User.display_name).where(User.id == user["id"]).first()
                ) == {"display_name": "Ada"}

    @pytest.mark.parametrize("skill", ["\u200b", "bread\nbutter", "\u202ebread"])
    async def test_skills_are_names_too(self, client, skill):
        user = await make_user()
        response = await client.patch("/api/v1/me", headers=auth(user),
                                      json={"skills": ["sourdough", skill]})
        assert response.status_code == 400, response.text
        assert error_fields(response) == {"skills"}

    async def test_a_fine_name_is_kept(self, client):
        user = await make_user()
        response = await client.patch("/api/v1/me", headers=auth(user),
                                      json={"display_name": " Zoë ", "skills": ["vélo"]})
        assert response.status_code == 200, response.text
        assert (response.json()["display_name"], response.json()["skills"]) == ("Zoë", ["vélo"])


class TestCreateCommunity:
    @pytest.mark.parametrize("name", INVISIBLE_OR_CONTROL)
    async def test_name_is_refused(self, client, admin, name):
        response = await client.post("/api/v1/communities", headers=auth(admin), json={
            "slug": "belleville", "name": name, "timezone": "Europe/Paris"})
        assert response.status_code == 400, response.text
        assert problem_slug(response) == "validation-error"
        assert error_fields(response) == {"name"}
        assert await Community.count() == 0

    async def test_every_bad_field_is_named_at_once(self, client, admin):
        response = await client.post("/api/v1/communities", headers=auth(admin), json={
            "slug": "belleville", "name": "\u200b", "timezone": "Mars/Olympus"})
        assert response.status_code == 400
        assert error_fields(response) == {"name", "timezone"}
