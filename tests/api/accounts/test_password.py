"""Password reset (POST /api/v1/auth/password/forgot, /password/reset), change
(POST /api/v1/me/password) and "log out everywhere" over HTTP."""
from __future__ import annotations

from accounts.tables import AuthToken, User
from notify.tables import OutboxMessage
from tests.api.accounts.conftest import problem_slug
from tests.factories import auth, emailed_link, make_user

FORGOT = "/api/v1/auth/password/forgot"
RESET = "/api/v1/auth/password/reset"
CHANGE = "/api/v1/me/password"
EVERYWHERE = "/api/v1/auth/logout-everywhere"
ME = "/api/v1/me"


async def login(client, user, password=None):
    response = await client.post("/api/v1/auth/login", json={"email": user["email"],
                                                            "password": password or user["password"]})
    client.cookies.clear()
    return response


async def reset_token(client, settings, user) -> str:
    assert (await client.post(FORGOT, json={"email": user["email"]})).status_code == 202
    return (await emailed_link(settings, "password_reset", user["id"])).rsplit("/", 1)[1]


def _returning(row):
    async def usable(*_args):
        return dict(row)
    return usable


class TestLoginDuringAReset:
    async def test_a_login_checked_against_the_old_password_gets_no_session(self, client, monkeypatch):
        """argon2 takes ~0.1 s: a reset or change that commits meanwhile must not leave the
        login's new session behind it."""
        from accounts import repository, service
        from accounts.passwords import hash_password

        ada = await make_user()
        real_verify = service.verify_password

        async def verify_then_reset(stored, password):
            ok = await real_verify(stored, password)
            await repository.set_password_hash(ada["id"], await hash_password("the victim's new secret"))
            await repository.delete_tokens_of(ada["id"])
            return ok

        monkeypatch.setattr(service, "verify_password", verify_then_reset)
        before = await AuthToken.count().where(AuthToken.user == ada["id"])
        response = await login(client, ada)
        assert response.status_code == 401 and problem_slug(response) == "invalid-credentials"
        assert await AuthToken.count().where(AuthToken.user == ada["id"]) == 0 <= before


class TestForgot:
    async def test_the_same_answer_whether_or_not_the_account_exists(self, client):
        ada = await make_user()
        known = await client.post(FORGOT, json={"email": ada["email"].upper()})
        unknown = await client.post(FORGOT, json={"email": "nobody@example.org"})
        malformed = await client.post(FORGOT, json={"email": "not an address"})
        assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
        assert malformed.status_code == 400 and problem_slug(malformed) == "validation-error"
        rows = await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.recipient)
        assert rows == [{"kind": "password_reset", "recipient": ada["id"]}]

    async def test_three_per_address_per_hour_then_nothing_more_and_the_same_answer(self, client, clock):
        ada = await make_user()
        answers = []
        for _ in range(5):
            clock.advance(seconds=60)
            answers.append(await client.post(FORGOT, json={"email": ada["email"]}))
        assert {a.status_code for a in answers} == {202} and len({a.text for a in answers}) == 1
        assert await OutboxMessage.count().where(OutboxMessage.kind == "password_reset") == 3
        clock.advance(seconds=3600 - 4 * 60 + 1)  # the first leaves the window
        await client.post(FORGOT, json={"email": ada["email"]})
        assert await OutboxMessage.count().where(OutboxMessage.kind == "password_reset") == 4

    async def test_an_erased_account_gets_nothing(self, client):
        ada = await make_user()
        assert (await client.delete(ME, headers=auth(ada))).status_code == 204
        await client.post(FORGOT, json={"email": ada["email"]})
        assert await OutboxMessage.count().where(OutboxMessage.kind == "password_reset") == 0


