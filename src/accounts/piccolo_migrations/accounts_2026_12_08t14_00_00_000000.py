"""Text messages: `app_user.phone` (E.164) and `sms_opt_in`, and `sms_opt_out` (numbers that
answered STOP)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-08T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "phone and text opt-in, text opt-outs"


def _params(**given):
    return {"primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "db_column_name": None, "secret": False, "choices": None, "null": False, **given}


def _add(manager, table_class, tablename, name, column_class, **params):
    manager.add_column(table_class_name=table_class, tablename=tablename, column_name=name,
                       db_column_name=name, column_class_name=column_class.__name__,
                       column_class=column_class, params=_params(**params), schema=None)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    _add(manager, "User", "app_user", "phone", Varchar, length=16, default=None, null=True, index=True)
    _add(manager, "User", "app_user", "sms_opt_in", Boolean, default=False)
    manager.add_table(class_name="SmsOptOut", tablename="sms_opt_out", schema=None, columns=None)
    _add(manager, "SmsOptOut", "sms_opt_out", "phone", Varchar, length=16, default="", unique=True)
    _add(manager, "SmsOptOut", "sms_opt_out", "opted_out_at", Timestamptz, default=TimestamptzNow())
    return manager
