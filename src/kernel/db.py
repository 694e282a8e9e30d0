"""Database engines from ALVEOLE_DATABASE_URL, binding of every table to one engine, migrations."""
from __future__ import annotations

import asyncio
import contextlib
import io
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from kernel.sql import use_engine


@dataclass(frozen=True)
class Database:
    """The engine in use and what kind it is; passed to the stores that need raw speed."""

    url: str
    engine: Engine

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.engine, SQLiteEngine)

    @property
    def sqlite_path(self) -> str:
        assert isinstance(self.engine, SQLiteEngine)
        return self.engine.connection_kwargs["database"]


def sqlite_path_from_url(url: str) -> str:
    # sqlite:///relative/path  or  sqlite:////absolute/path
    return url[len("sqlite:///"):]


def engine_for_url(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = sqlite_path_from_url(url)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=path, timeout=30)
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        config = {
            "host": parts.hostname or "127.0.0.1",
            "port": parts.port or 5432,
            "user": unquote(parts.username or "postgres"),
            "password": unquote(parts.password or ""),
            "database": (parts.path or "/alveole").lstrip("/"),
        }
        return PostgresEngine(config=config, log_queries=False)
    raise ValueError(f"unsupported database URL: {url}")


def all_tables() -> list[type[Table]]:
    from piccolo.apps.migrations.tables import Migration
    from piccolo.conf.apps import Finder

    # the apps of the Piccolo configuration that PICCOLO_CONF names (set by the composition root)
    tables: list[type[Table]] = [Migration]
    for app_config in Finder().get_app_registry().app_configs.values():
        tables.extend(app_config.table_classes)
    return tables


def bind(engine: Engine) -> None:
    """Point every table (ours and Piccolo's migration table) at `engine`."""
    from piccolo.conf.apps import Finder

    Finder().get_piccolo_conf_module().DB = engine
    use_engine(engine)
    for table in all_tables():
        table._meta.db = engine


def prepare_sqlite_file(path: str) -> None:
    """WAL mode persists in the file: readers never block the single writer."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


class DatabaseUnreachable(Exception):
    """The configured database cannot be opened or reached (the message says why, in one line)."""


async def connect(url: str) -> Database:
    try:
        engine = engine_for_url(url)
        if isinstance(engine, SQLiteEngine):
            prepare_sqlite_file(engine.connection_kwargs["database"])
        bind(engine)
        if isinstance(engine, PostgresEngine):
            await asyncio.wait_for(engine.start_connection_pool(min_size=2, max_size=20), timeout=30)
    except (OSError, sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError,
            asyncio.TimeoutError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DatabaseUnreachable(f"cannot open the database {safe_url(url)}: {reason}") from exc
    return Database(url=url, engine=engine)


def safe_url(url: str) -> str:
    """The URL without its credentials, for messages and logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


async def disconnect(database: Database) -> None:
    if isinstance(database.engine, PostgresEngine):
        await database.engine.close_connection_pool()


async def migrate(quiet: bool = False) -> None:
    """Apply every pending migration of every app, in dependency order."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    sink = io.StringIO() if quiet else None
    with contextlib.redirect_stdout(sink) if sink else contextlib.nullcontext():
        for app_name in _app_names():
            result = await run_forwards(app_name=app_name, migration_id="all")
            if not result.success:
                raise RuntimeError(f"migration of {app_name} failed: {result.message}")


def _app_names() -> Iterator[str]:
    from piccolo.conf.apps import Finder

    yield from Finder().get_app_names(sort_by_migration_dependencies=True)