class TestReset:
    async def test_sets_the_password_ends_every_login_and_verifies_the_address(self, client, settings):
        ada = await make_user(verified=False)
        other = (await login(client, ada)).json()["token"]
        token = await reset_token(client, settings, ada)
        response = await client.post(RESET, json={"token": token, "password": "a brand new secret"})
        assert response.status_code == 204, response.text
        for bearer in (ada["token"], other):
            assert (await client.get(ME, headers={"Authorization": f"Bearer {bearer}"})).status_code == 401
        assert (await login(client, ada)).status_code == 401
        fresh = await login(client, ada, "a brand new secret")
        assert fresh.status_code == 200 and fresh.json()["user"]["email_verified"] is True

    async def test_a_link_works_once(self, client, settings):
        ada = await make_user()
        token = await reset_token(client, settings, ada)
        assert (await client.post(RESET, json={"token": token, "password": "first new secret"})).status_code == 204
        again = await client.post(RESET, json={"token": token, "password": "second new secret"})
        assert again.status_code == 400 and problem_slug(again) == "invalid-token"
        assert (await login(client, ada, "first new secret")).status_code == 200

    async def test_a_link_read_as_usable_just_before_another_use_still_works_once(self, client, settings,
                                                                                 monkeypatch):
        """The race on PostgreSQL: a second use of link A read it as usable before the first
        committed; meanwhile a new link C was asked for. Using "some open link" up would let A
        set the password twice; A itself must be the one used up."""
        from accounts import repository
        from accounts.tables import OneTimeToken

        ada = await make_user()
        first = await reset_token(client, settings, ada)
        assert (await client.post(RESET, json={"token": first, "password": "first new secret"})).status_code == 204
        used = await OneTimeToken.select(OneTimeToken.id, OneTimeToken.user, OneTimeToken.next_path).where(
            OneTimeToken.used_at.is_not_null()).first()  # link A, as a stale read still sees it
        await reset_token(client, settings, ada)  # link C, still open
        monkeypatch.setattr(repository, "usable_one_time_token", _returning(
            {"id": used["id"], "user_id": used["user"], "next_path": used["next_path"]}))
        again = await client.post(RESET, json={"token": first, "password": "second new secret"})
        assert again.status_code == 400 and problem_slug(again) == "invalid-token"
        monkeypatch.undo()
        assert (await login(client, ada, "first new secret")).status_code == 200

    async def test_a_link_expires_after_an_hour_and_changes_nothing(self, client, settings, clock):
        ada = await make_user()
        token = await reset_token(client, settings, ada)
        clock.advance(seconds=3600)
        response = await client.post(RESET, json={"token": token, "password": "a brand new secret"})
        assert response.status_code == 400 and problem_slug(response) == "invalid-token"
        assert (await client.get(ME, headers=auth(ada))).status_code == 200
        assert (await login(client, ada)).status_code == 200

    async def test_a_refused_password_keeps_the_old_one_the_sessions_and_the_link(self, client, settings):
        ada = await make_user()
        token = await reset_token(client, settings, ada)
        response = await client.post(RESET, json={"token": token, "password": "short"})
        assert response.status_code == 400 and problem_slug(response) == "validation-error"
        assert (await client.get(ME, headers=auth(ada))).status_code == 200
        assert (await login(client, ada)).status_code == 200
        assert (await client.post(RESET, json={"token": token, "password": "long enough now"})).status_code == 204

    async def test_a_failure_inside_the_reset_rolls_everything_back(self, client, settings, monkeypatch):
        from accounts import repository

        ada = await make_user()
        token = await reset_token(client, settings, ada)

        async def broken(user_id):
            raise RuntimeError("the database went away")

        monkeypatch.setattr(repository, "delete_tokens_of", broken)
        try:
            await client.post(RESET, json={"token": token, "password": "a brand new secret"})
        except RuntimeError:
            pass
        monkeypatch.undo()
        assert (await client.get(ME, headers=auth(ada))).status_code == 200
        assert (await login(client, ada)).status_code == 200
        assert (await client.post(RESET, json={"token": token, "password": "a brand new secret"})).status_code == 204

    async def test_a_bad_token_is_invalid(self, client):
        for bad in ("nope", "x" * 200):
            response = await client.post(RESET, json={"token": bad, "password": "a brand new secret"})
            assert response.status_code == 400 and problem_slug(response) == "invalid-token"

    async def test_a_verification_token_does_not_reset(self, client, settings):
        await client.post("/api/v1/auth/register", json={"email": "ada@example.org", "password": "a long secret",
                                                          "display_name": "Ada"})
        token = (await emailed_link(settings, "verify_email")).rsplit("/", 1)[1]
        response = await client.post(RESET, json={"token": token, "password": "a brand new secret"})
        assert response.status_code == 400 and problem_slug(response) == "invalid-token"


