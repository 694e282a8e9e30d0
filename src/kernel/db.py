"""Database engines from ALVEOLE_DATABASE_URL, binding of every table to one engine, migrations;
on SQLite, the process's persistent reader connections (`SqliteReaders`); on PostgreSQL, a pool
whose every wait is bounded (`BoundedPool`); which errors mean "the database is unavailable"."""
from __future__ import annotations

import asyncio
import contextlib
import io
import queue
import socket
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
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


READER_THREADS = 4
# Piccolo's converter for INTEGER columns parses every cell through Decimal (a third of a
# listing's read time); SQLite's INTEGER affinity already stores whole numbers as integers, so
# int() of the cell's text gives the same value.
def _integer(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:  # a REAL stored in an INTEGER column (SQLite allows it): as Piccolo did
        return int(Decimal(value.decode()))


sqlite3.register_converter("INTEGER", _integer)
# PostgreSQL: the booking store holds 8 connections of the pool for its lifetime; every other
# query (Piccolo's and `kernel.sql`'s) borrows one of the rest for one statement or transaction.
PG_POOL_MIN, PG_POOL_MAX = 10, 20
# How long a request waits for a connection (from the pool, or a new one) by default.
DB_WAIT_SECONDS = 5.0
# No statement may run longer than this (asyncpg's command_timeout): a half-open TCP connection
# would otherwise hold a request, a pool slot and the worker for as long as the kernel keeps it.
PG_COMMAND_TIMEOUT = 60.0
_STOP = object()


def _answer(future: asyncio.Future[Any], result: Any, failed: bool) -> None:
    if not future.done():  # the awaiting request may have been cancelled meanwhile
        if failed:
            future.set_exception(result)
        else:
            future.set_result(result)


class SqliteReaders:
    """A few threads, each holding one `sqlite3` connection to the file for the life of the
    process, that run the statements Piccolo would otherwise open a connection (and a thread)
    for: every query outside a transaction, reads above all.

    Each connection is in autocommit mode (`isolation_level=None`) and each statement is read
    to its end and its cursor closed before the answer is sent, so no connection ever holds a
    read snapshot between statements: every statement sees every commit made before it began
    (read-your-writes after the booking store's or a Piccolo transaction's COMMIT). WAL lets
    these readers run beside the one writer. A write sent here (Piccolo's insert/update outside
    a transaction) is its own implicit transaction, committed when the statement ends. One round
    trip per statement: the job goes on a queue, the answer comes back with
    `call_soon_threadsafe`; rows are dicts by column name, as Piccolo's engine gives them."""

    def __init__(self, connect_kwargs: dict[str, Any], size: int = READER_THREADS) -> None:
        self._kwargs = {**connect_kwargs, "isolation_level": None, "check_same_thread": False}
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._serve, name=f"sqlite-reader-{n}", daemon=True)
                         for n in range(size)]
        for thread in self._threads:
            thread.start()

    async def run(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[dict[str, Any]]] = loop.create_future()
        self._queue.put((sql, args, loop, future))
        return await future

    def close(self) -> None:
        """Finish the queued statements, then close every connection."""
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(30)

    def _serve(self) -> None:
        try:
            conn = sqlite3.connect(**self._kwargs)
        except sqlite3.Error as exc:  # no connection: every statement sent here fails, none waits
            while (job := self._queue.get()) is not _STOP:
                loop, future = job[2], job[3]
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_answer, future, exc, True)
            return
        try:
            conn.execute("PRAGMA foreign_keys = 1")
            while (job := self._queue.get()) is not _STOP:
                sql, args, loop, future = job
                try:
                    result, failed = self._execute(conn, sql, args), False
                except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
                    result, failed = exc, True
                try:
                    loop.call_soon_threadsafe(_answer, future, result, failed)
                except RuntimeError:  # that event loop is closed: nobody is waiting any more
                    pass
        finally:
            conn.close()

    @staticmethod
    def _execute(conn: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        cursor = conn.execute(sql, args)
        try:
            description = cursor.description
            rows = cursor.fetchall()
        finally:
            cursor.close()
            if conn.in_transaction:  # a stray BEGIN must not pin a snapshot for later readers
                conn.rollback()
        if description is None:
            return []
        names = [column[0] for column in description]
        return [dict(zip(names, row)) for row in rows]


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, except that a query outside a transaction runs on the process's
    `SqliteReaders` (started at the first query) instead of a new aiosqlite connection and
    thread. Transactions (`engine.transaction()`, `write_transaction`) are Piccolo's own."""

    def __init__(self, path: str, readers: int = READER_THREADS, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._reader_count = readers
        self._readers: SqliteReaders | None = None
        self._readers_lock = threading.Lock()

    @property
    def readers(self) -> SqliteReaders:
        if self._readers is None:
            with self._readers_lock:
                if self._readers is None:
                    self._readers = SqliteReaders(self.connection_kwargs, self._reader_count)
        return self._readers

    # overrides a private method: Piccolo's SQLite engine has no public hook for where a query
    # outside a transaction runs (signature as in piccolo/engine/sqlite.py, pinned in constraints.txt)
    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None,
                                     query_type: str = "generic", table: Any = None) -> Any:
        if query_type == "insert" and self.get_version_sync() < 3.35:  # no RETURNING before 3.35
            return await super()._run_in_new_connection(query, args, query_type, table)
        return await self.readers.run(query, args or [])

    def close_readers(self) -> None:
        with self._readers_lock:
            readers, self._readers = self._readers, None
        if readers is not None:
            readers.close()


# SQLite's own words for "the file cannot take this now" (locked beyond the busy timeout, the
# disk full, the file unreadable or gone): everything else is a bug to log, not an outage.
_SQLITE_UNAVAILABLE = ("locked", "busy", "disk", "full", "unable to open", "readonly", "read-only",
                       "i/o error")


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database cannot be reached or cannot take the
    statement now, so a retry later may succeed: a lost or refused connection, a server shutting
    down or starting, too many connections, a timed-out wait or statement, a locked or full
    SQLite file. A constraint violation or a bad query is not one of them."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _unavailable_itself(current):
            return True
        # what raised it on purpose (`raise … from`), not whatever was being handled meanwhile: a
        # bug inside an `except` for a timeout is still a bug
        current = current.__cause__
    return False


def _unavailable_itself(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.InterfaceError):
        # a connection closed, or released/detached by the pool when it was lost; not a bad
        # parameter, nor one connection used by two tasks ("another operation is in progress"):
        # those are bugs, answered 500 and logged with their traceback
        message = str(exc).lower()
        return not isinstance(exc, ValueError) and any(
            words in message for words in ("closed", "released back to the pool", "connection was"))
    if isinstance(exc, (asyncpg.PostgresConnectionError,  # 08xxx: lost, refused, does not exist
                        asyncpg.exceptions.OperatorInterventionError,  # 57xxx: shutdown, starting, cancelled
                        asyncpg.exceptions.InsufficientResourcesError)):  # 53xxx: too many connections, disk full
        return True
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        # "cannot switch to state …": a statement sent on a connection the server was tearing
        # down (seen during a restart); other internal client errors are bugs
        return "cannot switch to state" in str(exc)
    if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror)) or type(exc) is OSError:
        return True  # refused, reset, unreachable (a bare OSError); a bounded wait ran out
    if isinstance(exc, sqlite3.OperationalError):
        message = str(exc).lower()
        return any(word in message for word in _SQLITE_UNAVAILABLE)
    return False


