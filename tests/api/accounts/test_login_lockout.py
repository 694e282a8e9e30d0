"""Login throttling cannot be turned against an account's owner (finding 11): failures count per
(email, client address), with a softer cap per email across all addresses."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from accounts import service
from tests.api.accounts.conftest import problem_slug
from tests.factories import make_user

LOGIN = "/api/v1/auth/login"
# the test client's own address (httpx.ASGITransport's default) is the owner's
ATTACKER = "198.51.100.66"


@contextlib.asynccontextmanager
async def client_at(app, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 40_000))
    async with httpx.AsyncClient(transport=transport, base_url="http://alveole.test") as http:
        yield http


def spread_addresses(n: int) -> list[str]:
    return [f"203.0.113.{i}" for i in range(1, n + 1)]


class CountingWrongPasswords:
    """verify_password standing in for argon2: always wrong, counting how often it is asked."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, password_hash, password) -> bool:
        self.calls += 1
        return False


async def fail_from_each(app, addresses: list[str], email: str, times: int) -> None:
    for address in addresses:
        async with client_at(app, address) as http:
            for _ in range(times):
                response = await http.post(LOGIN, json={"email": email, "password": "guess-guess"})
                assert response.status_code == 401, response.text


class TestFailuresFromOneAddress:
    async def test_someone_elses_failures_never_lock_the_owner_out(self, app, client, clock,
                                                                    monkeypatch):
        owner = await make_user()
        rounds = 4
        for _ in range(rounds):  # the attacker renews the block each time the window reopens
            wrong = CountingWrongPasswords()
            monkeypatch.setattr(service, "verify_password", wrong)
            async with client_at(app, ATTACKER) as attacker:
                for _ in range(service.LOGIN_FAILURES_PER_EMAIL_AND_IP):
                    response = await attacker.post(LOGIN, json={"email": owner["email"],
                                                                "password": "guess-guess"})
                    assert response.status_code == 401
                blocked = await attacker.post(LOGIN, json={"email": owner["email"].upper(),
                                                           "password": "guess-guess"})
            assert blocked.status_code == 429 and problem_slug(blocked) == "rate-limited"
            assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
            # refused before any password was checked
            assert wrong.calls == service.LOGIN_FAILURES_PER_EMAIL_AND_IP
            monkeypatch.undo()
            # ...while the owner, from their own address, logs in every time
            mine = await client.post(LOGIN, json={"email": owner["email"],
                                                  "password": owner["password"]})
            assert mine.status_code == 200, mine.text
            clock.advance(minutes=15, seconds=1)

    async def test_owners_own_failures_do_not_block_them_elsewhere(self, app, client, monkeypatch):
        owner = await make_user()
        monkeypatch.setattr(service, "verify_password", _always_wrong)
        for _ in range(service.LOGIN_FAILURES_PER_EMAIL_AND_IP):
            await client.post(LOGIN, json={"email": owner["email"], "password": "typo-typo"})
        monkeypatch.undo()
        assert (await client.post(LOGIN, json={"email": owner["email"],
                                               "password": owner["password"]})).status_code == 429
        async with client_at(app, "192.0.2.10") as phone:
            response = await phone.post(LOGIN, json={"email": owner["email"],
                                                     "password": owner["password"]})
        assert response.status_code == 200


class TestFailuresSpreadOverAddresses:
    async def test_are_capped_per_email_then_the_window_reopens(self, app, client, clock,
                                                                 monkeypatch):
        owner = await make_user()
        wrong = CountingWrongPasswords()
        monkeypatch.setattr(service, "verify_password", wrong)
        per_address = service.LOGIN_FAILURES_PER_EMAIL_AND_IP
        addresses = spread_addresses(service.LOGIN_FAILURES_PER_EMAIL // per_address)
        await fail_from_each(app, addresses, owner["email"], per_address)
        assert wrong.calls == service.LOGIN_FAILURES_PER_EMAIL
        async with client_at(app, "203.0.113.200") as fresh:
            blocked = await fresh.post(LOGIN, json={"email": owner["email"], "password": "guess"})
        assert blocked.status_code == 429 and problem_slug(blocked) == "rate-limited"
        assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
        assert wrong.calls == service.LOGIN_FAILURES_PER_EMAIL  # refused before argon2
        monkeypatch.undo()
        clock.advance(minutes=15, seconds=1)
        async with client_at(app, "203.0.113.200") as fresh:
            again = await fresh.post(LOGIN, json={"email": owner["email"],
                                                  "password": owner["password"]})
        assert again.status_code == 200

    async def test_an_unknown_email_is_capped_the_same_way(self, app, client, monkeypatch):
        owner = await make_user()
        monkeypatch.setattr(service, "verify_password", _always_wrong)
        per_address = service.LOGIN_FAILURES_PER_EMAIL_AND_IP
        addresses = spread_addresses(service.LOGIN_FAILURES_PER_EMAIL // per_address)
        answers = []
        for email in (owner["email"], "ghost@example.org"):
            await fail_from_each(app, addresses, email, per_address)
            async with client_at(app, "203.0.113.200") as fresh:
                answers.append(await fresh.post(LOGIN, json={"email": email, "password": "guess"}))
        known, unknown = answers
        assert known.status_code == unknown.status_code == 429
        assert known.json() == unknown.json()
        assert known.headers["retry-after"] == unknown.headers["retry-after"]

    async def test_an_address_the_owner_logged_in_from_still_gets_in(self, app, client, clock,
                                                                     monkeypatch):
        owner = await make_user()
        assert (await client.post(LOGIN, json={"email": owner["email"],
                                               "password": owner["password"]})).status_code == 200
        clock.advance(days=20)
        monkeypatch.setattr(service, "verify_password", _always_wrong)
        per_address = service.LOGIN_FAILURES_PER_EMAIL_AND_IP
        addresses = spread_addresses(service.LOGIN_FAILURES_PER_EMAIL // per_address)
        await fail_from_each(app, addresses, owner["email"], per_address)
        monkeypatch.undo()
        async with client_at(app, "203.0.113.200") as fresh:
            elsewhere = await fresh.post(LOGIN, json={"email": owner["email"],
                                                      "password": owner["password"]})
        assert elsewhere.status_code == 429
        home = await client.post(LOGIN, json={"email": owner["email"], "password": owner["password"]})
        assert home.status_code == 200, home.text
        # but not forever: an address is known for 30 days after its last login
        monkeypatch.setattr(service, "verify_password", _always_wrong)
        clock.advance(days=30, minutes=1)
        await fail_from_each(app, addresses, owner["email"], per_address)
        monkeypatch.undo()
        stale = await client.post(LOGIN, json={"email": owner["email"], "password": owner["password"]})
        assert stale.status_code == 429


async def _always_wrong(password_hash, password) -> bool:
    return False
