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


def _serve(tmp_path, port, env_extra=None):
    env = {**os.environ, "ALVEOLE_DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
           "ALVEOLE_MAIL_DIR": str(tmp_path / "mail"), "ALVEOLE_BASE_URL": "", **(env_extra or {})}
    env.pop("ALVEOLE_TEST_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "alveole.cli", "-v", "serve", "--port", str(port), "--no-worker"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _call(port, method, path, body=None, token=None):
    import json
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, answer.read()


def _wait_until_up(server, port):
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            return _call(port, "GET", "/health")
        except OSError:
            assert server.poll() is None, server.stderr.read()
            time.sleep(0.1)  # polling for start-up, not waiting for a business deadline
    raise AssertionError("the server did not start")


def test_the_base_url_follows_the_served_port_and_the_access_log_hides_feed_tokens(tmp_path):
    import json
    import signal

    port = _free_port()
    server = _serve(tmp_path, port)
    try:
        _wait_until_up(server, port)
        _call(port, "POST", "/api/v1/auth/register",
              {"email": "p@example.org", "password": "a long password", "display_name": "P"})
        _, login = _call(port, "POST", "/api/v1/auth/login", {"email": "p@example.org", "password": "a long password"})
        token = json.loads(login)["token"]
        _, me = _call(port, "GET", "/api/v1/me", token=token)
        calendar_url = json.loads(me)["calendar_url"]
        assert calendar_url.startswith(f"http://127.0.0.1:{port}/calendar/")
        status, _ = _call(port, "GET", calendar_url.split(str(port), 1)[1])
        assert status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    feed_token = calendar_url.rsplit("/", 2)[1]
    assert "/calendar/***/feed.ics" in err + out
    assert feed_token not in err + out


def test_a_set_base_url_wins_over_the_served_port():
    from kernel.settings import Settings

    assert Settings(base_url="https://alveole.example", base_url_explicit=True).served_at(
        "0.0.0.0", 9000).base_url == "https://alveole.example"
    assert Settings().served_at("0.0.0.0", 9000).base_url == "http://127.0.0.1:9000"
    assert Settings().served_at("::1", 9000).base_url == "http://[::1]:9000"


def test_prod_refuses_the_published_dev_key(tmp_path):
    from kernel.settings import DEV_SECRET_KEY

    result = _alveole("migrate", env_extra={"ALVEOLE_ENV": "prod", "ALVEOLE_SECRET_KEY": DEV_SECRET_KEY,
                                            "ALVEOLE_DATABASE_URL": f"sqlite:///{tmp_path}/a.db"})
    assert result.returncode == 2 and "development key" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_clear_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    port = _free_port()  # nothing listens there
    for url in (f"sqlite:///{blocker}/sub/a.db",
                f"postgresql://someone:secret@127.0.0.1:{port}/nowhere"):
        result = _alveole("migrate", env_extra={"ALVEOLE_DATABASE_URL": url}, timeout=60)
        assert result.returncode == 2, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("alveole: cannot open the database"), result.stderr
        assert "secret" not in result.stderr


def test_version():
    result = _alveole("--version")
    assert result.returncode == 0 and result.stdout.startswith("alveole ")


def test_create_admin_reads_the_password_from_stdin(tmp_path):
    url = f"sqlite:///{tmp_path}/a.db"
    env = {**os.environ, "ALVEOLE_DATABASE_URL": url}
    env.pop("ALVEOLE_TEST_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "alveole.cli", "create-admin", "root@example.org"],
                            input="a long secret\n", capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "a long secret" not in result.stdout + result.stderr
    login = subprocess.run(
        [sys.executable, "-c", "import asyncio, sqlite3; from accounts.passwords import verify_password;"
         f"h = sqlite3.connect('{tmp_path}/a.db').execute(\"SELECT password_hash FROM app_user\").fetchone()[0];"
         "print(asyncio.run(verify_password(h, 'a long secret')))"], capture_output=True, text=True)
    assert login.stdout.strip() == "True", login.stderr


def test_the_served_app_believes_no_forwarding_header_from_an_untrusted_peer(tmp_path):
    """uvicorn would believe X-Forwarded-For from 127.0.0.1 on its own: `alveole serve` leaves
    that to ALVEOLE_TRUSTED_PROXIES (empty here), so a local client cannot spread its login
    attempts over made-up addresses."""
    import json
    import signal
    import urllib.error
    import urllib.request

    port = _free_port()
    server = _serve(tmp_path, port)
    try:
        _wait_until_up(server, port)
        statuses = []
        for n in range(55):  # 50 attempts per client address per 15 min
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/auth/login", method="POST",
                data=json.dumps({"email": "nobody@example.org", "password": "wrong-password"}).encode(),
                headers={"Content-Type": "application/json", "X-Forwarded-For": f"203.0.113.{n}",
                         "Forwarded": f"for=192.0.2.{n}"})
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    statuses.append(answer.status)
            except urllib.error.HTTPError as refused:
                statuses.append(refused.code)
        assert 429 in statuses, statuses
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
