"""Account use cases against the database, without HTTP."""
from __future__ import annotations

import asyncio

import pytest

from accounts import admin, service
from accounts.errors import EmailTaken
from accounts.tables import Organizer, User
from kernel.errors import ValidationFailed
from tests.factories import NOW, make_community, make_user


@pytest.fixture
def fast_hashing(monkeypatch):
    async def fake_hash(password: str) -> str:
        return "$argon2id$fake"

    monkeypatch.setattr(service, "hash_password", fake_hash)


class TestCreateUser:
    async def test_concurrent_registrations_of_one_email_make_one_account(self, db, fast_hashing):
        results = await asyncio.gather(
            *[service.create_user("same@example.org" if i % 2 else "SAME@Example.org",
                                  "12345678", "Same", NOW) for i in range(6)],
            return_exceptions=True)
        assert sum(isinstance(r, int) for r in results) == 1
        assert all(isinstance(r, (int, EmailTaken)) for r in results)
        assert await User.count() == 1

    @pytest.mark.parametrize("email", ["x,chloe@alveole.test", "<chloe@alveole.test>",
                                       "chloe@alveole.test, eve@evil.test"])
    async def test_only_one_address_makes_an_account(self, db, fast_hashing, email):
        with pytest.raises(ValidationFailed) as refused:
            await service.create_user(email, "12345678", "Chloé", NOW)
        assert [e["field"] for e in refused.value.extra["errors"]] == ["email"]
        assert await User.count() == 0

    async def test_the_normalised_address_is_stored(self, db, fast_hashing):
        user_id = await service.create_user("Chloe@xn--exmple-cua.org", "12345678", "Chloé", NOW)
        assert await User.select(User.email).first() == {"email": "chloe@exämple.org"}
        assert await service.user_id_for_email("CHLOE@exämple.org") == user_id
        assert await service.user_id_for_email("<chloe@exämple.org>") is None

    @pytest.mark.parametrize("name", ["\u200b", "\u202e", "a\r\nb"])
    async def test_a_display_name_needs_visible_text(self, db, fast_hashing, name):
        with pytest.raises(ValidationFailed) as refused:
            await service.create_user("chloe@alveole.test", "12345678", name, NOW)
        assert [e["field"] for e in refused.value.extra["errors"]] == ["display_name"]


class TestNameOrganizer:
    async def test_returns_whether_newly_named(self, db):
        community = await make_community(slug="belleville")
        user = await make_user()
        first = await service.name_organizer("belleville", user["email"])
        second = await service.name_organizer("belleville", user["email"].upper())
        assert (first[1], second[1]) == (True, False) and first[0] == second[0]
        rows = await Organizer.select(Organizer.pair)
        assert rows == [{"pair": f"{community['id']}:{user['id']}"}]

    async def test_erased_accounts_cannot_be_named(self, db):
        from kernel.errors import NotFound

        await make_community(slug="belleville")
        user = await make_user(deleted_at=NOW)
        with pytest.raises(NotFound):
            await service.name_organizer("belleville", user["email"])


class TestCreateOrPromoteAdmin:
    async def test_created_then_promoted(self, db, fast_hashing):
        assert await admin.create_or_promote_admin("boss@example.org", "12345678", now=NOW) == "created"
        assert await admin.create_or_promote_admin("boss@example.org", "12345678") == "promoted"
        assert await User.select(User.is_admin).first() == {"is_admin": True}

    @pytest.mark.parametrize("email, password", [("boss", "12345678"), ("boss@example.org", "1234567"),
                                                 ("boss@example.org", "x" * 257),
                                                 ("x,boss@example.org", "12345678"),
                                                 ("<boss@example.org>", "12345678"),
                                                 ("boss@example.org, eve@evil.test", "12345678")])
    async def test_bad_input_is_a_value_error(self, db, email, password):
        with pytest.raises(ValueError):
            await admin.create_or_promote_admin(email, password)
        assert await User.count() == 0

    async def test_an_erased_account_is_not_promoted(self, db, fast_hashing):
        await make_user(email="gone@example.org", deleted_at=NOW)
        with pytest.raises(ValueError, match="erased"):
            await admin.create_or_promote_admin("gone@example.org", "12345678")


class TestPublicProfile:
    async def test_reads_skills_as_a_list_and_hides_erased_users(self, db):
        user = await make_user(display_name="Ada", bio="Bread.", skills=["bread", "bikes"])
        gone = await make_user(deleted_at=NOW)
        profile = await service.get_public_profile(user["id"])
        assert (profile.display_name, profile.bio, profile.skills) == ("Ada", "Bread.", ["bread", "bikes"])
        assert await service.get_public_profile(gone["id"]) is None
        assert await service.get_public_profile(10_000) is None


class TestCalendarToken:
    async def test_rotation_revokes_the_old_feed_url(self, db):
        user = await make_user(calendar_token="old-token")
        assert await service.user_id_for_calendar_token("old-token") == user["id"]
        new = await service.rotate_calendar_token(user["id"])
        assert await service.user_id_for_calendar_token("old-token") is None
        assert await service.user_id_for_calendar_token(new) == user["id"]
        assert await service.user_id_for_calendar_token("") is None
