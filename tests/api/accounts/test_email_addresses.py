"""An email is exactly one address, in one stored form, wherever it enters (finding 12):
register, login and naming organizers (create-admin: tests/integration/accounts)."""
from __future__ import annotations

import pytest

from accounts import repository, service
from accounts.tables import Organizer, User
from tests.api.accounts.conftest import error_fields, problem_slug
from tests.factories import auth, make_community, make_user

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"

# each would put a second address, or a display name, into `To:` and the SMTP envelope
NOT_ONE_ADDRESS = [
    "x,chloe@alveole.test",
    "<chloe@alveole.test>",
    "Chloe <chloe@alveole.test>",
    "chloe@alveole.test, eve@evil.test",
    "chloe@alveole.test;eve@evil.test",
    "chloe@alveole.test eve@evil.test",
    "chloe@alveole.test\r\nBcc: eve@evil.test",
    '"chloe@alveole.test"@evil.test',
    "(eve@evil.test)chloe@alveole.test",
    "chloe@[203.0.113.5]",
    "chloe@localhost",
    "deleted-7@invalid",
    "ch\u200bloe@alveole.test",
]


def signup(email: str) -> dict:
    return {"email": email, "password": "a long secret", "display_name": "Chloé"}


class TestRegister:
    @pytest.mark.parametrize("email", NOT_ONE_ADDRESS)
    async def test_anything_but_one_address_is_refused(self, client, email):
        response = await client.post(REGISTER, json=signup(email))
        assert response.status_code == 400, response.text
        assert problem_slug(response) == "validation-error"
        assert error_fields(response) == {"email"}
        assert await User.count() == 0

    async def test_one_account_per_address_whatever_its_spelling(self, client):
        first = await client.post(REGISTER, json=signup("Chloe@Exämple.org"))
        assert first.status_code == 201, first.text
        assert first.json()["email"] == "chloe@exämple.org"  # the normalised form is stored
        # the same address with its domain in ASCII (IDNA) form, or in capitals
        for spelling in ("chloe@xn--exmple-cua.org", " CHLOE@EXÄMPLE.ORG "):
            again = await client.post(REGISTER, json=signup(spelling))
            assert again.status_code == 409 and problem_slug(again) == "email-taken"
        assert await User.count() == 1

    @pytest.mark.parametrize("email", ["user1@example.org", "chloe@alveole.test",
                                       "ada.lovelace+tag@example.org", "x@sub.domain.fr"])
    async def test_ordinary_and_test_addresses_register(self, client, email):
        response = await client.post(REGISTER, json=signup(email))
        assert response.status_code == 201, response.text


class TestLogin:
    @pytest.mark.parametrize("email", ["x,chloe@alveole.test", "<chloe@alveole.test>",
                                       "chloe@alveole.test, eve@evil.test"])
    async def test_not_one_address_is_invalid_credentials_and_never_looked_up(
            self, client, monkeypatch, email):
        await make_user(email="chloe@alveole.test")
        looked_up = []
        real_login_row = repository.login_row

        async def spy(address):
            looked_up.append(address)
            return await real_login_row(address)

        monkeypatch.setattr(repository, "login_row", spy)
        response = await client.post(LOGIN, json={"email": email,
                                                  "password": "correct horse battery"})
        assert response.status_code == 401 and problem_slug(response) == "invalid-credentials"
        assert looked_up == []
        unknown = await client.post(LOGIN, json={"email": "nobody@alveole.test",
                                                 "password": "correct horse battery"})
        assert response.json() == unknown.json()  # the same answer as an unknown email

    async def test_still_verifies_a_hash_for_a_malformed_address(self, client, monkeypatch):
        seen = []

        async def spy(password_hash, password):
            seen.append(password_hash)
            return False

        monkeypatch.setattr(service, "verify_password", spy)
        await client.post(LOGIN, json={"email": "<chloe@alveole.test>", "password": "whatever1"})
        assert seen == [None]  # the same argon2 work as for any unknown email

    async def test_the_normalised_form_is_looked_up(self, client):
        user = await make_user(email="chloe@exämple.org")
        response = await client.post(LOGIN, json={"email": " Chloe@xn--exmple-cua.org",
                                                  "password": user["password"]})
        assert response.status_code == 200, response.text
        assert response.json()["user"]["id"] == user["id"]


class TestNameOrganizer:
    @pytest.mark.parametrize("email", NOT_ONE_ADDRESS[:5])
    async def test_anything_but_one_address_is_400_naming_email(self, client, admin, email):
        await make_community(slug="belleville")
        await make_user(email="chloe@alveole.test")
        response = await client.post("/api/v1/communities/belleville/organizers",
                                     headers=auth(admin), json={"email": email})
        assert response.status_code == 400, response.text
        assert problem_slug(response) == "validation-error"
        assert error_fields(response) == {"email"}
        assert await Organizer.count() == 0

    async def test_the_normalised_form_is_looked_up(self, client, admin):
        await make_community(slug="belleville")
        user = await make_user(email="orga@exämple.org")
        response = await client.post("/api/v1/communities/belleville/organizers",
                                     headers=auth(admin), json={"email": "ORGA@xn--exmple-cua.org"})
        assert response.status_code == 201, response.text
        assert response.json()["user_id"] == user["id"]
