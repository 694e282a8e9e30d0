"""The booking write path: every booking-side change runs as an *operation* in a serialised
transaction, with its outbox rows.

An operation is `async def op(tx: Tx) -> T` written once for both back ends (see `ops.py`):
- SQLite: ONE writer thread per process owns a `sqlite3` connection and runs queued operations
  in grouped commits: `BEGIN IMMEDIATE`, a `SAVEPOINT` per operation (a failing one rolls back
  alone), `COMMIT`, then each awaiting coroutine is answered. The facade's methods never
  suspend, so the thread drives an operation's coroutine to completion without an event loop.
  Other processes on the same file are serialised by `BEGIN IMMEDIATE` and the busy timeout.
- PostgreSQL: a few asyncpg connections held from Piccolo's pool, one transaction per
  operation; the operation locks its session row (`FOR UPDATE`) before counting seats
  (READ COMMITTED alone would oversell).
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import queue
import sqlite3
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import asyncpg

from booking.errors import StoreUnavailable
from kernel.db import DB_WAIT_SECONDS, is_database_unavailable
from kernel.errors import DomainError
from kernel.events import DomainEvent, Notifier
from kernel.ports import Operation, SerialStore
from kernel.runtime import Runtime
from kernel.sql import Sql, UniqueViolation, sqlite_param

log = logging.getLogger("alveole.booking.store")
T = TypeVar("T")
UTC = dt.timezone.utc


# ----------------------------------------------------------------------------------- SQLite

class SqliteTx:
    postgres = False

    __slots__ = ("_conn", "_notifier")

    def __init__(self, conn: sqlite3.Connection, notifier: Notifier) -> None:
        self._conn = conn
        self._notifier = notifier

    def _run(self, sql: Sql, params: tuple[Any, ...]) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql.sqlite, tuple(map(sqlite_param, params)))
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise UniqueViolation(str(exc)) from exc
            raise

    async def one(self, sql: Sql, *params: Any) -> Any:
        return self._run(sql, params).fetchone()

    async def all(self, sql: Sql, *params: Any) -> list[Any]:
        return self._run(sql, params).fetchall()

    async def execute(self, sql: Sql, *params: Any) -> int:
        return self._run(sql, params).rowcount

    async def emit(self, events: Sequence[DomainEvent], now: dt.datetime) -> None:
        for statement, params in self._notifier.outbox_writes(events, now):
            self._run(statement, params)

    async def keep(self) -> None:
        # the operation's savepoint is merged into the batch's transaction and opened anew:
        # a failure from here on rolls back to this point only
        self._conn.execute("RELEASE op")
        self._conn.execute("SAVEPOINT op")


def drive(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (an operation over SqliteTx) to its result."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise RuntimeError("a booking operation awaited something other than its transaction")


_STOP = object()


class SqliteBookingStore:
    """One writer thread with its own connection; grouped commits (see the module docstring)."""

    def __init__(self, path: str, notifier: Notifier, max_batch: int = 256,
                 lock_wait: float = DB_WAIT_SECONDS) -> None:
        self._path = path
        # how long a batch waits for the file's write lock (another process, a backup, a
        # stuck transaction) before its operations answer 503
        self._lock_wait = lock_wait
        self._notifier = notifier
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="booking-writer", daemon=True)
        self.batches = self.operations = 0  # how well commits are grouped (bench, logs)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._failed:
            raise self._failed

    async def run(self, op: Operation[T]) -> T:
        if self._closed:
            raise RuntimeError("the booking store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((op, loop, future))
        return await future

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join, 30)
        log.info("booking writer: %d operations in %d grouped commits", self.operations, self.batches)

    # -- the writer thread

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, timeout=self._lock_wait, isolation_level=None,
                               check_same_thread=False, cached_statements=256)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA busy_timeout={int(self._lock_wait * 1000)}")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _serve(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._failed = exc
            self._ready.set()
            return
        self._ready.set()
        tx = SqliteTx(conn, self._notifier)
        stopping = False
        try:
            while not stopping:
                item = self._queue.get()
                if item is _STOP:
                    break
                batch = [item]
                while len(batch) < self._max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stopping = True
                        break
                    batch.append(item)
                self.batches += 1
                self.operations += len(batch)
                self._answer(batch, self._run_batch(conn, tx, batch))
        finally:
            conn.close()

    def _run_batch(self, conn: sqlite3.Connection, tx: SqliteTx, batch: list[Any]) -> list[tuple[bool, Any]]:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except Exception as exc:  # noqa: BLE001 - e.g. locked for longer than the busy timeout
            log.warning("booking batch of %d not started: %s", len(batch), exc)
            return [(False, _unavailable(exc))] * len(batch)
        outcomes: list[tuple[bool, Any]] = []
        try:
            for op, _loop, _future in batch:
                conn.execute("SAVEPOINT op")
                try:
                    value = drive(op(tx))
                except Exception as exc:  # noqa: BLE001 - this operation alone fails
                    conn.execute("ROLLBACK TO op")
                    conn.execute("RELEASE op")
                    outcomes.append((False, exc))
                else:
                    conn.execute("RELEASE op")
                    outcomes.append((True, value))
            conn.execute("COMMIT")
        except Exception as exc:  # noqa: BLE001 - the commit (or a savepoint) failed: nothing holds
            log.exception("booking batch of %d failed", len(batch))
            with contextlib.suppress(Exception):
                conn.execute("ROLLBACK")
            return [(False, _unavailable(exc))] * len(batch)
        return outcomes

    @staticmethod
    def _answer(batch: list[Any], outcomes: list[tuple[bool, Any]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for (_op, loop, future), (ok, value) in zip(batch, outcomes):
            by_loop.setdefault(loop, []).append((future, ok, value))
        for loop, answers in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is waiting
                loop.call_soon_threadsafe(_settle_futures, answers)


def _settle_futures(answers: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in answers:
        if future.done():  # the caller went away (e.g. the client disconnected)
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


# ------------------------------------------------------------------------------- PostgreSQL

class PostgresTx:
    postgres = True

    __slots__ = ("_conn", "_notifier", "kept")

    def __init__(self, conn: Any, notifier: Notifier) -> None:
        self._conn = conn
        self._notifier = notifier
        self.kept = False

    async def one(self, sql: Sql, *params: Any) -> Any:
        try:
            return await self._conn.fetchrow(sql.postgres, *params)
        except asyncpg.UniqueViolationError as exc:
            raise UniqueViolation(str(exc)) from exc

    async def all(self, sql: Sql, *params: Any) -> list[Any]:
        try:
            return await self._conn.fetch(sql.postgres, *params)
        except asyncpg.UniqueViolationError as exc:
            raise UniqueViolation(str(exc)) from exc

    async def execute(self, sql: Sql, *params: Any) -> int:
        try:
            status = await self._conn.execute(sql.postgres, *params)
        except asyncpg.UniqueViolationError as exc:
            raise UniqueViolation(str(exc)) from exc
        tail = status.rsplit(" ", 1)[-1]  # e.g. "UPDATE 3"
        return int(tail) if tail.isdigit() else 0

    async def emit(self, events: Sequence[DomainEvent], now: dt.datetime) -> None:
        for statement, params in self._notifier.outbox_writes(events, now):
            await self.execute(statement, *params)

    async def keep(self) -> None:
        await self._conn.execute("SAVEPOINT kept")
        self.kept = True


class PostgresBookingStore:
    """Operations run on a few connections held from Piccolo's pool for the store's lifetime
    (a booking then costs no acquire, release and reset round trips), one transaction each;
    deadlocks are retried.

    The held connections heal: one found closed at check-out (asyncpg detaches a connection it
    lost, e.g. when the server restarts) is replaced at once; one that fails during an
    operation is handed back and its slot refilled lazily, so an outage costs a 503 per request
    and never a slot. Every wait is bounded by `wait` seconds (an idle connection, a new one):
    a request then answers 503 `database-unavailable`, never hangs."""

    def __init__(self, engine: Any, notifier: Notifier, connections: int = 8, attempts: int = 3,
                 wait: float = DB_WAIT_SECONDS) -> None:
        self._engine = engine
        self._notifier = notifier
        self._size = connections
        self._attempts = attempts
        self._wait = wait
        self._idle: asyncio.Queue[Any] = asyncio.Queue()
        self._held: list[Any] = []

    async def start(self) -> None:
        for _ in range(self._size):
            conn = await asyncio.wait_for(self._new_connection(), timeout=self._wait * 2)
            self._held.append(conn)
            self._idle.put_nowait(conn)

    async def _new_connection(self) -> Any:
        pool = self._engine.pool
        # a process that started no pool (a script) gets connections of its own
        return await pool.acquire() if pool is not None else await self._engine.get_new_connection()

    async def _drop(self, conn: Any) -> None:
        if conn in self._held:
            self._held.remove(conn)
        with contextlib.suppress(Exception):
            if self._engine.pool is not None:
                # the pool resets or discards it (a connection asyncpg already detached: no-op)
                await asyncio.wait_for(self._engine.pool.release(conn), timeout=self._wait)
            else:
                await asyncio.wait_for(conn.close(), timeout=self._wait)

    async def _checkout(self) -> Any:
        """An idle held connection that is still open; an empty slot (None), or a connection
        lost meanwhile, is refilled here. Waits at most `wait` seconds for each."""
        try:
            conn = await asyncio.wait_for(self._idle.get(), timeout=self._wait)
        except asyncio.TimeoutError as exc:  # every connection busy (or stuck) for that long
            raise _unavailable(exc) from exc
        if conn is not None and not _usable(conn):
            stale, conn = conn, None
            try:
                await self._drop(stale)
            except BaseException:  # cancelled while dropping it: the slot stays, empty
                self._idle.put_nowait(None)
                raise
        if conn is None:
            try:
                conn = await asyncio.wait_for(self._new_connection(), timeout=self._wait)
            except BaseException as exc:
                self._idle.put_nowait(None)  # the slot stays, empty, for a later request
                if isinstance(exc, Exception):  # any reason: database unavailable
                    raise _unavailable(exc) from exc
                raise
            self._held.append(conn)
        return conn

    async def _checkin(self, conn: Any, clean: bool) -> None:
        """Back to the idle slots only after a transaction that ended cleanly (committed, or rolled
        back after a refusal) on a usable connection. Anything else — BEGIN failed or was cut
        short, a lost connection, a cancellation — may leave asyncpg's own transaction state
        behind (a failed BEGIN stays recorded as the connection's transaction, so the next one
        would be a mere SAVEPOINT whose writes are never committed): such a connection is dropped
        and its slot refilled later."""
        if clean and _usable(conn):
            self._idle.put_nowait(conn)
        else:  # free its slot first: a cancellation while dropping cannot lose it
            self._idle.put_nowait(None)
            await self._drop(conn)

    async def run(self, op: Operation[T]) -> T:
        for attempt in range(1, self._attempts + 1):
            conn = await self._checkout()
            clean = False
            try:
                result = await self._transaction(conn, op)
                clean = True
                return result
            except DomainError:
                clean = True  # refused and rolled back (a failed rollback raises something else)
                raise
            except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
                if attempt == self._attempts:
                    raise
                log.warning("booking operation retried after a deadlock (attempt %d)", attempt)
            except _NotBegun as not_begun:
                # nothing was sent but BEGIN: safe to try again on another connection
                if attempt == self._attempts or not is_database_unavailable(not_begun.error):
                    raise _unavailable(not_begun.error) from not_begun.error
                log.warning("booking operation moved to another connection: %s", not_begun.error)
            except Exception as exc:
                if is_database_unavailable(exc):  # lost mid-operation: the client may retry
                    raise _unavailable(exc) from exc
                raise
            finally:
                await self._checkin(conn, clean)
        raise AssertionError("unreachable")

    async def _transaction(self, conn: Any, op: Operation[T]) -> T:
        tx = PostgresTx(conn, self._notifier)
        transaction = conn.transaction()
        try:
            await transaction.start()
        except Exception as exc:
            raise _NotBegun(exc) from exc
        try:
            result = await op(tx)
        except DomainError:
            if not tx.kept:
                await transaction.rollback()
                raise
            try:  # refused after settling: keep the settling (see Tx.keep)
                await conn.execute("ROLLBACK TO SAVEPOINT kept")
                await transaction.commit()
            except BaseException:
                await _rollback(transaction)
                raise
            raise
        except BaseException:
            await _rollback(transaction)
            raise
        await transaction.commit()
        return result

    async def close(self) -> None:
        for conn in list(self._held):
            await self._drop(conn)


class _NotBegun(Exception):
    """BEGIN itself failed: the operation never ran."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _usable(conn: Any) -> bool:
    """Open and idle. A connection asyncpg detached from its pool (lost) raises on every call,
    even `is_closed()`: that is not usable either."""
    try:
        return not conn.is_closed() and not conn.is_in_transaction()
    except Exception:  # noqa: BLE001 - InterfaceError "released back to the pool"
        return False


