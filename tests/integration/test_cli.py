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
    # a clean drain is a clean exit: 0, not the signal re-raised (143) that a service manager
    # would record as a failure
    assert server.returncode == 0, err
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
    import sqlite3

    assert f"SQLite {sqlite3.sqlite_version}," in out  # the real version, said once
    assert "Running Sqlite version" not in err + out  # not the ORM's, read as a float
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


def test_a_client_too_slow_to_send_its_request_is_cut_off(tmp_path):
    """A request's headers and body must arrive within ALVEOLE_REQUEST_TIMEOUT_SECONDS of its
    first byte (or of the connection): half-sent requests are not held forever."""
    import signal
    import socket
    import time

    port = _free_port()
    server = _serve(tmp_path, port, {"ALVEOLE_REQUEST_TIMEOUT_SECONDS": "1"})
    try:
        _wait_until_up(server, port)

        def closed_within(sock, seconds):
            sock.settimeout(seconds)
            started = time.monotonic()
            try:
                data = sock.recv(1024)
            except TimeoutError:
                return None
            return time.monotonic() - started if data == b"" else None

        with socket.create_connection(("127.0.0.1", port)) as half_sent:
            half_sent.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # no blank line: never ends
            assert closed_within(half_sent, 10) is not None
        with socket.create_connection(("127.0.0.1", port)) as silent:  # connects, sends nothing
            assert closed_within(silent, 10) is not None
        with socket.create_connection(("127.0.0.1", port)) as slow_body:
            slow_body.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              b"Content-Length: 100\r\n\r\n{")
            assert closed_within(slow_body, 10) is not None
        # a whole request on a kept-alive connection, then a pause longer than the deadline: the
        # second request is still answered (the deadline starts with its first byte)
        def answer(sock) -> bytes:
            received = b""
            while b'{"status":"ok"}' not in received:
                chunk = sock.recv(4096)
                assert chunk, received
                received += chunk
            return received

        with socket.create_connection(("127.0.0.1", port)) as keep:
            keep.settimeout(10)
            keep.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b"200 OK" in answer(keep)
            time.sleep(1.5)  # idle between requests (uvicorn keeps it 5 s): longer than the deadline
            keep.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b"200 OK" in answer(keep)
        assert _call(port, "GET", "/health")[0] == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
async def _seed_booking(url: str, count: int = 1) -> tuple[int, list[str]]:
    """A session three days from now (the server runs on the system clock) and `count` users."""
    import datetime as dt

    from kernel import db as dbmod
    from tests.factories import make_session, make_user

    database = await dbmod.connect(url)
    try:
        session = await make_session(starts_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3))
        tokens = [(await make_user())["token"] for _ in range(count)]
    finally:
        await dbmod.disconnect(database)
    return session["id"], tokens


def _booking_in_flight(tmp_path, port, session_id, token):
    """A booking the server cannot finish yet: another connection holds the file's write lock.
    Returns (the lock holder, the thread, where the thread puts the answer's status)."""
    import threading

    holder = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    answers: list = []

    def book() -> None:
        import urllib.error

        try:
            answers.append(_call(port, "POST", f"/api/v1/sessions/{session_id}/bookings",
                                 {"seats": 1}, token=token)[0])
        except urllib.error.HTTPError as exc:
            answers.append(exc.code)
        except OSError as exc:
            answers.append(type(exc).__name__)

    thread = threading.Thread(target=book)
    thread.start()
    return holder, thread, answers


def _prepared_server(tmp_path):
    import asyncio

    url = f"sqlite:///{tmp_path}/a.db"
    assert _alveole("migrate", env_extra={"ALVEOLE_DATABASE_URL": url}).returncode == 0
    session_id, (token,) = asyncio.run(_seed_booking(url))
    port = _free_port()
    server = _serve(tmp_path, port, {"ALVEOLE_DB_WAIT_SECONDS": "10"})
    _wait_until_up(server, port)
    return server, port, session_id, token


def test_sigterm_drains_an_in_flight_booking_then_exits_0(tmp_path):
    import signal
    import time

    server, port, session_id, token = _prepared_server(tmp_path)
    try:
        holder, thread, answers = _booking_in_flight(tmp_path, port, session_id, token)
        try:
            time.sleep(0.5)  # the booking reaches the server and waits for the lock
            server.send_signal(signal.SIGTERM)
            time.sleep(0.5)  # the server is draining: it keeps the booking in flight
            assert server.poll() is None
        finally:
            holder.rollback()
            holder.close()
        thread.join(30)
        out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert answers == [201], err  # the request in flight when the signal came was served
    assert server.returncode == 0, err
    assert "Traceback" not in err


def test_a_second_signal_stops_at_once(tmp_path):
    import signal
    import time

    server, port, session_id, token = _prepared_server(tmp_path)
    try:
        holder, thread, answers = _booking_in_flight(tmp_path, port, session_id, token)
        try:
            time.sleep(0.5)
            server.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            server.send_signal(signal.SIGTERM)  # an impatient operator: no more draining
            out, err = server.communicate(timeout=5)  # well before the booking's 10 s wait
        finally:
            holder.rollback()
            holder.close()
        thread.join(30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 128 + signal.SIGTERM, err
    assert "stopping at once" in err


def test_the_worker_stops_on_sigterm_with_exit_0(tmp_path):
    import signal
    import time

    env = {**os.environ, "ALVEOLE_DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
           "ALVEOLE_MAIL_DIR": str(tmp_path / "mail"), "ALVEOLE_WORKER_POLL_SECONDS": "0.1"}
    env.pop("ALVEOLE_TEST_DATABASE_URL", None)
    worker = subprocess.Popen([sys.executable, "-m", "alveole.cli", "worker"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and "running" not in line:
            line = worker.stdout.readline()
            assert line or worker.poll() is None, worker.stderr.read()
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert "Traceback" not in err
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
