"""The quota check's seek: a user's events of one action, newest first (`accounts.quotas`)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T18:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "quota event index"

INDEX = "CREATE INDEX IF NOT EXISTS quota_event_user_action_at ON quota_event (user_id, action, at)"


async def create_index():
    await engine_finder().run_ddl(INDEX)


async def drop_index():
    await engine_finder().run_ddl("DROP INDEX IF EXISTS quota_event_user_action_at")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
