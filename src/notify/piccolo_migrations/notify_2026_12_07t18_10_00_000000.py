"""outbox: a coalescing key, so a burst of changes to one session leaves one pending message per
participant (`notify.notifier`, `session_updated`)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox: coalesce_key"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)
    manager.add_column(
        table_class_name="OutboxMessage", tablename="outbox_message", column_name="coalesce_key",
        db_column_name="coalesce_key", column_class_name="Varchar", column_class=Varchar,
        params={"length": 200, "default": None, "null": True, "primary_key": False, "unique": False,
                "index": False, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    return manager
