"""Per-user quotas counted in the database: the `quota_event` table (its index: the next migration)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "quota events"


def _params(**extra):
    return {"default": None, "null": False, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
            "secret": False, **extra}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_table(class_name="QuotaEvent", tablename="quota_event", schema=None, columns=None)
    for name, column_class, params in (
        ("user_id", Integer, _params(default=0)),
        ("action", Varchar, _params(default="", length=24)),
        ("at", Timestamptz, _params(default=TimestamptzNow())),
    ):
        manager.add_column(table_class_name="QuotaEvent", tablename="quota_event", column_name=name,
                           db_column_name=name, column_class_name=column_class.__name__,
                           column_class=column_class, params=params, schema=None)
    return manager
