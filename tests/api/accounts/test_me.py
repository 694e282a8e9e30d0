"""GET and PATCH /api/v1/me."""
from __future__ import annotations

import pytest

from accounts.tables import User
from tests.api.accounts.conftest import error_fields, problem_slug
from tests.factories import auth, make_community, make_user

ME = "/api/v1/me"


class TestGetMe:
    async def test_answers_the_profile(self, client):
        user = await make_user(display_name="Ada", locale="fr", timezone="Europe/Paris",
                               bio="Bikes.", skills=["repair"], calendar_token="tok-123")
        response = await client.get(ME, headers=auth(user))
        assert response.status_code == 200
        assert response.json() == {
            "id": user["id"], "email": user["email"], "display_name": "Ada", "locale": "fr",
            "timezone": "Europe/Paris", "is_admin": False, "organizer_of": [],
            "calendar_url": "http://alveole.test/calendar/tok-123/feed.ics",
            "bio": "Bikes.", "skills": ["repair"], "email_verified": True, "phone": None, "sms_opt_in": False,
        }

    async def test_lists_the_communities_organized(self, client):
        user = await make_user()
        await make_community(organizers=(user,), slug="belleville")
        await make_community(organizers=(user,), slug="arles")
        await make_community(slug="elsewhere")
        response = await client.get(ME, headers=auth(user))
        assert response.json()["organizer_of"] == ["arles", "belleville"]

    async def test_admin_flag(self, client, admin):
        assert (await client.get(ME, headers=auth(admin))).json()["is_admin"] is True

    @pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                         {"Authorization": "Basic YTpi"}])
    async def test_anonymous_or_bad_token_is_401(self, client, headers):
        response = await client.get(ME, headers=headers)
        assert response.status_code == 401 and problem_slug(response) == "not-authenticated"


class TestUpdateMe:
    async def test_partial_update_changes_only_what_is_given(self, client, participant):
        response = await client.patch(ME, headers=auth(participant), json={"bio": "I fix bikes."})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["bio"] == "I fix bikes."
        assert body["display_name"] == participant["display_name"] and body["locale"] == "en"

    async def test_every_field(self, client, participant):
        response = await client.patch(ME, headers=auth(participant), json={
            "display_name": "  Grace  ", "locale": "fr", "timezone": "America/Montreal",
            "bio": "x" * 2000, "skills": ["Bread", " sourdough ", "bread"],
        })
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["display_name"], body["locale"], body["timezone"]) == (
            "Grace", "fr", "America/Montreal")
        assert body["skills"] == ["Bread", "sourdough"]
        assert (await client.get(ME, headers=auth(participant))).json() == body

    async def test_new_name_is_seen_at_once_by_other_requests(self, client, participant):
        await client.get(ME, headers=auth(participant))
        await client.patch(ME, headers=auth(participant), json={"locale": "fr"})
        from accounts.auth import user_for_token
        from tests.conftest import T0

        cached = await user_for_token(participant["token"], T0)
        assert cached.locale == "fr"

    async def test_empty_patch_changes_nothing(self, client, participant):
        response = await client.patch(ME, headers=auth(participant), json={})
        assert response.status_code == 200 and response.json()["email"] == participant["email"]

    @pytest.mark.parametrize("field, value", [
        ("display_name", ""), ("display_name", "  "), ("display_name", None), ("display_name", 5),
        ("locale", "es"), ("timezone", "Europe/Atlantis"), ("timezone", None),
        ("bio", "x" * 2001), ("skills", ["x" * 41]), ("skills", ["s"] * 21), ("skills", [""]),
        ("skills", ["  "]), ("skills", "bread"), ("skills", [1]), ("email", "new@example.org"),
        ("is_admin", True),
    ])
    async def test_bad_input_is_400_naming_the_field(self, client, participant, field, value):
        response = await client.patch(ME, headers=auth(participant), json={field: value})
        assert response.status_code == 400, response.text
        assert problem_slug(response) == "validation-error"
        assert field in error_fields(response) or f"`{field}`" in response.json()["detail"]
        row = await User.select(User.is_admin, User.email).where(User.id == participant["id"]).first()
        assert row == {"is_admin": False, "email": participant["email"]}

    async def test_malformed_json(self, client, participant):
        response = await client.patch(ME, headers={**auth(participant), "content-type": "application/json"},
                                      content=b'{"bio": ')
        assert response.status_code == 400 and problem_slug(response) == "validation-error"

    async def test_anonymous_is_401(self, client):
        assert (await client.patch(ME, json={"bio": "x"})).status_code == 401
