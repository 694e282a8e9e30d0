"""Take the README's screenshots: `python docs/screenshots/take.py` starts `alveole serve --demo`
on a throwaway SQLite file and photographs pages with Playwright driving Debian's chromium
(`/usr/bin/chromium`, never a downloaded browser), JavaScript off as a visitor's could be.
Each PNG is then cut down to a palette of 64 colours with Pillow (`pip install pillow`): the
pages are flat colours and text, so this keeps them sharp at a quarter of the size.

`shoot(browser, base_url, folder)` is what the browser tests call too
(tests/e2e/test_screenshots.py), so a page change that breaks a shot fails there first."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "alveole-demo"
ORGANIZER = "nadia@alveole.test"  # the demo's organizer of Belleville


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    width: int
    height: int  # of the window; `full_page` takes the whole page whatever its length
    full_page: bool = False
    user: str | None = None  # log in first (in English)
    title: str = ""  # the page's title starts with this, or the shot is refused


SHOTS = (
    Shot("home.png", "/", 1024, 760, title="Workshops in Belleville"),
    Shot("home-phone.png", "/", 360, 640, title="Workshops in Belleville"),  # the first screen of a phone
    Shot("workshop-phone.png", "/workshops/{pain}", 360, 740, full_page=True, title="Pain au levain"),
    Shot("dashboard.png", "/organize/dashboard?community=belleville", 1024, 800, full_page=True, user=ORGANIZER,
         title="Attendance in Belleville"),
)


def _log_in_in_english(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    if page.locator("html").get_attribute("lang") != "en":  # the demo's accounts are in French
        page.get_by_role("button", name="English").click()


def shoot(browser, base_url: str, folder: Path) -> list[Path]:
    """Every shot of SHOTS into `folder`; returns their paths."""
    taken = []
    for shot in SHOTS:
        context = browser.new_context(base_url=base_url, locale="en-GB", java_script_enabled=False,
                                      viewport={"width": shot.width, "height": shot.height})
        page = context.new_page()
        if shot.user:
            _log_in_in_english(page, shot.user)
        path = shot.path
        if "{pain}" in path:
            page.goto("/")
            href = page.locator("main a", has_text="Pain au levain").first.get_attribute("href")
            path = path.format(pain=re.sub(r"\D", "", href))
        page.goto(path)
        if not page.title().startswith(shot.title):
            raise AssertionError(f"{shot.name}: {path} shows {page.title()!r}")
        target = folder / shot.name
        page.screenshot(path=str(target), full_page=shot.full_page, animations="disabled")
        taken.append(target)
        context.close()
    return taken


def shrink(png: Path, colours: int = 64) -> None:
    from PIL import Image

    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(png, optimize=True)


def main() -> int:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        env = {**os.environ, "ALVEOLE_DATABASE_URL": f"sqlite:///{tmp}/demo.db", "ALVEOLE_MAIL_DIR": f"{tmp}/mail",
               "ALVEOLE_BASE_URL": "", "ALVEOLE_RATE_LIMITS": "off"}
        env.pop("ALVEOLE_TEST_DATABASE_URL", None)
        server = subprocess.Popen([sys.executable, "-m", "alveole.cli", "serve", "--demo", "--port", str(port),
                                   "--no-worker"], env=env, stdout=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(1200):
                try:
                    urllib.request.urlopen(f"{base}/health", timeout=2).close()
                    break
                except OSError:
                    time.sleep(0.1)  # polling for start-up
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
                for png in shoot(browser, base, HERE):
                    shrink(png)
                    print(f"{png.relative_to(HERE.parent.parent)}: {png.stat().st_size // 1024} KB")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
