"""Over https: `__Host-` cookie names (Secure, Path=/, no Domain) for every cookie that carries
state, and in prod HSTS on every response; over http: the plain names and no HSTS."""
from __future__ import annotations

import dataclasses

import httpx
import pytest

from tests.conftest import running, shared_app
from tests.factories import make_user

HSTS = "max-age=31536000"


async def https_client(app, base: str):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base)


def set_cookies(response) -> dict[str, str]:
    """name → the whole Set-Cookie line."""
    return {line.split("=", 1)[0]: line for line in response.headers.get_list("set-cookie")}


@pytest.fixture(params=["dev", "prod"])
def https_settings(request, settings):
    return dataclasses.replace(settings, base_url="https://alveole.test", env=request.param,
                               secret_key="k" * 40)


@pytest.fixture
async def https(https_settings, clock):
    app = shared_app(https_settings, clock)
    async with running(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="https://alveole.test") as http:
            yield http


class TestOverHttps:
    async def test_login_sets_host_prefixed_cookies_that_authenticate(self, https, https_settings):
        user = await make_user()
        login = await https.post("/api/v1/auth/login", json={"email": user["email"], "password": user["password"]})
        assert login.status_code == 200
        cookies = set_cookies(login)
        assert set(cookies) == {"__Host-alveole_session", "__Host-alveole_csrf"}
        for line in cookies.values():
            lowered = line.lower()
            assert "; secure" in lowered and "path=/" in lowered and "domain=" not in lowered
        me = await https.get("/api/v1/me")  # the client sends them back as a browser would
        assert me.status_code == 200
        csrf = https.cookies["__Host-alveole_csrf"]
        assert (await https.patch("/api/v1/me", json={"bio": "x"})).status_code == 403
        ok = await https.patch("/api/v1/me", json={"bio": "x"}, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 200

    async def test_an_unprefixed_cookie_planted_by_a_sibling_authenticates_no_one(self, https):
        user = await make_user()
        login = await https.post("/api/v1/auth/login", json={"email": user["email"], "password": user["password"]})
        token = login.json()["token"]
        https.cookies.clear()
        https.cookies.set("alveole_session", token)
        assert (await https.get("/api/v1/me")).status_code == 401

    async def test_page_cookies_are_prefixed_too(self, https):
        page = await https.get("/login", headers={"Accept": "text/html"})
        assert "__Host-alveole_csrf" in set_cookies(page)
        language = await https.post("/language", data={"lang": "fr", "next": "/",
                                                       "csrf_token": https.cookies["__Host-alveole_csrf"]})
        assert {"__Host-alveole_lang"} <= set(set_cookies(language)), language.headers.get_list("set-cookie")
        assert all(name.startswith("__Host-") for name in set_cookies(language))

    async def test_hsts_on_every_response_in_prod_only(self, https, https_settings):
        answers = [await https.get("/health"), await https.get("/no/such/page"),
                   await https.get("/api/v1/me"), await https.get("/login"),
                   await https.post("/api/v1/me", content=b"x", headers={"content-type": "text/plain"})]
        for answer in answers:
            expected = HSTS if https_settings.env == "prod" else None
            assert answer.headers.get("strict-transport-security") == expected, (answer.url, answer.status_code)


class TestOverHttp:
    async def test_plain_names_and_no_hsts_even_in_prod(self, clock, settings):
        app = shared_app(dataclasses.replace(settings, env="prod", secret_key="k" * 40), clock)
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://alveole.test") as http:
                user = await make_user()
                login = await http.post("/api/v1/auth/login",
                                        json={"email": user["email"], "password": user["password"]})
                assert set(set_cookies(login)) == {"alveole_session", "alveole_csrf"}
                assert "strict-transport-security" not in login.headers
                token = login.json()["token"]
                me = await http.get("/api/v1/me", headers={"Cookie": f"alveole_session={token}"})
                assert me.status_code == 200
                assert (await http.get("/api/v1/me", headers={"Cookie": f"__Host-alveole_session={token}"})).status_code == 401
