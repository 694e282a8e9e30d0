"""The public and account pages over HTTP: status, language, forms (CSRF, validation messages,
POST → 303 → GET), flash messages, error pages and the stylesheet."""
from __future__ import annotations

import re

import pytest

from tests.api.workshops.test_pages import BROWSER, html_page
from tests.factories import make_community, make_session, make_user, make_workshop

FR = {**BROWSER, "Accept-Language": "fr-FR,fr;q=0.9"}


def token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def set_cookie(response, name: str) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))


@pytest.fixture
async def community():
    return await make_community(name="Belleville", slug="belleville")


async def _workshop(community, **overrides):
    workshop = await make_workshop(community=community, **overrides)
    await make_session(workshop)
    return workshop


class TestHome:
    async def test_the_only_community_s_workshops(self, client, community):
        await _workshop(community, title="Bike repair")
        await make_workshop(community=await make_community(name="Elsewhere"), title="Far away")
        response = await client.get("/", headers=BROWSER)
        page = html_page(response, 200)
        assert "Choose your community" in page.title  # two communities: a picker
        page = html_page(await client.get("/?community=belleville", headers=BROWSER))
        assert "Belleville" in page.title and "Bike repair" in page.visible and "Far away" not in page.visible

    async def test_filters_use_the_listing(self, client, community):
        await _workshop(community, title="Bike repair", category="repair")
        await _workshop(community, title="Sourdough", category="cooking", payment="on_site", price_cents=500)
        visible = lambda r: html_page(r).visible
        assert "Sourdough" not in visible(await client.get("/?category=repair", headers=BROWSER))
        assert "Bike repair" not in visible(await client.get("/?q=sourdough", headers=BROWSER))
        paid = visible(await client.get("/?payment=on_site", headers=BROWSER))
        assert "Sourdough" in paid and "Bike repair" not in paid
        after = visible(await client.get("/?from=2027-01-01", headers=BROWSER))
        assert "Sourdough" not in after and "0 workshops" in after

    async def test_distance_from_the_community_centre(self, client, community):
        await _workshop(community, title="Round the corner")
        await _workshop(community, title="Out of town", venue_lat=48.95, venue_lon=2.35)
        near = html_page(await client.get("/?within=2", headers=BROWSER)).visible
        assert "Round the corner" in near and "Out of town" not in near
        everywhere = html_page(await client.get("/?within=999", headers=BROWSER)).visible  # not offered: ignored
        assert "Out of town" in everywhere

    async def test_a_wrong_date_is_told_next_to_its_field(self, client, community):
        response = await client.get("/?from=soon", headers=BROWSER)
        page = html_page(response, 400)
        assert 'id="from-error"' in response.text and "There is a problem" in page.visible

    async def test_pages_of_ten(self, client, community):
        for n in range(12):
            await _workshop(community, title=f"Workshop {n:02}")
        first = await client.get("/", headers=BROWSER)
        assert "12 workshops" in html_page(first).visible and 'href="/?page=2"' in first.text
        second = html_page(await client.get("/?page=2", headers=BROWSER))
        assert second.visible.count("Workshop ") == 2 and "page 2 of 2" in second.title

    async def test_a_page_past_the_end_says_where_the_list_ends(self, client, community):
        for n in range(12):
            await _workshop(community, title=f"Workshop {n:02}")
        response = await client.get("/?page=5&q=Workshop", headers=BROWSER)
        page = html_page(response)
        assert "No workshop" not in page.visible and "Workshop 0" not in page.visible
        assert "The list ends at page 2." in page.visible
        assert 'href="/?q=Workshop&amp;page=2"' in response.text and "page 5 of 2" not in page.visible
        french = html_page(await client.get("/?page=3", headers=FR)).visible
        assert "La liste s’arrête à la page 2." in french

    async def test_the_chosen_community_is_remembered(self, client, community):
        other = await make_community(slug="croix-rousse", name="Croix-Rousse")
        await _workshop(community, title="Belleville bikes")
        chooser = html_page(await client.get("/", headers=BROWSER))
        assert "Choose your community" in chooser.title
        chosen = await client.get(f"/?community={other['slug']}", headers=BROWSER)
        assert client.cookies.get("alveole_community") == "croix-rousse"
        assert "Croix-Rousse" in html_page(chosen).title
        back = html_page(await client.get("/", headers=BROWSER))  # the header's "Workshops" link
        assert "Croix-Rousse" in back.title and "Another community" in back.visible
        assert "Choose your community" in html_page(await client.get("/?choose=1", headers=BROWSER)).title
        await client.get(f"/?community={community['slug']}", headers=BROWSER)
        assert "Belleville bikes" in html_page(await client.get("/", headers=BROWSER)).visible
        client.cookies.set("alveole_community", "gone-away")  # a community deleted since: the chooser
        assert "Choose your community" in html_page(await client.get("/", headers=BROWSER)).title

    async def test_no_community_yet(self, client):
        assert "no community" in html_page(await client.get("/", headers=BROWSER)).visible

    async def test_an_unknown_community_is_a_french_404_page(self, client, community):
        page = html_page(await client.get("/?community=nowhere", headers=FR), 404)
        assert "Page introuvable" in page.title

    async def test_security_headers_and_no_script(self, client, community):
        response = await client.get("/", headers=BROWSER)
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "style-src 'self'" in csp and "http" not in csp
        assert response.headers["x-frame-options"] == "DENY"


