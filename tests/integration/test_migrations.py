"""Every migration applies to an empty database and yields exactly the declared tables."""
import importlib
import importlib.util
import inspect
import pkgutil
from pathlib import Path

from piccolo.table import Table

import kernel
from kernel import db as dbmod

# `Table._meta` / `Column._meta` (private): Piccolo's table metadata, the names the tables declare


def _defined_tables() -> list[type[Table]]:
    """Every `Table` subclass defined in the `tables` module of every package beside `kernel`,
    registered in a Piccolo app or not: the migrations must create them all."""
    found: list[type[Table]] = []
    source_root = Path(kernel.__file__).resolve().parent.parent
    for package in pkgutil.iter_modules([str(source_root)]):
        if not package.ispkg or importlib.util.find_spec(f"{package.name}.tables") is None:
            continue
        module = importlib.import_module(f"{package.name}.tables")
        found.extend(member for _, member in inspect.getmembers(module, inspect.isclass)
                     if issubclass(member, Table) and member is not Table
                     and member.__module__ == module.__name__)
    return found


async def _table_names(database: dbmod.Database) -> set[str]:
    if database.is_sqlite:
        rows = await database.engine.run_ddl(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        return {r["name"] for r in rows}
    rows = await database.engine.run_ddl("SELECT tablename AS name FROM pg_tables WHERE schemaname='public'")
    return {r["name"] for r in rows}


async def _columns(database: dbmod.Database, table: type[Table]) -> set[str]:
    name = table._meta.tablename
    if database.is_sqlite:
        rows = await database.engine.run_ddl(f'PRAGMA table_info("{name}")')
        return {r["name"] for r in rows}
    rows = await database.engine.run_ddl(
        f"SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{name}'")
    return {r["name"] for r in rows}


def test_every_defined_table_is_registered_in_a_piccolo_app():
    defined = _defined_tables()
    assert len({t.__module__ for t in defined}) >= 4, "tables modules not found"
    unregistered = {f"{t.__module__}.{t.__name__}" for t in defined} - {
        f"{t.__module__}.{t.__name__}" for t in dbmod.all_tables()}
    assert not unregistered, f"add to their package's piccolo_app.py: {sorted(unregistered)}"


async def test_migrations_create_every_declared_table_and_column(db):
    tables = [*dbmod.all_tables(), *_defined_tables()]
    assert {t._meta.tablename for t in tables} <= await _table_names(db)
    for table in tables:
        declared = {c._meta.db_column_name for c in table._meta.columns}
        assert declared == await _columns(db, table), table._meta.tablename


async def test_migrating_twice_is_a_no_op(db):
    await dbmod.migrate(quiet=True)
    await dbmod.migrate(quiet=True)


async def test_accounts_from_before_verification_count_as_verified(db):
    """The data step of accounts' verification migration: existing accounts are verified (since
    they were created); erased ones are left alone."""
    from accounts.piccolo_migrations import accounts_2026_12_07t18_10_01_000000 as data_step
    from accounts.tables import User
    from tests.factories import NOW, make_user

    old = await make_user(verified=False)
    erased = await make_user(verified=False, deleted_at=NOW)
    manager = await data_step.forwards()
    await manager.run()
    rows = {r["id"]: r["email_verified_at"] for r in await User.select(User.id, User.email_verified_at)}
    assert rows[old["id"]] == NOW and rows[erased["id"]] is None


async def test_workshops_from_before_search_text_are_folded(db):
    """The data step of the search-text migration: existing workshops get their folded text."""
    from tests.factories import make_workshop
    from workshops.piccolo_migrations import workshops_2026_12_08t12_00_01_000000 as data_step
    from workshops.tables import Workshop

    old = await make_workshop(title="Café Vélo", summary="Réparer", description="ÉTÉ", tags=["Straße"],
                              search_text="")
    manager = await data_step.forwards()
    await manager.run()
    row = await Workshop.select(Workshop.search_text).where(Workshop.id == old["id"]).first()
    assert row["search_text"] == "cafe velo\nreparer\nete\nstrasse"