class TestChangePassword:
    async def test_changes_it_and_ends_every_other_login(self, client):
        ada = await make_user()
        other = (await login(client, ada)).json()["token"]
        response = await client.post(CHANGE, headers=auth(ada), json={
            "current_password": ada["password"], "new_password": "a brand new secret"})
        assert response.status_code == 204, response.text
        assert (await client.get(ME, headers=auth(ada))).status_code == 200  # this one stays
        assert (await client.get(ME, headers={"Authorization": f"Bearer {other}"})).status_code == 401
        assert (await login(client, ada)).status_code == 401
        assert (await login(client, ada, "a brand new secret")).status_code == 200

    async def test_a_wrong_current_password_is_401_and_changes_nothing(self, client):
        ada = await make_user()
        other = (await login(client, ada)).json()["token"]
        response = await client.post(CHANGE, headers=auth(ada), json={
            "current_password": "not it at all", "new_password": "a brand new secret"})
        assert response.status_code == 401 and problem_slug(response) == "invalid-credentials"
        assert (await client.get(ME, headers={"Authorization": f"Bearer {other}"})).status_code == 200
        assert (await login(client, ada)).status_code == 200

    async def test_wrong_guesses_are_bounded(self, client):
        ada = await make_user()
        body = {"current_password": "not it at all", "new_password": "a brand new secret"}
        for _ in range(10):
            assert (await client.post(CHANGE, headers=auth(ada), json=body)).status_code == 401
        response = await client.post(CHANGE, headers=auth(ada), json=body)
        assert response.status_code == 429 and "retry-after" in response.headers

    async def test_a_short_new_password_is_refused(self, client):
        ada = await make_user()
        response = await client.post(CHANGE, headers=auth(ada), json={
            "current_password": ada["password"], "new_password": "short"})
        assert response.status_code == 400 and problem_slug(response) == "validation-error"

    async def test_open_reset_links_die_with_the_old_password(self, client, settings):
        ada = await make_user()
        token = await reset_token(client, settings, ada)
        await client.post(CHANGE, headers=auth(ada), json={
            "current_password": ada["password"], "new_password": "a brand new secret"})
        response = await client.post(RESET, json={"token": token, "password": "attacker's choice"})
        assert response.status_code == 400 and problem_slug(response) == "invalid-token"

    async def test_needs_a_login(self, client):
        assert (await client.post(CHANGE, json={"current_password": "x", "new_password": "y" * 8})).status_code == 401


class TestLogoutEverywhere:
    async def test_every_token_and_session_ends_this_one_too(self, client):
        ada, bob = await make_user(), await make_user()
        other = (await login(client, ada)).json()["token"]
        response = await client.post(EVERYWHERE, headers=auth(ada))
        assert response.status_code == 204
        for bearer in (ada["token"], other):
            assert (await client.get(ME, headers={"Authorization": f"Bearer {bearer}"})).status_code == 401
        assert await AuthToken.count().where(AuthToken.user == ada["id"]) == 0
        assert (await client.get(ME, headers=auth(bob))).status_code == 200

    async def test_clears_the_cookies_of_a_browser(self, client):
        ada = await make_user()
        logged = await client.post("/api/v1/auth/login", json={"email": ada["email"], "password": ada["password"]})
        csrf = logged.cookies["alveole_csrf"]
        response = await client.post(EVERYWHERE, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 204
        assert 'alveole_session=""' in response.headers.get("set-cookie", "") or \
            "alveole_session=;" in response.headers.get("set-cookie", "")
        assert (await client.get(ME)).status_code == 401

    async def test_needs_a_login(self, client):
        assert (await client.post(EVERYWHERE)).status_code == 401


async def test_user_rows_keep_their_password_hash_format(client, settings):
    ada = await make_user()
    token = await reset_token(client, settings, ada)
    await client.post(RESET, json={"token": token, "password": "a brand new secret"})
    row = await User.select(User.password_hash).where(User.id == ada["id"]).first()
    assert row["password_hash"].startswith("$argon2")