class TestHostPage:
    async def test_a_host_with_a_published_workshop(self, client, community):
        host = await make_user(display_name="Ada")
        await _workshop(community, host=host, title="Knitting")
        page = html_page(await client.get(f"/hosts/{host['id']}", headers=BROWSER))
        assert "Ada" in page.title and "Knitting" in page.visible

    @pytest.mark.parametrize("path", ["/hosts/999999", "/hosts/abc", "/hosts/01"])
    async def test_others_are_404(self, client, community, path):
        html_page(await client.get(path, headers=BROWSER), 404)
        api = await client.get(path, headers={"Accept": "application/json"})
        assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")

    async def test_a_participant_is_no_host(self, client, community):
        participant = await make_user()
        html_page(await client.get(f"/hosts/{participant['id']}", headers=BROWSER), 404)


class TestSignupAndLogin:
    async def test_sign_up_then_logged_in_then_log_out(self, client, community):
        form = await client.get("/signup", headers=BROWSER)
        token = token_of(form.text)
        refused = await client.post("/signup", data={"display_name": "Zoé", "email": "zoe@example.org",
                                                     "password": "long enough pass", "locale": "fr",
                                                     "timezone": "Europe/Paris"}, headers=BROWSER)
        assert refused.status_code == 403  # no csrf_token field
        done = await client.post("/signup", data={"display_name": "Zoé", "email": "zoe@example.org",
                                                  "password": "long enough pass", "locale": "fr",
                                                  "timezone": "Europe/Paris", "csrf_token": token},
                                 headers=BROWSER)
        assert done.status_code == 303 and done.headers["location"] == "/"
        session = set_cookie(done, "alveole_session").lower()
        assert "httponly" in session and "samesite=lax" in session and "secure" not in session
        home = await client.get("/", headers=BROWSER)
        page = html_page(home)
        assert "Zoé" in page.visible and "Bienvenue" in page.visible  # locale fr chosen at sign-up
        assert "Bienvenue" not in html_page(await client.get("/", headers=BROWSER)).visible  # flash once
        logout_token = token_of((await client.get("/", headers=BROWSER)).text)
        forged = await client.post("/logout", data={}, headers=BROWSER)
        assert "Action non autorisée" in html_page(forged, 403).title  # the middleware's refusal, as a page
        api_client = await client.post("/logout", data={})
        assert api_client.status_code == 403 and api_client.headers["content-type"].startswith("application/problem+json")
        out = await client.post("/logout", data={"csrf_token": logout_token}, headers=BROWSER)
        assert out.status_code == 303
        assert "Zoé" not in html_page(await client.get("/", headers=BROWSER)).visible

    async def test_messages_next_to_each_wrong_field(self, client, community):
        token = token_of((await client.get("/signup", headers=BROWSER)).text)
        response = await client.post("/signup", data={"display_name": " ", "email": "not an email",
                                                      "password": "short", "locale": "en",
                                                      "timezone": "Mars/Olympus", "csrf_token": token},
                                     headers=BROWSER)
        page = html_page(response, 400)
        for name in ("display_name", "email", "password", "timezone"):
            assert f'id="{name}-error"' in response.text and f'href="#{name}"' in response.text
        assert page.title.startswith("Error:")

    async def test_a_taken_email(self, client, community):
        user = await make_user()
        token = token_of((await client.get("/signup", headers=BROWSER)).text)
        response = await client.post("/signup", data={"display_name": "X", "email": user["email"].upper(),
                                                      "password": "long enough pass", "locale": "en",
                                                      "timezone": "UTC", "csrf_token": token}, headers=BROWSER)
        assert "already uses this email" in html_page(response, 400).visible

    async def test_log_in_goes_back_where_asked_and_never_elsewhere(self, client, community):
        user = await make_user()
        token = token_of((await client.get("/login", headers=BROWSER)).text)
        wrong = await client.post("/login", data={"email": user["email"], "password": "nope nope",
                                                  "csrf_token": token}, headers=BROWSER)
        assert "not right" in html_page(wrong, 401).visible
        evil = await client.post("/login", data={"email": user["email"], "password": user["password"],
                                                 "next": "//evil.example/", "csrf_token": token}, headers=BROWSER)
        assert evil.status_code == 303 and evil.headers["location"] == "/"
        token = token_of((await client.get("/login", headers=BROWSER)).text)
        back = await client.post("/login", data={"email": user["email"], "password": user["password"],
                                                 "next": "/hosts/1", "csrf_token": token}, headers=BROWSER)
        assert back.headers["location"] == "/hosts/1"

    async def test_a_forged_login_is_refused(self, client, community):
        user = await make_user()
        await client.get("/login", headers=BROWSER)
        forged = await client.post("/login", data={"email": user["email"], "password": user["password"],
                                                   "csrf_token": "0" * 64}, headers=BROWSER)
        assert forged.status_code == 403 and "alveole_session" not in forged.headers.get("set-cookie", "")

    @pytest.mark.parametrize(("origin", "allowed"), [
        ("http://alveole.test", True), ("https://evil.alveole.test", False), ("null", False)])
    async def test_a_login_posted_from_another_origin_is_refused_even_with_a_matching_token(
            self, client, community, origin, allowed):
        user = await make_user()
        token = token_of((await client.get("/login", headers=BROWSER)).text)
        answer = await client.post("/login", data={"email": user["email"], "password": user["password"],
                                                   "csrf_token": token}, headers={**BROWSER, "Origin": origin})
        assert (answer.status_code == 303) is allowed, answer.status_code
        assert ("alveole_session" in answer.headers.get("set-cookie", "")) is allowed

    async def test_empty_login_fields(self, client, community):
        token = token_of((await client.get("/login", headers=BROWSER)).text)
        response = await client.post("/login", data={"email": "", "password": "", "csrf_token": token},
                                     headers=BROWSER)
        html_page(response, 400)
        assert 'id="email-error"' in response.text and 'id="password-error"' in response.text


