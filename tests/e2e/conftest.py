"""Browser tests: the real app (`alveole serve --demo`, in a subprocess, on a SQLite file) driven
by Playwright with Debian's chromium (`/usr/bin/chromium`; Playwright never downloads a
browser). Skipped, saying why, where that chromium is absent. Screenshots of each test go to
its pytest output folder (`tmp_path`).

The server is one per test run (session-scoped, with the demo data); each test makes what it
needs (its own accounts, its own workshop), so tests do not depend on each other's order."""
from __future__ import annotations

import contextlib
import itertools
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from alveole import demo
from tests import mail_files

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
DEMO_PASSWORD = demo.PASSWORD
# demo logins (their accounts are in French)
ADMIN, ORGANIZER, PARTICIPANT = demo.ADMIN.email, demo.ORGANIZER.email, demo.CHLOE.email
HOST = demo.LOUIS.email

if not CHROMIUM.exists():
    pytest.skip(f"the browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL (CI's second pass) the browser tests are skipped: their server always runs
    on its own SQLite file, so they would be the first pass again, minutes for nothing."""
    if not os.environ.get("ALVEOLE_TEST_DATABASE_URL"):
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="the browser tests run on SQLite only (they ignore ALVEOLE_TEST_DATABASE_URL)")
    for item in items:
        if here in item.path.parents:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class DemoServer:
    url: str
    database: Path  # the server's SQLite file, for what a browser cannot do: let time pass
    log: Path  # its standard error (tracebacks of a 500)


@contextlib.contextmanager
def serving_demo(tmp: Path) -> Iterator[DemoServer]:
    """`alveole serve --demo` on 127.0.0.1 with its own SQLite file under `tmp`, until the block ends."""
    port = _free_port()
    env = {**os.environ, "ALVEOLE_DATABASE_URL": f"sqlite:///{tmp / 'alveole.db'}",
           "ALVEOLE_MAIL_DIR": str(tmp / "mail"), "ALVEOLE_RATE_LIMITS": "off", "ALVEOLE_BASE_URL": ""}
    log = tmp / "server.log"  # a file, not a pipe nobody reads (a full pipe would stall the server)
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "alveole.cli", "serve", "--demo", "--port", str(port), "--no-worker"],
            env=env, stdout=subprocess.DEVNULL, stderr=log_file, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=5):
                    break
            except OSError:
                if process.poll() is not None:
                    raise AssertionError(f"the server stopped: {log.read_text()}") from None
                if time.monotonic() > deadline:
                    raise AssertionError("the server did not start") from None
                time.sleep(0.1)  # polling for start-up, not waiting for a deadline
        yield DemoServer(base, tmp / "alveole.db", log)
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """`alveole serve --demo` on 127.0.0.1 with its own SQLite file."""
    with serving_demo(tmp_path_factory.mktemp("e2e-server")) as served:
        yield served


def emailed_link(server: DemoServer, to: str, kind: str, pattern: str = mail_files.ONE_TIME_LINK) -> str:
    """The path of the link (`/verify/…`, `/reset/…`) in the `kind` email to `to`, read from
    the server's mail files (`tests.mail_files`: the server runs without its worker)."""
    env = {**os.environ, "ALVEOLE_DATABASE_URL": f"sqlite:///{server.database}", "ALVEOLE_RATE_LIMITS": "off"}
    return mail_files.emailed_link(env, server.database.parent / "mail", server.url, to, kind, pattern)


@pytest.fixture(scope="session")
def server(demo_server: DemoServer) -> str:
    """The demo server's base URL."""
    return demo_server.url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Module-scoped, never session-scoped: Playwright's sync API keeps an event loop running in
    this thread until it stops, and the async tests collected after these need none running."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


_people = itertools.count(1)


def expect_title(page, start: str) -> None:
    """The page's title starts with `start`, waiting for the document a click led to (a click
    returns once the navigation starts; reading `page.title()` then can see the empty title of
    a document still loading)."""
    from playwright.sync_api import expect
    expect(page).to_have_title(re.compile("^" + re.escape(start)))


def sign_up(page, name: str) -> str:
    """A new account through the sign-up form (in the page's language); returns its email."""
    email = f"e2e-{next(_people)}-{name.lower()}@example.org"
    page.goto("/")
    page.get_by_role("link", name=re.compile("Sign up|Créer un compte")).first.click()
    page.get_by_label(re.compile("Your name|Votre nom")).fill(name)
    page.get_by_label(re.compile("Email address|Adresse e-mail")).fill(email)
    page.get_by_label(re.compile("^(Password|Mot de passe)")).fill("a long enough password")
    page.get_by_role("button", name=re.compile("Create my account|Créer mon compte")).click()
    return email


def log_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Through the login form, from wherever the page is."""
    page.goto("/login")
    page.get_by_label(re.compile("^(Email address|Adresse e-mail)")).fill(email)
    page.get_by_label(re.compile("^(Password|Mot de passe)")).fill(password)
    page.get_by_role("button", name=re.compile("^(Log in|Se connecter)$")).click()
    assert page.locator("header").get_by_role("button", name=re.compile("Log out|Se déconnecter"),
                                              include_hidden=True).count() == 1


def open_menu(page) -> None:
    """Unfold the header's account menu (a <details>: no script needed)."""
    menu = page.locator("header details")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()


@pytest.fixture(scope="module")
def logged_in(browser, server):
    """`logged_in(email)`: the cookies of a session of that account (one login per module)."""
    states: dict[str, dict] = {}

    def state(email: str) -> dict:
        if email not in states:
            context = browser.new_context(base_url=server, java_script_enabled=False)
            log_in(context.new_page(), email)
            states[email] = context.storage_state()
            context.close()
        return states[email]

    return state


@pytest.fixture
def new_page(browser, server, tmp_path, logged_in):
    """`new_page(locale="fr-FR", width=360, javascript=False, user=None)`: a page in a fresh
    context (no cookies, or those of `user`'s session), JavaScript off unless asked; each is
    screenshotted at the end of the test."""
    contexts = []

    def make(locale: str = "en-GB", width: int = 1024, javascript: bool = False, user: str | None = None):
        context = browser.new_context(base_url=server, locale=locale, java_script_enabled=javascript,
                                      viewport={"width": width, "height": 800},
                                      storage_state=logged_in(user) if user else None)
        contexts.append(context)
        return context.new_page()

    yield make
    for n, context in enumerate(contexts):
        for m, page in enumerate(context.pages):
            page.screenshot(path=str(tmp_path / f"screen-{n}-{m}.png"), full_page=True)
        context.close()
