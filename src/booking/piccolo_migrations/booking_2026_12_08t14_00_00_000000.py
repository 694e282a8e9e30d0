"""Text messages: `booking.confirmed_by_text_at`, when the participant answered YES/OUI to a text."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-08T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "booking confirmed by text"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="booking", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Booking", tablename="booking", column_name="confirmed_by_text_at",
        db_column_name="confirmed_by_text_at", column_class_name="Timestamptz",
        column_class=Timestamptz, schema=None,
        params={"default": None, "null": True, "primary_key": False, "unique": False, "index": False,
                "index_method": IndexMethod.btree, "db_column_name": None, "secret": False,
                "choices": None})
    return manager
