"""Email verification and one-time links: `app_user.email_verified_at` and `one_time_token`
(verify_email, password_reset; only a SHA-256 of each token is kept)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-07T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "email verification, one-time tokens"


class User(Table, tablename="app_user", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False,
                index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)


def _params(**given):
    return {"primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "db_column_name": None, "secret": False, "choices": None, "null": False, **given}


def _add(manager, table_class, tablename, name, column_class, **params):
    manager.add_column(table_class_name=table_class, tablename=tablename, column_name=name,
                       db_column_name=name, column_class_name=column_class.__name__,
                       column_class=column_class, params=_params(**params), schema=None)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    _add(manager, "User", "app_user", "email_verified_at", Timestamptz, default=None, null=True)

    manager.add_table(class_name="OneTimeToken", tablename="one_time_token", schema=None, columns=None)
    manager.add_column(
        table_class_name="OneTimeToken", tablename="one_time_token", column_name="user",
        db_column_name="user", column_class_name="ForeignKey", column_class=ForeignKey, schema=None,
        params=_params(references=User, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade,
                       target_column=None, index=True, default=None))
    _add(manager, "OneTimeToken", "one_time_token", "purpose", Varchar, length=16, default="")
    _add(manager, "OneTimeToken", "one_time_token", "token_hash", Varchar, length=64, default="",
         unique=True)
    _add(manager, "OneTimeToken", "one_time_token", "created_at", Timestamptz, default=TimestamptzNow())
    _add(manager, "OneTimeToken", "one_time_token", "expires_at", Timestamptz, default=TimestamptzNow())
    _add(manager, "OneTimeToken", "one_time_token", "used_at", Timestamptz, default=None, null=True)
    _add(manager, "OneTimeToken", "one_time_token", "next_path", Varchar, length=500, default="")
    return manager