class BoundedPool:
    """asyncpg's pool, except that every `acquire` gives up after `wait` seconds (asyncpg and
    Piccolo wait forever by default): a request then answers 503 instead of hanging when every
    connection is busy or the server does not answer. Everything else is the pool's own."""

    def __init__(self, pool: Any, wait: float) -> None:
        self._pool = pool
        self.wait = wait

    def acquire(self, *, timeout: float | None = None) -> Any:
        return self._pool.acquire(timeout=self.wait if timeout is None else timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


def sqlite_path_from_url(url: str) -> str:
    # sqlite:///relative/path  or  sqlite:////absolute/path
    return url[len("sqlite:///"):]


def engine_for_url(url: str, wait: float = DB_WAIT_SECONDS,
                   statement_timeout: float | None = PG_COMMAND_TIMEOUT) -> Engine:
    if url.startswith("sqlite:///"):
        path = sqlite_path_from_url(url)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return PooledSQLiteEngine(path=path, timeout=30)
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        config = {
            "host": parts.hostname or "127.0.0.1",
            "port": parts.port or 5432,
            "user": unquote(parts.username or "postgres"),
            "password": unquote(parts.password or ""),
            "database": (parts.path or "/alveole").lstrip("/"),
            # asyncpg's defaults wait 60 s to connect and forever for a statement
            "timeout": wait,
            "command_timeout": statement_timeout,
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
        table._meta.db = engine  # private, but Piccolo's only way to rebind a declared table's engine


def prepare_sqlite_file(path: str) -> None:
    """WAL mode persists in the file: readers never block the single writer."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


class DatabaseUnreachable(Exception):
    """The configured database cannot be opened or reached (the message says why, in one line)."""


async def connect(url: str, wait: float = DB_WAIT_SECONDS,
                  statement_timeout: float | None = PG_COMMAND_TIMEOUT) -> Database:
    """Open the database of `url`; on PostgreSQL, start the pool (waits bounded by `wait`, each
    statement by `statement_timeout` seconds; None for migrations, which may build an index on a
    large table)."""
    try:
        engine = engine_for_url(url, wait, statement_timeout)
        if isinstance(engine, SQLiteEngine):
            prepare_sqlite_file(engine.connection_kwargs["database"])
        bind(engine)
        if isinstance(engine, PostgresEngine):
            await asyncio.wait_for(engine.start_connection_pool(min_size=PG_POOL_MIN, max_size=PG_POOL_MAX),
                                   timeout=30)
            engine.pool = BoundedPool(engine.pool, wait)
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
    elif isinstance(database.engine, PooledSQLiteEngine):
        await asyncio.to_thread(database.engine.close_readers)


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
