"""Shared fixtures: a fresh database per test (SQLite file, or PostgreSQL when
ALVEOLE_TEST_DATABASE_URL is set), a frozen clock, the app and an HTTP client."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import os
import shutil
from collections.abc import AsyncIterator
from typing import Any
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import httpx

from alveole import bootstrap
from kernel import db as dbmod
from kernel.runtime import Runtime
from kernel.caching import changes
from kernel.clock import FrozenClock
from kernel.settings import Settings

# What the shell may set for the suite; every other ALVEOLE_* variable is the shell's own
# configuration (a developer's ALVEOLE_ENV=prod, an SMTP URL…) and is removed for the run, so
# neither the tests nor the servers they start as subprocesses ever see it.
TEST_KNOBS = ("ALVEOLE_TEST_DATABASE_URL", "ALVEOLE_CONTRACT_EXAMPLES", "ALVEOLE_STATEFUL_EXAMPLES")
for _name in [name for name in os.environ if name.startswith("ALVEOLE_") and name not in TEST_KNOBS]:
    del os.environ[_name]


def _database_of_this_worker(url: str | None) -> str | None:
    """With pytest-xdist each worker has a PostgreSQL database of its own (`<name>_gw0`…),
    created beside the configured one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path}_{worker}"))


BASE_PG_URL = os.environ.get("ALVEOLE_TEST_DATABASE_URL")
PG_URL = _database_of_this_worker(BASE_PG_URL)
# A Tuesday morning in early December, well before the demo sessions.
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


def pytest_report_header(config: pytest.Config) -> str:
    return f"alveole database: {'PostgreSQL ' + PG_URL.rsplit('@', 1)[-1] if PG_URL else 'SQLite files'}"


async def _migrate(url: str) -> None:
    database = await dbmod.connect(url)
    try:
        await dbmod.migrate(quiet=True)
    finally:
        await dbmod.disconnect(database)


async def _reset_postgres(url: str) -> None:
    import asyncpg

    if url != BASE_PG_URL:  # this worker's own database: create it once
        name = urlsplit(url).path.lstrip("/")
        admin = await asyncpg.connect(BASE_PG_URL)
        try:
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per test run: a template SQLite file, or the PostgreSQL test database (for
every test, even those that only read PG_URL)."""
    if PG_URL:
        asyncio.run(_reset_postgres(PG_URL))
        asyncio.run(_migrate(PG_URL))
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(f"sqlite:///{path}"))
    return str(path)


async def _truncate_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'migration'")]
        await conn.execute(f"TRUNCATE {', '.join(chr(34) + t + chr(34) for t in tables)} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def database_url(migrated_template: str, tmp_path: Path) -> str:
    """A migrated, empty database for this test alone."""
    if PG_URL:
        await _truncate_postgres(PG_URL)
        return PG_URL
    path = tmp_path / "alveole.db"
    shutil.copyfile(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def is_postgres() -> bool:
    return bool(PG_URL)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, mail_dir=tmp_path / "mail",
                    base_url="http://alveole.test", worker_poll_seconds=0.05)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[dbmod.Database]:
    """The tables bound to this test's database, for service-level tests without HTTP."""
    database = await dbmod.connect(database_url)
    yield database
    await dbmod.disconnect(database)


def runtime_on(settings: Settings, clock: FrozenClock, database: dbmod.Database | None = None,
               **parts: Any) -> Runtime:
    """The bootstrap's runtime for service-level tests, on an already connected database."""
    runtime = bootstrap.build_runtime(settings, clock=clock, **parts)
    runtime.database = database
    return runtime


_apps: dict[str, Any] = {}


def shared_app(settings: Settings, clock: FrozenClock, notifier: Any = None):
    """The app for a test: built once per test session (building one costs ~0.5 s: route
    signatures and the OpenAPI document) and given this test's runtime — its settings, clock,
    notifier, rate limits and a database connected by its lifespan — in place. Nothing in the
    app keeps a part of the runtime it was built with: every handler, guard and middleware
    reads `app.state.runtime` (or the `runtime` dependency) at request time."""
    from alveole.app import create_app

    app = _apps.get("app")
    if app is None:
        app = _apps["app"] = create_app(settings, clock=clock)
    fresh = bootstrap.build_runtime(settings, clock=clock, notifier=notifier)
    runtime = app.state.runtime
    for part in dataclasses.fields(Runtime):
        setattr(runtime, part.name, getattr(fresh, part.name))
    return app


@pytest.fixture
def app(settings: Settings, clock: FrozenClock):
    return shared_app(settings, clock)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client on the app in this test's event loop (Litestar's AsyncTestClient runs the
    app in another thread's loop, where a PostgreSQL pool made here could not be used)."""
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://alveole.test",
                                     event_hooks={"request": [_fresh_answers]}) as http:
            yield http


async def _fresh_answers(request: httpx.Request) -> None:
    """Tests write rows straight into the database between requests, as another process would:
    each request of theirs starts as after a write, so no short-lived answer (`ShortLived`, kept
    up to a second) hides it. tests/api/test_short_lived.py checks those answers without this."""
    changes.bump()


@contextlib.asynccontextmanager
async def running(app) -> AsyncIterator[None]:
    """Run the app's lifespan in a task of its own (anyio scopes must exit in their task)."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()  # start-up failed: raise it here
    try:
        yield
    finally:
        stop.set()
        await task


@pytest.fixture
def runtime(app, client):
    """The running app's Runtime (settings, clock, database, notifier, parts)."""
    return app.state.runtime
