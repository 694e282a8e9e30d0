"""Raw SQL the same way everywhere: one statement type (`Sql`, numbered `?1` parameters with
a PostgreSQL twin), one transaction protocol (`Tx`) for the serialised write path, reads and
writes on the bound engine that join the caller's Piccolo transaction, and the one helper for
check-then-write transactions (`write_transaction`).

Each package keeps the `Sql` of its own tables in its `repository.py`.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import re
import sqlite3
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

if TYPE_CHECKING:
    from kernel.events import DomainEvent

UTC = dt.timezone.utc
_NUMBERED = re.compile(r"\?(\d+)")


class Sql:
    """One statement in SQLite's numbered-parameter form (`?1`), with its PostgreSQL twin
    (`$1`); `pg_suffix` is appended on PostgreSQL only (row locks)."""

    __slots__ = ("postgres", "sqlite")

    def __init__(self, text: str, pg_suffix: str = "") -> None:
        self.sqlite = text
        self.postgres = _NUMBERED.sub(r"$\1", text) + pg_suffix

    @classmethod
    def of(cls, sqlite: str, postgres: str) -> Sql:
        """A statement whose two dialects differ beyond the placeholders (`$N` already in
        `postgres`)."""
        statement = cls(sqlite)
        statement.postgres = postgres
        return statement

    def prefixed(self, prefix: str) -> Sql:
        """The same statement after `prefix` (e.g. `EXPLAIN `)."""
        return Sql.of(prefix + self.sqlite, prefix + self.postgres)

    def __repr__(self) -> str:
        return f"Sql({self.sqlite!r})"


def placeholders(first: int, count: int) -> str:
    """`?first, ?first+1, …` for an IN list of `count` values."""
    return ", ".join(f"?{i}" for i in range(first, first + count))


class UniqueViolation(Exception):
    """A unique constraint refused a write; `detail` names it as the database did."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def as_datetime(value: Any) -> dt.datetime | None:
    """A timestamp column as an aware datetime (SQLite hands back Piccolo's text form)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value)


def sqlite_param(value: Any) -> Any:
    """Piccolo's Timestamptz text form: str() of the UTC datetime, e.g. 2026-12-05 13:00:00+00:00."""
    if isinstance(value, dt.datetime):
        return str(value.astimezone(UTC))
    return value


class Tx(Protocol):
    """What an operation may do inside its transaction."""

    postgres: bool

    async def one(self, sql: Sql, *params: Any) -> Any: ...  # a row (by name) or None

    async def all(self, sql: Sql, *params: Any) -> list[Any]: ...

    async def execute(self, sql: Sql, *params: Any) -> int: ...  # rows changed

    async def emit(self, events: Sequence[DomainEvent], now: dt.datetime) -> None:
        """Write the outbox rows these events mean (the Notifier's statements) in this transaction."""

    async def keep(self) -> None:
        """Make the work done so far survive if the rest of the operation is refused (a
        DomainError): the expiries and promotions found due while settling a session."""


# ------------------------------------------------------------------ the bound Piccolo engine

_engine: Engine | None = None


def use_engine(engine: Engine) -> None:
    """Called by `kernel.db.bind`: the engine every function below runs on."""
    global _engine
    _engine = engine


def engine() -> Engine:
    assert _engine is not None, "no database bound yet (kernel.db.connect)"
    return _engine


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


# what each driver raises when a unique constraint refuses a write (on SQLite, an
# IntegrityError whose message names the kind: NOT NULL, CHECK and FOREIGN KEY share the class)
_DRIVER_CONSTRAINT_ERRORS = (asyncpg.UniqueViolationError, sqlite3.IntegrityError)


def _is_unique_violation(exc: Exception) -> bool:
    return isinstance(exc, asyncpg.UniqueViolationError) or "UNIQUE constraint failed" in str(exc)


@contextlib.contextmanager
def unique_violations() -> Iterator[None]:
    """Turn the driver's unique-constraint error raised inside the block (a Piccolo query's:
    `Table.insert`, `.update`) into `UniqueViolation`, as `fetch_*` and `execute` do."""
    try:
        yield
    except _DRIVER_CONSTRAINT_ERRORS as exc:
        if _is_unique_violation(exc):
            raise UniqueViolation(str(exc)) from exc
        raise


async def _rows(sql: Sql, params: Sequence[Any]) -> list[Any]:
    """Run one statement: in the caller's Piccolo transaction if there is one, else on a
    pooled connection (PostgreSQL: the asyncpg pool the bootstrap started; SQLite: the engine's
    persistent reader connections, `kernel.db.SqliteReaders`)."""
    bound = engine()
    # Piccolo's private _run_in_* methods: the public run_querystring wants a QueryString ({}
    # placeholders, re-rendered per call); these run our prepared text as is, with Piccolo's rows
    with unique_violations():
        if isinstance(bound, PostgresEngine):
            transaction = bound.current_transaction.get()
            if transaction is not None:
                return await transaction.connection.fetch(sql.postgres, *params)
            if bound.pool is not None:
                return await bound._run_in_pool(sql.postgres, params)
            # only a script that connected without `kernel.db.connect` has no pool
            return await bound._run_in_new_connection(sql.postgres, params)
        assert isinstance(bound, SQLiteEngine)
        args = [sqlite_param(p) for p in params]
        transaction = bound.current_transaction.get()
        if transaction is not None:
            return await bound._run_in_existing_connection(transaction.connection, sql.sqlite, args)
        # kernel.db.PooledSQLiteEngine: a persistent reader connection, no new thread
        return await bound._run_in_new_connection(sql.sqlite, args)


async def fetch_all(sql: Sql, *params: Any) -> list[Any]:
    """Rows (indexable by column name), inside the caller's Piccolo transaction if any."""
    return await _rows(sql, params)


async def fetch_one(sql: Sql, *params: Any) -> Any:
    rows = await _rows(sql, params)
    return rows[0] if rows else None


async def fetch_value(sql: Sql, *params: Any) -> Any:
    row = await fetch_one(sql, *params)
    return None if row is None else next(iter(dict(row).values()))


async def execute(sql: Sql, *params: Any) -> int:
    """Run a write; returns how many rows it RETURNING-ed (add RETURNING to count changes)."""
    return len(await _rows(sql, params))


class PiccoloTx:
    """`Tx` over the current Piccolo transaction (see `write_transaction`), for use cases that
    are not on the booking store's path."""

    def __init__(self, notifier: Any = None) -> None:
        self.postgres = is_postgres()
        self._notifier = notifier

    async def one(self, sql: Sql, *params: Any) -> Any:
        return await fetch_one(sql, *params)

    async def all(self, sql: Sql, *params: Any) -> list[Any]:
        return await fetch_all(sql, *params)

    async def execute(self, sql: Sql, *params: Any) -> int:
        return await execute(sql, *params)

    async def emit(self, events: Sequence[DomainEvent], now: dt.datetime) -> None:
        for statement, params in self._notifier.outbox_writes(events, now):
            await self.execute(statement, *params)

    async def keep(self) -> None:  # pragma: no cover - the store's operations only
        raise NotImplementedError


def write_transaction() -> Any:
    """A transaction for check-then-write: `BEGIN IMMEDIATE` on SQLite, so two writers queue
    for the lock up front instead of failing when a read lock would be upgraded (PostgreSQL:
    READ COMMITTED; lock rows with `FOR UPDATE` where a check must hold)."""
    bound = engine()
    if isinstance(bound, SQLiteEngine):
        return bound.transaction(transaction_type=TransactionType.immediate)
    return bound.transaction()
