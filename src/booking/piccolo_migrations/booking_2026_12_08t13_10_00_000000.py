"""The door and the desk: bookings made for neighbours without an account (who made them, the
guest's name, phone and note), released no-shows, and the standby list at the door."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-08T13:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "guest bookings, released no-shows, standby entries"


class User(Table, tablename="app_user", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False,
                index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)


class WorkshopSession(Table, tablename="workshop_session", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False,
                index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)


def _params(**given):
    return {"primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "db_column_name": None, "secret": False, "choices": None, "null": False, **given}


def _add(manager, table_class, tablename, name, column_class, **params):
    manager.add_column(table_class_name=table_class, tablename=tablename, column_name=name,
                       db_column_name=name, column_class_name=column_class.__name__,
                       column_class=column_class, params=_params(**params), schema=None)


def _fk(target, on_delete, index):
    return dict(references=target, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None,
                null=True, index=index, default=None)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="booking", description=DESCRIPTION)

    _add(manager, "Booking", "booking", "booked_by", ForeignKey, **_fk(User, OnDelete.restrict, True))
    _add(manager, "Booking", "booking", "source", Varchar, length=8, default="self")
    _add(manager, "Booking", "booking", "guest_name", Varchar, length=100, default=None, null=True)
    _add(manager, "Booking", "booking", "guest_phone", Varchar, length=20, default=None, null=True)
    _add(manager, "Booking", "booking", "guest_note", Varchar, length=300, default=None, null=True)
    _add(manager, "Booking", "booking", "released_at", Timestamptz, default=None, null=True)

    manager.add_table(class_name="StandbyEntry", tablename="standby_entry", schema=None, columns=None)
    _add(manager, "StandbyEntry", "standby_entry", "session", ForeignKey,
         **_fk(WorkshopSession, OnDelete.restrict, True))
    _add(manager, "StandbyEntry", "standby_entry", "name", Varchar, length=100, default=None, null=True)
    _add(manager, "StandbyEntry", "standby_entry", "seats", Integer, default=0)
    _add(manager, "StandbyEntry", "standby_entry", "status", Varchar, length=8, default="waiting")
    _add(manager, "StandbyEntry", "standby_entry", "added_by", ForeignKey, **_fk(User, OnDelete.restrict, False))
    _add(manager, "StandbyEntry", "standby_entry", "booking_id", Integer, default=None, null=True)
    _add(manager, "StandbyEntry", "standby_entry", "created_at", Timestamptz, default=TimestamptzNow())
    return manager
