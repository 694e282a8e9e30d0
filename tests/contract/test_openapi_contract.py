"""The OpenAPI document tells the truth: Schemathesis generates requests from the served schema
(a bounded number per operation) and runs every check (`--checks all`) against the real server
on 127.0.0.1, anonymous and authenticated, on SQLite or PostgreSQL like the rest of the suite.

Logout and account deletion would end the session the authenticated run uses: they run with
throw-away users of their own."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance
from hypothesis import HealthCheck, given, settings

from tests.conftest import PG_URL
from tests.mail_files import emailed_link

EXAMPLES = int(os.environ.get("ALVEOLE_CONTRACT_EXAMPLES", "10"))  # per operation; more with the variable
PASSWORD = "contract password"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url: str, tmp: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.mail_dir = tmp / "mail"
        self.env = {**os.environ, "ALVEOLE_DATABASE_URL": url, "ALVEOLE_MAIL_DIR": str(self.mail_dir),
                    "ALVEOLE_RATE_LIMITS": "off", "ALVEOLE_BASE_URL": ""}
        self.env.pop("ALVEOLE_TEST_DATABASE_URL", None)

    def cli(self, *args: str, stdin: str = "") -> None:
        done = subprocess.run([sys.executable, "-m", "alveole.cli", *args], input=stdin, text=True,
                              capture_output=True, env=self.env, timeout=120)
        assert done.returncode == 0, done.stderr

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "alveole.cli", "serve", "--port", str(self.port), "--no-worker"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.call("GET", "/health")
                return
            except OSError:
                assert self.process.poll() is None, self.process.stderr.read()
                time.sleep(0.1)  # polling for start-up, not waiting for a deadline
        raise AssertionError("the server did not start")

    def stop(self) -> str:
        self.process.terminate()
        _, err = self.process.communicate(timeout=30)
        return err

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        request = urllib.request.Request(self.base + path, method=method,
                                         data=None if body is None else json.dumps(body).encode())
        if body is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=10) as answer:
            raw = answer.read()
            return json.loads(raw) if raw else None

    def user(self, email: str, name: str) -> str:
        self.call("POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "display_name": name})
        return self.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})["token"]

    def verify(self, email: str) -> None:
        """Follow the `verify_email` link of the account (hosts and participants need it)."""
        link = emailed_link(self.env, self.mail_dir, self.base, email, "verify_email")
        self.call("POST", "/api/v1/auth/verify", {"token": link.rsplit("/", 1)[1]})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, migrated_template: str) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("contract")
    if PG_URL:
        import asyncio

        from tests.conftest import _truncate_postgres

        asyncio.run(_truncate_postgres(PG_URL))
        url = PG_URL
    else:
        shutil.copyfile(migrated_template, tmp / "contract.db")
        url = f"sqlite:///{tmp / 'contract.db'}"
    server = Server(url, tmp)
    server.cli("create-admin", "admin@contract.test", stdin=PASSWORD + "\n")
    server.start()
    try:
        admin = server.call("POST", "/api/v1/auth/login", {"email": "admin@contract.test", "password": PASSWORD})["token"]
        host, organizer = server.user("host@contract.test", "Host"), server.user("orga@contract.test", "Orga")
        server.participant = server.user("p@contract.test", "Participant")
        server.verify("host@contract.test")
        server.verify("p@contract.test")
        server.call("POST", "/api/v1/communities", {"slug": "contract", "name": "Contract", "timezone": "Europe/Paris",
                                                    "lat": 48.85, "lon": 2.35}, admin)
        server.call("POST", "/api/v1/communities/contract/organizers", {"email": "orga@contract.test"}, admin)
        workshop = server.call("POST", "/api/v1/workshops", {
            "community": "contract", "title": "Bread", "summary": "Sourdough", "category": "cooking",
            "venue": {"name": "Hall", "address": "1 rue de Paris"}, "payment": "free", "capacity": 5}, host)
        server.call("POST", f"/api/v1/workshops/{workshop['id']}/sessions", {
            "starts_at": "2030-01-10T10:00:00", "ends_at": "2030-01-10T12:00:00", "timezone": "Europe/Paris"}, host)
        server.call("POST", f"/api/v1/workshops/{workshop['id']}/submit", {}, host)
        server.call("POST", f"/api/v1/workshops/{workshop['id']}/approve", {}, organizer)
        yield server
    finally:
        errors = server.stop()
    assert "Traceback" not in errors, errors


@pytest.fixture(scope="module")
def api_schema(server: Server) -> Any:
    # A NUL is refused everywhere with a 400 naming the field (PostgreSQL text cannot hold it),
    # a rule JSON Schema cannot state simply: generated strings hold none.
    config = SchemathesisConfig.from_dict({"generation": {"allow-x00": False}})
    return schemathesis.openapi.from_url(f"{server.base}/schema/openapi.json", config=config)


SESSION_ENDING = {("POST", "/api/v1/auth/logout"), ("DELETE", "/api/v1/me"),
                  ("POST", "/api/v1/auth/logout-everywhere"), ("POST", "/api/v1/me/password")}
# Every check but one: "schema-valid data is accepted" cannot hold where a rule spans fields or
# rows (a venue *or* an online_url, `radius_km` only with `near`, a community that exists, a
# session that has not started): those are 400 or 409 answers the schema documents but cannot
# express. Negative data (what the schema forbids) must still be refused.
EXCLUDED = [positive_data_acceptance]
CONTRACT = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def _run_every_operation(api_schema: Any, server: Server, token_for: Any) -> None:
    """Each operation with its own Hypothesis run; every failure is collected, then reported."""
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @CONTRACT
        def run(case: Any) -> None:
            token = token_for(case)
            headers = {"Authorization": f"Bearer {token}"} if token else None
            case.call_and_validate(base_url=server.base, headers=headers, excluded_checks=EXCLUDED)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - gather them all
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc).strip()[:1500]}")
    assert not failures, "\n\n".join(failures)


def test_anonymous(api_schema: Any, server: Server) -> None:
    _run_every_operation(api_schema, server, lambda case: None)


def test_authenticated(api_schema: Any, server: Server) -> None:
    def token_for(case: Any) -> str:
        if (case.method.upper(), case.path) in SESSION_ENDING:  # a throw-away user of its own
            return server.user(f"gone{time.monotonic_ns()}@contract.test", "Gone")
        return server.participant

    _run_every_operation(api_schema, server, token_for)
