"""Every main page scanned by axe-core (the copy bundled in the `axe-playwright-python` wheel,
nothing downloaded): no serious or critical violation (at a desktop width, in English for
visitors); and every main page in French at 360 px does not scroll sideways, and weighs at
most 100 KB before images (its HTML and style sheets). Axe and the width
need JavaScript in these contexts; the pages themselves hold none (checked here too)."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import ADMIN, HOST, ORGANIZER, PARTICIPANT

pytestmark = pytest.mark.slow
AXE = Axe()
BLOCKING = ("serious", "critical")


def _href(page, start: str, selector: str) -> str:
    page.goto(start)
    link = page.locator(selector).first
    assert link.count() == 1, f"no {selector} on {start}"
    return link.get_attribute("href")


def _workshop(page) -> str:
    return _href(page, "/", "main a:has-text('Pain au levain')")


def _host(page) -> str:
    return _href(page, _workshop(page), "main a[href^='/hosts/']")


def _hosted_workshop(page) -> str:
    return _href(page, "/host", "main .card-title a:has-text('Pain au levain')")


def _a_session(page, action: str) -> str:
    edit = _href(page, _hosted_workshop(page), "main a[href^='/sessions/'][href$='/edit']")
    return edit.removesuffix("/edit") + action


def _refused(path: str):
    """The form at `path` sent empty: the page with its error summary."""
    def find(page) -> None:
        page.goto(path)
        page.locator("main form[method='post'] button[type='submit']").last.click()
        assert page.get_by_role("alert").count() == 1

    return find


def _recipe_refused(page) -> None:
    """The publish form sent with no step and a duration that is not a number."""
    page.goto(_href(page, "/host", "main a[href$='/recipe']"))
    page.locator("#steps").fill("")
    page.locator("#duration_minutes").fill("")
    page.locator("main form[method='post'] button[type='submit']").last.click()
    assert page.get_by_role("alert").count() == 1


# name: (the page's path, or how to find it from another page, or how to get there; who looks
# at it). The demo's accounts are in French: their pages are French at both widths.
PAGES = {
    "home": ("/", None),
    "home-filtered-empty": ("/?q=nothing-matches-this", None),
    "home-refused-filters": ("/?from=2000-01-02&until=2000-01-01", None),
    "workshop": (_workshop, None),
    "host": (_host, None),
    "login": ("/login", None),
    "signup": ("/signup", None),
    "signup-refused": (_refused("/signup"), None),
    "not-found": ("/nowhere", None),
    "forgot": ("/forgot", None),
    "forgot-refused": (_refused("/forgot"), None),
    "verify-link-invalid": ("/verify/not-a-token", None),
    "reset-link-invalid": ("/reset/not-a-token", None),
    "home-logged-in": ("/", PARTICIPANT),
    "my-bookings": ("/me/bookings", PARTICIPANT),
    "cancel-booking": (lambda page: _href(page, "/me/bookings", "main a[href^='/me/bookings/'][href$='/cancel']"),
                       PARTICIPANT),
    "feedback": (lambda page: _href(page, "/me/bookings", "main a[href^='/me/bookings/'][href$='/feedback']"),
                 PARTICIPANT),
    "my-waitlist": ("/me/waitlist", PARTICIPANT),
    "workshop-booked": (lambda page: _href(page, "/me/bookings", "main .booking h3 a"), PARTICIPANT),
    "account": ("/me/account", PARTICIPANT),
    "account-delete": ("/me/account/delete", PARTICIPANT),
    "host-dashboard": ("/host", HOST),
    "workshop-as-host": (_hosted_workshop, HOST),
    "propose": ("/workshops/new", HOST),
    "propose-refused": (_refused("/workshops/new"), HOST),
    "edit-workshop": (lambda page: _hosted_workshop(page) + "/edit", HOST),
    "add-sessions": (lambda page: _hosted_workshop(page) + "/sessions/new", HOST),
    "add-sessions-refused": (lambda page: _refused(_hosted_workshop(page) + "/sessions/new")(page), HOST),
    "workshop-feedback": (lambda page: _hosted_workshop(page) + "/feedback", HOST),
    "reschedule": (lambda page: _a_session(page, "/edit"), HOST),
    "cancel-session": (lambda page: _a_session(page, "/cancel"), HOST),
    "roster": (lambda page: _a_session(page, "/roster"), HOST),
    "moderation": ("/organize/moderation", ORGANIZER),
    "reject": (lambda page: _href(page, "/organize/moderation", "main a[href$='/reject']"), ORGANIZER),
    "dashboard": ("/organize/dashboard?community=belleville", ORGANIZER),
    "recipes": ("/recipes", None),
    "recipes-searched-empty": ("/recipes?q=nothing-matches-this", None),
    "recipe": (lambda page: _href(page, "/recipes", "main .card a[href^='/recipes/']"), None),
    "recipe-logged-in": (lambda page: _href(page, "/recipes", "main .card a[href^='/recipes/']"), HOST),
    "publish-recipe": (lambda page: _href(page, "/host", "main a[href$='/recipe']"), HOST),
    "publish-recipe-refused": (lambda page: _recipe_refused(page), HOST),
    "programme": ("/communities/belleville/programme", None),
    "slip": (lambda page: f"/bookings/{page.request.get('/api/v1/me/bookings').json()['items'][0]['id']}/slip",
             PARTICIPANT),
    "relays": ("/organize/communities/belleville/relays", ORGANIZER),
    "desk": ("/desk", HOST),
    "neighbours": ("/me/neighbours", HOST),
    "admin-communities": ("/admin/communities", ADMIN),
    "admin-community": (lambda page: _href(page, "/admin/communities", "main a[href^='/admin/communities/']"), ADMIN),
}


@pytest.fixture(scope="module")
def tab(browser, server, logged_in):
    """`tab(locale, width, user)`: one page per kind of visitor for the whole module (a context
    per test would double the module's time); none is screenshotted, axe says what matters."""
    contexts = {}

    def get(locale: str, width: int, user: str | None):
        key = (locale, width, user)
        if key not in contexts:
            contexts[key] = browser.new_context(base_url=server, locale=locale, viewport={"width": width, "height": 800},
                                                storage_state=logged_in(user) if user else None)
            contexts[key].new_page()
        return contexts[key].pages[0]

    yield get
    for context in contexts.values():
        context.close()


_found: dict[str, str] = {}  # name → the path a finder found (the second test goes straight there)


def _open(tab, name: str, *, locale: str, width: int):
    where, user = PAGES[name]
    page = tab(locale, width, user)
    if not isinstance(where, str) and name in _found:
        where = _found[name]
    if isinstance(where, str):
        response = page.goto(where)
        assert response is not None and response.status < 500, f"{where}: {response and response.status}"
    else:
        found = where(page)
        if found is not None:
            _found[name] = found
            page.goto(found)
    path = page.url.removeprefix(page.url.split("/")[0] + "//" + page.url.split("/")[2])
    assert page.locator("h1").count() == 1, f"{path}: no heading (an error page?)"
    assert page.evaluate("document.scripts.length") == 0, f"{path} holds a script"
    return page, path


def _assert_no_blocking_violation(page, path: str) -> None:
    results = AXE.run(page)
    assert results.response["testEngine"]["name"] == "axe-core"
    assert results.response["passes"] or results.response["violations"], "axe checked nothing"
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    report = "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — "
                       + "; ".join(n["html"][:120] for n in v["nodes"][:3]) for v in blocking)
    assert not blocking, f"{path}:\n{report}"


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violation(tab, name):
    page, path = _open(tab, name, locale="en-GB", width=1024)
    _assert_no_blocking_violation(page, path)


def _weight(page) -> int:
    """The page's HTML and style sheets in bytes (images aside), as served."""
    sheets = page.evaluate("[...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href)")
    html = page.request.get(page.url).body()
    return len(html) + sum(len(page.request.get(sheet).body()) for sheet in sheets)


@pytest.mark.parametrize("name", PAGES)
def test_in_french_at_360_px_no_sideways_scroll_and_under_100_kb(tab, name):
    page, path = _open(tab, name, locale="fr-FR", width=360)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{path} is {width}px wide at 360px"
    weight = _weight(page)  # of the page at this address, got again (a refused form: the empty one)
    assert weight <= 100_000, f"{path} weighs {weight} bytes before images"


def test_axe_does_find_violations(tab):
    """The scan is not vacuous: a page given an unlabelled field and an image without a text fails."""
    page = tab("en-GB", 1024, None)
    page.goto("/")
    page.evaluate("""() => {
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend', '<input type="text"><img src="/static/none.png">');
    }""")
    found = {v["id"] for v in AXE.run(page).response["violations"] if v["impact"] in BLOCKING}
    assert {"label", "image-alt"} <= found
