from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder

ID = "2026-11-25T22:29:22:752957"
VERSION = "1.38.0"
DESCRIPTION = "outbox: claim owner, render time, due-rows index"

# The delivery worker's claim scans (status, next_attempt_at); one composite index serves it.
DUE_INDEX = (
    "CREATE INDEX IF NOT EXISTS outbox_message_due ON outbox_message (status, next_attempt_at)"
)


async def create_due_index():
    await engine_finder().run_ddl(DUE_INDEX)


async def drop_due_index():
    await engine_finder().run_ddl("DROP INDEX IF EXISTS outbox_message_due")



async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="notify", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="OutboxMessage",
        tablename="outbox_message",
        column_name="claimed_by",
        db_column_name="claimed_by",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 40,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="OutboxMessage",
        tablename="outbox_message",
        column_name="rendered_at",
        db_column_name="rendered_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_raw(create_due_index)
    manager.add_raw_backwards(drop_due_index)

    return manager
