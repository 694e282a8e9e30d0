"""For tests of a real server (a subprocess run with `--no-worker`): the link of an email as a
neighbour reads it, from the `.eml` files `alveole worker` writes into the mail folder."""
from __future__ import annotations

import email
import email.policy
import re
import subprocess
import sys
import time
from pathlib import Path

ONE_TIME_LINK = r"/(?:verify|reset)/[A-Za-z0-9_-]+"


def _link_in(mail_dir: Path, base_url: str, to: str, kind: str, pattern: str = ONE_TIME_LINK) -> str | None:
    for path in sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else ():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["X-Alveole-Kind"] == kind and to in str(message["To"]):
            text = message.get_body(preferencelist=("plain",)).get_content()
            link = re.search(re.escape(base_url) + f"({pattern})", text)
            assert link, text
            return link.group(1)
    return None


def emailed_link(env: dict[str, str], mail_dir: Path, base_url: str, to: str, kind: str,
                 pattern: str = ONE_TIME_LINK) -> str:
    """The path (`/verify/…`, `/reset/…`) of the link in the `kind` email to `to`: `alveole
    worker` runs with the server's `env` until that email is in `mail_dir`, then stops."""
    worker_env = {**env, "ALVEOLE_MAIL_DIR": str(mail_dir), "ALVEOLE_BASE_URL": base_url,
                  "ALVEOLE_WORKER_POLL_SECONDS": "0.2"}
    worker = subprocess.Popen([sys.executable, "-m", "alveole.cli", "worker"], env=worker_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while (link := _link_in(mail_dir, base_url, to, kind, pattern)) is None:
            assert worker.poll() is None, "the worker stopped"
            assert time.monotonic() < deadline, f"no {kind} email to {to}"
            time.sleep(0.2)  # polling for the worker's file, not waiting for a deadline
    finally:
        worker.terminate()
        worker.communicate(timeout=30)
    return link
