"""The SQLite reader connections (`kernel.db.SqliteReaders`): persistent, yet never holding a
snapshot, so every read sees what was committed before it; closed with the database."""
from __future__ import annotations

import contextlib
import sqlite3
import threading

import pytest

from kernel import db as dbmod
from kernel.sql import Sql, fetch_all, fetch_value



def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sqlite-reader-")]


@pytest.fixture
async def sqlite_db(database_url, is_postgres):
    if is_postgres:
        pytest.skip("SQLite's reader connections")
    database = await dbmod.connect(database_url)
    yield database
    await dbmod.disconnect(database)


async def test_a_read_sees_a_commit_made_elsewhere_just_before(sqlite_db):
    count = Sql("SELECT COUNT(*) AS n FROM community")
    # touch every reader connection, so each has read the table before the write
    assert {await fetch_value(count) for _ in range(16)} == {0}
    with contextlib.closing(sqlite3.connect(sqlite_db.sqlite_path, isolation_level=None)) as other:
        other.execute("INSERT INTO community (slug, name, timezone, locale, moderation, created_at) "
                      "VALUES ('a', 'A', 'UTC', 'en', 0, '2026-12-01 09:00:00+00:00')")
    assert {await fetch_value(count) for _ in range(16)} == {1}


async def test_a_stray_begin_leaves_no_transaction_open(sqlite_db):
    engine = sqlite_db.engine
    for _ in range(8):  # every reader, whichever takes the job
        await engine.readers.run("BEGIN", [])
        await engine.readers.run("SELECT COUNT(*) FROM community", [])
    # a writer elsewhere is not blocked by a reader's open transaction, and is seen at once
    with contextlib.closing(sqlite3.connect(sqlite_db.sqlite_path, isolation_level=None, timeout=0)) as other:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO community (slug, name, timezone, locale, moderation, created_at) "
                      "VALUES ('b', 'B', 'UTC', 'en', 0, '2026-12-01 09:00:00+00:00')")
        other.execute("COMMIT")
        other.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no reader pins an old snapshot
        assert other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    rows = await fetch_all(Sql("SELECT slug FROM community"))
    assert [r["slug"] for r in rows] == ["b"]


async def test_an_error_reaches_the_caller_and_the_reader_keeps_serving(sqlite_db):
    with pytest.raises(sqlite3.OperationalError):
        await fetch_all(Sql("SELECT nothing FROM nowhere"))
    assert await fetch_value(Sql("SELECT 41 + 1 AS n")) == 42


async def test_disconnect_closes_the_reader_threads(database_url, is_postgres):
    if is_postgres:
        pytest.skip("SQLite's reader connections")
    before = len(_readers())
    database = await dbmod.connect(database_url)
    await fetch_value(Sql("SELECT 1 AS n"))
    assert len(_readers()) == before + dbmod.READER_THREADS
    await dbmod.disconnect(database)
    assert len(_readers()) == before


def test_a_real_stored_in_an_integer_column_still_reads_as_an_integer():
    from kernel.db import _integer

    assert _integer(b"42") == 42 and _integer(b"-7") == -7
    assert _integer(b"3.0") == 3