class TestLanguage:
    async def test_first_visit_follows_accept_language_then_the_switch(self, client, community):
        first = await client.get("/login", headers=FR)
        assert '<html lang="fr">' in first.text
        switched = await client.post("/language", data={"lang": "en", "next": "/login",
                                                        "csrf_token": token_of(first.text)}, headers=FR)
        assert switched.status_code == 303 and switched.headers["location"] == "/login"
        assert '<html lang="en">' in (await client.get("/login", headers=FR)).text

    async def test_a_user_s_choice_is_kept_in_their_locale(self, client, community, runtime):
        from accounts import service

        user = await make_user(locale="en")
        token = token_of((await client.get("/login", headers=BROWSER)).text)
        await client.post("/login", data={"email": user["email"], "password": user["password"],
                                          "csrf_token": token}, headers=BROWSER)
        token = token_of((await client.get("/", headers=BROWSER)).text)
        await client.post("/language", data={"lang": "fr", "next": "/", "csrf_token": token}, headers=BROWSER)
        assert (await service.get_me(runtime, user["id"])).locale == "fr"

    async def test_a_forged_switch_is_refused(self, client, community):
        await client.get("/login", headers=BROWSER)
        response = await client.post("/language", data={"lang": "fr", "next": "/"}, headers=BROWSER)
        assert response.status_code == 403


