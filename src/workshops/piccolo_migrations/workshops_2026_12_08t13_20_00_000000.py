"""Sessions get a short code (`/s/{code}`, the printed programme); unique through an index made
by the data step after the backfill (SQLite cannot add a UNIQUE column)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-08T13:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "session short codes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workshops", description=DESCRIPTION)
    manager.add_column(
        table_class_name="WorkshopSession", tablename="workshop_session", column_name="short_code",
        db_column_name="short_code", column_class_name="Varchar", column_class=Varchar, schema=None,
        params={"length": 6, "default": None, "null": True, "primary_key": False, "unique": False, "index": False,
                "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False})
    return manager
