"""Relays: people who may book for neighbours without an account in a community."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-08T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "community relays"


class User(Table, tablename="app_user", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False,
                index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)


class Community(Table, tablename="community", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False,
                index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)


def _params(**given):
    return {"primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "db_column_name": None, "secret": False, "choices": None, "null": False, **given}


def _add(manager, name, column_class, **params):
    manager.add_column(table_class_name="Relay", tablename="community_relay", column_name=name,
                       db_column_name=name, column_class_name=column_class.__name__,
                       column_class=column_class, params=_params(**params), schema=None)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_table(class_name="Relay", tablename="community_relay", schema=None, columns=None)
    for name, target in (("community", Community), ("user", User)):
        _add(manager, name, ForeignKey, references=target, on_delete=OnDelete.cascade,
             on_update=OnUpdate.cascade, target_column=None, null=True, index=True, default=None)
    _add(manager, "pair", Varchar, length=40, default="", unique=True)
    _add(manager, "created_at", Timestamptz, default=TimestamptzNow())
    return manager
