"""Take the README's screenshots: `python docs/screenshots/take.py` starts `alveole serve --demo`
on a throwaway SQLite file and photographs pages with Playwright driving Debian's chromium
(`/usr/bin/chromium`, never a downloaded browser)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
SHOTS = {"home.png": ("/", 1024)}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        env = {**os.environ, "ALVEOLE_DATABASE_URL": f"sqlite:///{tmp}/demo.db", "ALVEOLE_MAIL_DIR": f"{tmp}/mail",
               "ALVEOLE_BASE_URL": ""}
        server = subprocess.Popen([sys.executable, "-m", "alveole.cli", "serve", "--demo", "--port", str(port),
                                   "--no-worker"], env=env, stdout=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    urllib.request.urlopen(f"{base}/health", timeout=2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
                for name, (path, width) in SHOTS.items():
                    context = browser.new_context(locale="en-GB", java_script_enabled=False,
                                                  viewport={"width": width, "height": 900})
                    page = context.new_page()
                    page.goto(base + path)
                    page.screenshot(path=str(HERE / name), full_page=width < 500)
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