async def _rollback(transaction: Any) -> None:
    """Roll back if the connection still can; a lost connection has nothing to roll back, and
    the error that matters is the one being raised."""
    with contextlib.suppress(Exception):
        await transaction.rollback()


async def ping(tx: Any) -> None:
    """An operation that takes the write path's lock and a connection, and changes nothing:
    `/ready` runs it to tell whether a booking could be taken now."""
    await tx.one(Sql("SELECT 1"))


def _unavailable(exc: BaseException) -> StoreUnavailable:
    error = StoreUnavailable()
    error.__cause__ = exc
    return error


# ------------------------------------------------------------------------------ lifecycle

async def start_store(runtime: Runtime) -> None:
    """Build this process's store (and start the SQLite writer thread)."""
    store: SerialStore
    if runtime.db.is_sqlite:
        sqlite_store = SqliteBookingStore(runtime.db.sqlite_path, runtime.notifier,
                                          lock_wait=runtime.settings.db_wait_seconds)
        await asyncio.to_thread(sqlite_store.start)
        store = sqlite_store
    else:
        postgres_store = PostgresBookingStore(runtime.db.engine, runtime.notifier,
                                              wait=runtime.settings.db_wait_seconds)
        await postgres_store.start()
        store = postgres_store
    runtime.booking_store = store


async def stop_store(runtime: Runtime) -> None:
    store, runtime.booking_store = runtime.booking_store, None
    if store is not None:
        await store.close()


async def run(runtime: Runtime, op: Operation[T]) -> T:
    return await runtime.store.run(op)


__all__ = ["PostgresBookingStore", "SqliteBookingStore", "ping", "run", "start_store", "stop_store"]
