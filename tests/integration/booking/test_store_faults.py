"""The booking store tells the truth when the database cannot take a write: a retryable 503
(`database-unavailable`), nothing half-done, and it recovers once the database does."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest

from kernel.events import RecordingNotifier
from booking.errors import StoreUnavailable
from booking.store import PostgresBookingStore, SqliteBookingStore, SqliteTx


class TestSqliteLockedTooLong:
    def test_a_batch_that_cannot_begin_answers_503_for_every_operation(self, tmp_path):
        path = str(tmp_path / "locked.db")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("CREATE TABLE t (x INTEGER)")
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        store = SqliteBookingStore(path, RecordingNotifier())
        conn = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        try:
            outcomes = store._run_batch(conn, SqliteTx(conn, RecordingNotifier()), [(None, None, None)] * 3)
        finally:
            holder.rollback()
            holder.close()
            conn.close()
        assert [ok for ok, _ in outcomes] == [False, False, False]
        assert all(isinstance(error, StoreUnavailable) and error.status == 503 for _, error in outcomes)


class _Connection:
    def __init__(self) -> None:
        self.closed = False

    def is_closed(self) -> bool:
        return self.closed

    def is_in_transaction(self) -> bool:
        return False


class _Pool:
    def __init__(self) -> None:
        self.up = True

    async def acquire(self) -> _Connection:
        if not self.up:
            raise ConnectionRefusedError("database down")
        return _Connection()

    async def release(self, conn: _Connection) -> None:
        conn.closed = True


class _Engine:
    def __init__(self) -> None:
        self.pool = _Pool()


class TestPostgresOutage:
    async def test_lost_connections_are_replaced_lazily_once_the_database_is_back(self, monkeypatch):
        engine = _Engine()
        store = PostgresBookingStore(engine, RecordingNotifier(), connections=2)
        await store.start()

        async def broken(conn, op):
            conn.closed = True
            raise ConnectionResetError("server closed the connection")

        monkeypatch.setattr(store, "_transaction", broken)
        engine.pool.up = False
        for _ in range(4):  # more failures than held connections: no slot may be lost
            with pytest.raises(StoreUnavailable):
                await asyncio.wait_for(store.run(lambda tx: None), timeout=5)

        engine.pool.up = True

        async def works(conn, op):
            return "booked"

        monkeypatch.setattr(store, "_transaction", works)
        answers = await asyncio.wait_for(asyncio.gather(*(store.run(lambda tx: None) for _ in range(5))), 5)
        assert answers == ["booked"] * 5
        assert len(store._held) == 2


class _Detached(_Connection):
    """What asyncpg leaves behind when it loses a pool connection: every call raises."""

    def is_closed(self) -> bool:
        import asyncpg

        raise asyncpg.InterfaceError("cannot call Connection.is_closed(): connection has been released back to the pool")


class TestPostgresHealing:
    async def test_a_connection_detached_by_asyncpg_is_replaced_not_lost(self, monkeypatch):
        """The issue's hang: check-in called `is_closed()` on a detached connection, which
        raised, so the slot was neither returned nor replaced and check-out waited forever."""
        import asyncpg

        engine = _Engine()
        store = PostgresBookingStore(engine, RecordingNotifier(), connections=2, wait=0.5)
        await store.start()

        async def lost(conn, op):
            conn.__class__ = _Detached
            raise asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")

        monkeypatch.setattr(store, "_transaction", lost)
        for _ in range(5):
            with pytest.raises(StoreUnavailable):
                await asyncio.wait_for(store.run(lambda tx: None), timeout=5)

        async def works(conn, op):
            return "booked"

        monkeypatch.setattr(store, "_transaction", works)
        assert await asyncio.wait_for(asyncio.gather(*(store.run(lambda tx: None) for _ in range(4))), 5) \
            == ["booked"] * 4
        assert len(store._held) == 2 and not any(isinstance(c, _Detached) for c in store._held)

    async def test_an_idle_connection_lost_meanwhile_is_replaced_at_check_out(self, monkeypatch):
        engine = _Engine()
        store = PostgresBookingStore(engine, RecordingNotifier(), connections=2, wait=0.5)
        await store.start()
        for conn in list(store._held):
            conn.__class__ = _Detached  # the server restarted while they sat idle

        async def works(conn, op):
            assert not isinstance(conn, _Detached)
            return "booked"

        monkeypatch.setattr(store, "_transaction", works)
        assert await asyncio.wait_for(store.run(lambda tx: None), 5) == "booked"

    async def test_waiting_for_a_connection_is_bounded(self, monkeypatch):
        engine = _Engine()
        store = PostgresBookingStore(engine, RecordingNotifier(), connections=1, wait=0.2)
        await store.start()
        release = asyncio.Event()

        async def slow(conn, op):
            await release.wait()
            return "booked"

        monkeypatch.setattr(store, "_transaction", slow)
        first = asyncio.create_task(store.run(lambda tx: None))
        await asyncio.sleep(0)
        with pytest.raises(StoreUnavailable):  # the only connection stays busy beyond the wait
            await asyncio.wait_for(store.run(lambda tx: None), timeout=5)
        release.set()
        assert await first == "booked"


class TestUnavailableErrors:
    def test_connection_errors_of_both_back_ends_mean_unavailable_and_bugs_do_not(self):
        import asyncpg

        from kernel.db import is_database_unavailable

        for error in (asyncpg.exceptions.AdminShutdownError(), asyncpg.exceptions.ConnectionDoesNotExistError(),
                      asyncpg.InterfaceError("connection has been released back to the pool"),
                      asyncpg.exceptions.CannotConnectNowError(), asyncpg.exceptions.TooManyConnectionsError(),
                      ConnectionRefusedError(), ConnectionResetError(), OSError("Multiple exceptions"),
                      asyncio.TimeoutError(), sqlite3.OperationalError("database is locked"),
                      sqlite3.OperationalError("database or disk is full")):
            assert is_database_unavailable(error), error
        wrapped = RuntimeError("while booking")
        wrapped.__cause__ = asyncpg.exceptions.AdminShutdownError()
        assert is_database_unavailable(wrapped)
        for error in (ValueError(), FileNotFoundError(), asyncpg.UniqueViolationError(),
                      sqlite3.OperationalError("no such table: x"), sqlite3.IntegrityError("UNIQUE")):
            assert not is_database_unavailable(error), error
