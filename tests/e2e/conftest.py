"""Browser tests: the real app (`alveole serve --demo`, in a subprocess, on a SQLite file) driven
by Playwright with Debian's chromium (`/usr/bin/chromium`; Playwright never downloads a
browser). Skipped, saying why, where that chromium is absent. Screenshots of each test go to
its pytest output folder (`tmp_path`)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
DEMO_PASSWORD = "alveole-demo"

if not CHROMIUM.exists():
    pytest.skip(f"the browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`alveole serve --demo` on 127.0.0.1 with its own SQLite file; yields its base URL."""
    tmp = tmp_path_factory.mktemp("e2e-server")
    port = _free_port()
    env = {**os.environ, "ALVEOLE_DATABASE_URL": f"sqlite:///{tmp / 'alveole.db'}",
           "ALVEOLE_MAIL_DIR": str(tmp / "mail"), "ALVEOLE_RATE_LIMITS": "off", "ALVEOLE_BASE_URL": ""}
    env.pop("ALVEOLE_TEST_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "alveole.cli", "serve", "--demo", "--port", str(port), "--no-worker"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=5):
                    break
            except OSError:
                if process.poll() is not None:
                    raise AssertionError(f"the server stopped: {process.stderr.read()}") from None
                if time.monotonic() > deadline:
                    raise AssertionError("the server did not start") from None
                time.sleep(0.1)  # polling for start-up, not waiting for a deadline
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Module-scoped, never session-scoped: Playwright's sync API keeps an event loop running in
    this thread until it stops, and the async tests collected after these need none running."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser, server, tmp_path):
    """`new_page(locale="fr-FR", width=360, javascript=False)`: a page in a fresh context
    (no cookies), JavaScript off unless asked; each is screenshotted at the end of the test."""
    contexts = []

    def make(locale: str = "en-GB", width: int = 1024, javascript: bool = False):
        context = browser.new_context(base_url=server, locale=locale, java_script_enabled=javascript,
                                      viewport={"width": width, "height": 800})
        contexts.append(context)
        return context.new_page()

    yield make
    for n, context in enumerate(contexts):
        for m, page in enumerate(context.pages):
            page.screenshot(path=str(tmp_path / f"screen-{n}-{m}.png"), full_page=True)
        context.close()
