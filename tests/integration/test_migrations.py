"""Every migration applies to an empty database and yields exactly the declared tables."""
from piccolo.table import Table

from kernel import db as dbmod


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


async def test_migrations_create_every_declared_table_and_column(db):
    tables = dbmod.all_tables()
    assert {t._meta.tablename for t in tables} <= await _table_names(db)
    for table in tables:
        declared = {c._meta.db_column_name for c in table._meta.columns}
        assert declared == await _columns(db, table), table._meta.tablename


async def test_migrating_twice_is_a_no_op(db):
    await dbmod.migrate(quiet=True)
    await dbmod.migrate(quiet=True)
