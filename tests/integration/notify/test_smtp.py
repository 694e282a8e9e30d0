"""Delivery to a real SMTP server (aiosmtpd on 127.0.0.1, in the test's loop): outages, a
crashed worker, a permanent rejection, STARTTLS + AUTH and implicit TLS."""
from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import shutil
import ssl
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, AuthResult

from kernel.events import BookingConfirmed
from notify.mailers import SmtpMailer, build_mailer
from notify.outbox import LEASE, PERMANENT_FAILURE_ATTEMPTS, claim, deliver_due
from tests.factories import make_booking_row, make_session, make_user

from .conftest import calendar_part, emit, outbox_rows

LOGIN, PASSWORD = "me@example.org", "p:ss w@rd"
URL_CREDENTIALS = "me%40example.org:p%3Ass%20w%40rd"


class Sink:
    """An aiosmtpd handler that keeps what it receives and refuses some recipients."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login, auth_data.password))
        ok = auth_data.login == LOGIN.encode() and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    def message_ids(self) -> Counter:
        return Counter(m["Message-ID"] for m in self.messages)


class LocalSmtp:
    """aiosmtpd served by `loop.create_server` on 127.0.0.1; can be stopped and restarted on
    the same port to play an outage."""

    def __init__(self, sink: Sink, ssl_context: ssl.SSLContext | None = None, **options) -> None:
        self.sink, self.ssl_context, self.options = sink, ssl_context, options
        self.port = 0
        self.connections = 0
        self._server: asyncio.base_events.Server | None = None

    def _protocol(self) -> SMTP:
        self.connections += 1
        return SMTP(self.sink, hostname="127.0.0.1", loop=asyncio.get_running_loop(), **self.options)

    async def start(self) -> None:
        self._server = await asyncio.get_running_loop().create_server(
            self._protocol, "127.0.0.1", self.port, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


@pytest.fixture
async def sink():
    return Sink()


@pytest.fixture
async def smtp(sink):
    server = LocalSmtp(sink)
    await server.start()
    yield server
    await server.stop()


async def queue_confirmations(runtime, clock, count: int) -> list[dict]:
    bookings = []
    session = await make_session()
    for _ in range(count):
        booking = await make_booking_row(session, await make_user())
        bookings.append(booking)
        await emit(runtime, BookingConfirmed(at=clock.now(), booking_id=booking["id"], session_id=session["id"],
                                             user_id=booking["user"]["id"]))
    return bookings


async def test_smtp_down_then_back_delivers_every_message_exactly_once(notify_runtime, sink, smtp, clock):
    notify_runtime.mailer = None
    notify_runtime.settings = dataclasses.replace(notify_runtime.settings,
                                                  smtp_url=f"smtp://127.0.0.1:{smtp.port}")
    await smtp.stop()  # the relay is down
    bookings = await queue_confirmations(notify_runtime, clock, 5)

    assert await deliver_due(notify_runtime) == 5
    rows = await outbox_rows()
    assert {(r["status"], r["attempts"]) for r in rows} == {("pending", 1)}
    assert all(r["last_error"].startswith("transient") for r in rows)
    assert isinstance(notify_runtime.mailer, SmtpMailer)

    clock.advance(seconds=10)
    await deliver_due(notify_runtime)  # still down, still not due
    await smtp.start()  # back, on the same port
    clock.advance(seconds=30)
    assert await deliver_due(notify_runtime) == 5
    clock.advance(hours=1)
    assert await deliver_due(notify_runtime) == 0

    assert len(sink.messages) == 5 and set(sink.message_ids().values()) == {1}
    assert sorted(rcpt for _, rcpts in sink.envelopes for rcpt in rcpts) == sorted(
        b["user"]["email"] for b in bookings)
    assert {r["status"] for r in await outbox_rows()} == {"sent"}
    assert smtp.connections == 1  # one connection carried the whole batch
    message = sink.messages[0]
    assert message["X-Alveole-Kind"] == "booking_confirmed"
    assert calendar_part(message)[0] == "REQUEST"


async def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(notify_runtime, sink, smtp, clock):
    notify_runtime.mailer = SmtpMailer(f"smtp://127.0.0.1:{smtp.port}", timeout=5)
    await queue_confirmations(notify_runtime, clock, 10)
    abandoned = await claim(clock.now(), "killed-worker", limit=4)  # then it dies
    assert len(abandoned) == 4

    assert await deliver_due(notify_runtime) == 6
    assert len(sink.messages) == 6
    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert await deliver_due(notify_runtime) == 0
    clock.advance(seconds=1)
    assert await deliver_due(notify_runtime) == 4

    assert len(sink.messages) == 10 and set(sink.message_ids().values()) == {1}
    assert {r["status"] for r in await outbox_rows()} == {"sent"}


async def test_a_permanent_rejection_does_not_block_the_others(notify_runtime, sink, smtp, clock):
    notify_runtime.mailer = SmtpMailer(f"smtp://127.0.0.1:{smtp.port}", timeout=5)
    bookings = await queue_confirmations(notify_runtime, clock, 4)
    refused = bookings[1]["user"]["email"]
    sink.refuse.add(refused)

    await deliver_due(notify_runtime)
    assert len(sink.messages) == 3
    for _ in range(PERMANENT_FAILURE_ATTEMPTS + 2):
        clock.advance(minutes=10)
        await deliver_due(notify_runtime)

    rows = {r["recipient_email"]: r for r in await outbox_rows()}
    assert rows[refused]["status"] == "failed"
    assert rows[refused]["attempts"] == PERMANENT_FAILURE_ATTEMPTS
    assert "550" in rows[refused]["last_error"]
    assert [r["status"] for e, r in rows.items() if e != refused] == ["sent"] * 3
    assert len(sink.messages) == 3


def _certificate(directory: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls(tmp_path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    cert, key = _certificate(tmp_path)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


async def test_starttls_and_auth_with_url_encoded_credentials(notify_runtime, sink, tls, clock):
    server_tls, client_tls = tls
    smtp = LocalSmtp(sink, tls_context=server_tls, require_starttls=True, auth_required=True,
                     authenticator=sink.authenticator)
    await smtp.start()
    try:
        url = f"smtp+starttls://{URL_CREDENTIALS}@127.0.0.1:{smtp.port}"
        notify_runtime.mailer = SmtpMailer(url, timeout=5, tls_context=client_tls)
        await queue_confirmations(notify_runtime, clock, 2)
        await deliver_due(notify_runtime)
        assert len(sink.messages) == 2
        assert sink.logins[0] == (LOGIN.encode(), PASSWORD.encode())

        # a wrong password is the relay's configuration: retried, never given up
        notify_runtime.mailer = SmtpMailer(url.replace("p%3Ass", "wrong"), timeout=5, tls_context=client_tls)
        await queue_confirmations(notify_runtime, clock, 1)
        for _ in range(PERMANENT_FAILURE_ATTEMPTS + 1):
            await deliver_due(notify_runtime)
            clock.advance(minutes=10)
        (row,) = [r for r in await outbox_rows() if r["status"] != "sent"]
        assert row["status"] == "pending" and "535" in row["last_error"]
    finally:
        await smtp.stop()


async def test_plain_smtp_url_refuses_to_send_where_the_relay_demands_starttls(notify_runtime, sink, tls, clock):
    server_tls, _ = tls
    smtp = LocalSmtp(sink, tls_context=server_tls, require_starttls=True)
    await smtp.start()
    try:
        notify_runtime.mailer = build_mailer(dataclasses.replace(
            notify_runtime.settings, smtp_url=f"smtp://127.0.0.1:{smtp.port}"))
        await queue_confirmations(notify_runtime, clock, 1)
        await deliver_due(notify_runtime)
        assert sink.messages == []
        (row,) = await outbox_rows()
        assert row["status"] == "pending" and "STARTTLS" in row["last_error"].upper()
    finally:
        await smtp.stop()


async def test_implicit_tls(notify_runtime, sink, tls, clock):
    server_tls, client_tls = tls
    # aiosmtpd only knows of STARTTLS: over implicit TLS it must be told AUTH is fine as is
    smtp = LocalSmtp(sink, ssl_context=server_tls, auth_require_tls=False, authenticator=sink.authenticator)
    await smtp.start()
    try:
        notify_runtime.mailer = SmtpMailer(f"smtps://{URL_CREDENTIALS}@127.0.0.1:{smtp.port}", timeout=5,
                                           tls_context=client_tls)
        await queue_confirmations(notify_runtime, clock, 2)
        await deliver_due(notify_runtime)
        assert len(sink.messages) == 2
        assert sink.logins == [(LOGIN.encode(), PASSWORD.encode())]  # one connection for both
    finally:
        await smtp.stop()


class KillingSink(Sink):
    """Kills the worker process (SIGKILL) when the `kill_at`-th message has been received and
    before the relay's 250 reaches it: the worst moment, a message accepted but not marked."""

    def __init__(self, kill_at: int) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.victim: int | None = None

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == self.kill_at and self.victim is not None:
            import os
            import signal

            os.kill(self.victim, signal.SIGKILL)
        return reply