class TestErrorsAndStatic:
    async def test_an_unexpected_error_is_a_friendly_page_in_the_visitor_s_language(self, client, monkeypatch):
        from workshops import service

        async def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(service, "host_profile", broken)
        page = html_page(await client.get("/hosts/1", headers=FR), 500)
        assert "Désolé" in page.title and "boom" not in page.visible
        api = await client.get("/hosts/1", headers={"Accept": "application/json"})
        assert api.status_code == 500 and api.json()["type"].endswith("internal-error")

    async def test_a_wrong_method_is_a_page_too(self, client):
        html_page(await client.post("/", headers=BROWSER), 405)

    async def test_an_unknown_page_for_a_browser_and_for_the_api(self, client):
        html_page(await client.get("/no/such/page", headers=BROWSER), 404)
        api = await client.get("/api/v1/no-such", headers=BROWSER)
        assert api.headers["content-type"].startswith("application/problem+json")

    async def test_the_stylesheet_is_served_for_a_year(self, client):
        home = await client.get("/login", headers=BROWSER)
        href = re.search(r'href="(/static/alveole\.css\?v=\w+)"', home.text).group(1)
        css = await client.get(href)
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert "max-age=31536000" in css.headers["cache-control"]
        assert (await client.get("/static/../pyproject.toml")).status_code == 404
        assert (await client.get("/static/nope.css")).status_code == 404


class TestCookies:
    @pytest.mark.parametrize(("base_url", "env", "secure"), [
        ("http://127.0.0.1:8000", "dev", False), ("https://alveole.example", "dev", True),
        ("http://alveole.internal", "prod", True)])
    def test_secure_when_served_over_https_or_in_prod(self, base_url, env, secure):
        from accounts.csrf import session_cookies
        from web.kit import flash_cookie, language_cookie
        from kernel.settings import Settings

        settings = Settings(base_url=base_url, env=env)
        cookies = [*session_cookies("token", settings), language_cookie("fr", settings), flash_cookie("Hi", settings)]
        assert {c.secure for c in cookies} == {secure}
        assert {c.samesite for c in cookies} == {"lax"}

    async def test_a_tampered_flash_is_not_shown(self, client, community, settings):
        from web.kit import flash_cookie

        good = flash_cookie("You are logged out.", settings).value
        client.cookies.set("alveole_flash", good[:-1] + ("0" if good[-1] != "0" else "1"))
        assert "You are logged out" not in html_page(await client.get("/login", headers=BROWSER)).visible
        client.cookies.set("alveole_flash", good)
        assert "You are logged out" in html_page(await client.get("/login", headers=BROWSER)).visible

    @pytest.mark.parametrize("raw", ["a.\u00e9", "\u00e9.\u00e9", "a.", ".x"])
    async def test_a_non_ascii_or_broken_flash_is_ignored_not_a_500(self, client, community, raw):
        response = await client.get("/login", headers={**BROWSER, "Cookie": f"alveole_flash={raw}".encode("latin-1")})
        assert response.status_code == 200
