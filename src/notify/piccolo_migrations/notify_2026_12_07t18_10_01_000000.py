"""outbox: the pending rows by coalescing key (partial: sent rows are never coalesced into)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T18:10:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox: pending rows by coalesce_key"

INDEX = ("CREATE INDEX IF NOT EXISTS outbox_message_pending_coalesce ON outbox_message (coalesce_key) "
         "WHERE status = 'pending'")


async def create_index():
    await engine_finder().run_ddl(INDEX)


async def drop_index():
    await engine_finder().run_ddl("DROP INDEX IF EXISTS outbox_message_pending_coalesce")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)
    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
