"""A database that goes away and comes back: the app answers 503 `database-unavailable` (with
`Retry-After`) while it cannot book, never 500, never hangs, and books again once the database
is back, without restarting the process; nothing is oversold.

PostgreSQL: a throwaway cluster of the test's own (tests/pgcluster.py), restarted and stopped
under the running app. SQLite: the file locked by another connection holding BEGIN EXCLUSIVE."""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from alveole.app import create_app
from kernel import db as dbmod
from kernel.clock import FrozenClock
from kernel.settings import Settings
from tests.conftest import T0, running
from tests.factories import auth, make_session, make_user
from tests.pgcluster import ThrowawayCluster, throwaway_cluster

pytestmark = pytest.mark.slow
REQUEST_TIMEOUT = 20  # seconds: any request slower than this is a hang
WAIT = 1.0  # ALVEOLE_DB_WAIT_SECONDS for these apps: how long a request may wait for the database


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    with throwaway_cluster() as made:
        yield made


async def _migrated(url: str) -> None:
    database = await dbmod.connect(url)
    try:
        await dbmod.migrate(quiet=True)
    finally:
        await dbmod.disconnect(database)


def _settings(url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=url, mail_dir=tmp_path / "mail", base_url="http://alveole.test",
                    rate_limits=False, db_wait_seconds=WAIT)


async def _call(http: httpx.AsyncClient, method: str, path: str, **kwargs) -> httpx.Response:
    # the in-process transport has no timeout of its own: a hang fails the test here
    return await asyncio.wait_for(http.request(method, path, **kwargs), timeout=REQUEST_TIMEOUT)


async def _book(http: httpx.AsyncClient, session_id: int, user: dict) -> httpx.Response:
    return await _call(http, "POST", f"/api/v1/sessions/{session_id}/bookings", json={"seats": 1},
                       headers=auth(user))


def _assert_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.json()["type"].endswith("/database-unavailable"), answer.text
    assert int(answer.headers["Retry-After"]) >= 1


def _heals(statuses: list[int]) -> None:
    """Only 201s and 503s; once a booking succeeds, every later one does."""
    assert set(statuses) <= {201, 503}, statuses
    assert 201 in statuses, statuses
    first = statuses.index(201)
    assert statuses[first:] == [201] * (len(statuses) - first), statuses


async def _confirmed(session_id: int) -> int:
    from kernel.sql import Sql, fetch_value

    return int(await fetch_value(Sql("SELECT COUNT(*) FROM booking WHERE \"session\" = ?1 "
                                     "AND status = 'confirmed'"), session_id))


class TestPostgresRestart:
    async def test_a_restart_then_12_bookings_answer_503s_then_201s_without_a_hang(self, cluster, tmp_path):
        await _migrated(cluster.url)
        app = create_app(_settings(cluster.url, tmp_path), clock=FrozenClock(T0))
        async with running(app):
            session = await make_session(capacity=16)
            users = [await make_user() for _ in range(20)]
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://alveole.test") as http:
                assert (await _book(http, session["id"], users[0])).status_code == 201

                # the reproduction: one restart, then 12 bookings one after the other
                # (they go round all 8 connections the booking store holds)
                await asyncio.to_thread(cluster.restart)
                answers = [await _book(http, session["id"], user) for user in users[1:13]]
                for answer in answers:
                    if answer.status_code == 503:
                        _assert_unavailable(answer)
                _heals([answer.status_code for answer in answers])
                assert (await _call(http, "GET", "/ready")).status_code == 200

                # down for a while: every request answers 503 in bounded time, reads too
                await asyncio.to_thread(cluster.stop)
                try:
                    for user in users[13:16]:
                        _assert_unavailable(await _book(http, session["id"], user))
                    _assert_unavailable(await _call(http, "GET", f"/api/v1/sessions/{session['id']}"))
                    not_ready = await _call(http, "GET", "/ready")
                    assert not_ready.status_code == 503 and not_ready.headers["Retry-After"]
                finally:
                    await asyncio.to_thread(cluster.start)

                # back: full service in the same process, and the capacity holds
                later = [await _book(http, session["id"], user) for user in users[13:20]]
                statuses = [answer.status_code for answer in later]
                assert set(statuses) <= {201, 409, 503}, statuses
                assert 503 not in statuses[statuses.index(201):], statuses
                assert (await _call(http, "GET", "/ready")).status_code == 200
                booked = 1 + sum(a.status_code == 201 for a in answers + later)
                assert await _confirmed(session["id"]) == booked <= 16
                assert 409 in statuses and booked == 16  # full, not oversold

    async def test_a_burst_of_concurrent_bookings_across_a_restart_never_hangs(self, cluster, tmp_path):
        await _migrated(cluster.url)
        app = create_app(_settings(cluster.url, tmp_path), clock=FrozenClock(T0))
        async with running(app):
            session = await make_session(capacity=30)
            users = [await make_user() for _ in range(40)]
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://alveole.test") as http:
                restart = asyncio.create_task(asyncio.to_thread(cluster.restart))
                answers = await asyncio.gather(*(_book(http, session["id"], user) for user in users[:24]))
                await restart
                statuses = [answer.status_code for answer in answers]
                assert set(statuses) <= {201, 503}, statuses
                for answer in answers:
                    if answer.status_code == 503:
                        _assert_unavailable(answer)
                # every client told 503 tries again (Retry-After), then the others come
                again = [user for user, answer in zip(users, answers) if answer.status_code == 503]
                after = [await _book(http, session["id"], user) for user in again + users[24:40]]
                after_statuses = [answer.status_code for answer in after]
                assert set(after_statuses) <= {201, 409}, after_statuses
                assert after_statuses.count(409) == 10  # 40 people, 30 seats
                assert await _confirmed(session["id"]) == 30  # filled exactly, never oversold


class TestSqliteLocked:
    async def test_a_file_locked_by_another_connection_answers_503_then_201(self, database_url, tmp_path,
                                                                            is_postgres):
        if is_postgres:
            pytest.skip("the SQLite analogue of a database outage")
        app = create_app(_settings(database_url, tmp_path), clock=FrozenClock(T0))
        async with running(app):
            session = await make_session(capacity=10)
            users = [await make_user() for _ in range(6)]
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://alveole.test") as http:
                assert (await _book(http, session["id"], users[0])).status_code == 201
                holder = sqlite3.connect(dbmod.sqlite_path_from_url(database_url), isolation_level=None)
                try:
                    holder.execute("BEGIN EXCLUSIVE")  # a backup, a migration, another process
                    for user in users[1:3]:
                        _assert_unavailable(await _book(http, session["id"], user))
                    assert (await _call(http, "GET", "/ready")).status_code == 503
                finally:
                    holder.rollback()
                    holder.close()
                for user in users[3:6]:
                    assert (await _book(http, session["id"], user)).status_code == 201
                assert (await _call(http, "GET", "/ready")).status_code == 200
                assert await _confirmed(session["id"]) == 4
