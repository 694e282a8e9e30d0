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