@pytest.mark.slow
async def test_a_worker_process_killed_mid_send_delivers_each_message_with_at_most_one_double(
        notify_runtime, database_url, clock, tmp_path):
    import datetime as dt
    import os
    import sys

    from kernel.clock import FrozenClock

    killing = KillingSink(kill_at=4)
    relay = LocalSmtp(killing)
    await relay.start()
    try:
        starts = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)  # the worker's clock is real
        session = await make_session(starts_at=starts)
        emails = []
        for _ in range(15):
            booking = await make_booking_row(session, await make_user())
            emails.append(booking["user"]["email"])
            await emit(notify_runtime, BookingConfirmed(at=clock.now(), booking_id=booking["id"],
                                                        session_id=session["id"], user_id=booking["user"]["id"]))
        env = {**os.environ, "ALVEOLE_DATABASE_URL": database_url, "ALVEOLE_WORKER_POLL_SECONDS": "0.1",
               "ALVEOLE_SMTP_URL": f"smtp://127.0.0.1:{relay.port}", "ALVEOLE_MAIL_DIR": str(tmp_path / "mail")}
        env.pop("ALVEOLE_TEST_DATABASE_URL", None)
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "alveole.cli", "worker", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        killing.victim = worker.pid
        try:
            _, err = await asyncio.wait_for(worker.communicate(), timeout=90)
        finally:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
        assert worker.returncode == -9, err.decode()[-2000:]
        rows = await outbox_rows()
        assert sum(r["status"] == "sent" for r in rows) == 3  # each marked the moment it was accepted

        # another worker, one lease after the crash (the injected clock, not a wait)
        notify_runtime.clock = FrozenClock(dt.datetime.now(dt.timezone.utc) + LEASE + dt.timedelta(seconds=1))
        notify_runtime.mailer = SmtpMailer(f"smtp://127.0.0.1:{relay.port}", timeout=5)
        await deliver_due(notify_runtime)
        await deliver_due(notify_runtime)
    finally:
        await relay.stop()
    assert {r["status"] for r in await outbox_rows()} == {"sent"}
    received = sorted(rcpt for _, rcpts in killing.envelopes for rcpt in rcpts)
    assert set(received) == set(emails)  # every message delivered
    assert len(received) <= len(emails) + 1  # at most the one in flight, twice
    ids = killing.message_ids()
    assert len(ids) == 15 and max(ids.values()) <= 2  # a double carries the same Message-ID
