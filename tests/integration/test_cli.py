"""The `alveole` command, run as users run it (a subprocess with its own environment)."""
import os
import sqlite3
import subprocess
import sys


def _alveole(*args, env_extra=None, timeout=120):
    env = {**os.environ, **(env_extra or {})}
    env.pop("ALVEOLE_TEST_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "alveole.cli", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def test_migrate_creates_the_database_and_says_so(tmp_path):
    db = tmp_path / "sub" / "alveole.db"
    result = _alveole("migrate", env_extra={"ALVEOLE_DATABASE_URL": f"sqlite:///{db}"})
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"app_user", "workshop", "workshop_session", "booking", "outbox_message"} <= tables
    again = _alveole("migrate", env_extra={"ALVEOLE_DATABASE_URL": f"sqlite:///{db}"})
    assert again.returncode == 0


def test_prod_without_secret_is_a_clear_start_up_error(tmp_path):
    result = _alveole("migrate", env_extra={"ALVEOLE_ENV": "prod", "ALVEOLE_SECRET_KEY": "",
                                            "ALVEOLE_DATABASE_URL": f"sqlite:///{tmp_path}/a.db"})
    assert result.returncode == 2
    assert "ALVEOLE_SECRET_KEY is required" in result.stderr
    assert "Traceback" not in result.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_then_exits_cleanly_on_sigterm(tmp_path):
    import signal
    import time
    import urllib.request

    port = _free_port()
    env = {**os.environ, "ALVEOLE_DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
           "ALVEOLE_MAIL_DIR": str(tmp_path / "mail")}
    env.pop("ALVEOLE_TEST_DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "alveole.cli", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                    body = answer.read()
            except OSError:
                assert server.poll() is None, server.stderr.read()
                time.sleep(0.1)  # polling for start-up, not waiting for a business deadline
        assert body == b'{"status":"ok"}'
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5) as answer:
            assert answer.status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    # uvicorn shuts down gracefully, then re-raises the signal it caught: -SIGTERM is a clean exit
    assert server.returncode in (0, -signal.SIGTERM), err
    assert "Traceback" not in err
