"""Attendance marks (append-only audit of `booking.attendance`) and hidden feedback comments."""
from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-02T00:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "attendance marks, hidden feedback"


class Booking(Table, tablename="booking", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False,
                index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)


class User(Table, tablename="app_user", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False,
                index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)


ATTENDANCE = Enum("Attendance", {"unknown": "unknown", "attended": "attended", "no_show": "no_show"})
VIA = Enum("MarkVia", {"mark": "mark", "checkin": "checkin"})

_COMMON = {
    "primary_key": False,
    "unique": False,
    "index_method": IndexMethod.btree,
    "db_column_name": None,
    "secret": False,
}


def _fk(references: type[Table], on_delete: OnDelete, *, null: bool, index: bool) -> dict:
    return {"references": references, "on_delete": on_delete, "on_update": OnUpdate.cascade,
            "target_column": None, "null": null, "index": index, "choices": None, **_COMMON}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="booking", description=DESCRIPTION)

    manager.add_table(class_name="AttendanceMark", tablename="attendance_mark", schema=None, columns=None)
    manager.add_column(
        table_class_name="AttendanceMark", tablename="attendance_mark", column_name="booking",
        db_column_name="booking", column_class_name="ForeignKey", column_class=ForeignKey,
        params=_fk(Booking, OnDelete.cascade, null=True, index=True), schema=None)
    manager.add_column(
        table_class_name="AttendanceMark", tablename="attendance_mark", column_name="marked_by",
        db_column_name="marked_by", column_class_name="ForeignKey", column_class=ForeignKey,
        params={**_fk(User, OnDelete.set_null, null=True, index=False), "default": None}, schema=None)
    for name, choices in (("from_attendance", ATTENDANCE), ("to_attendance", ATTENDANCE), ("via", VIA)):
        manager.add_column(
            table_class_name="AttendanceMark", tablename="attendance_mark", column_name=name,
            db_column_name=name, column_class_name="Varchar", column_class=Varchar,
            params={"length": 8, "default": "", "null": False, "index": False, "choices": choices,
                    **_COMMON}, schema=None)
    manager.add_column(
        table_class_name="AttendanceMark", tablename="attendance_mark", column_name="marked_at",
        db_column_name="marked_at", column_class_name="Timestamptz", column_class=Timestamptz,
        params={"default": TimestamptzNow(), "null": False, "index": False, "choices": None, **_COMMON},
        schema=None)

    manager.add_column(
        table_class_name="Feedback", tablename="feedback", column_name="hidden_at",
        db_column_name="hidden_at", column_class_name="Timestamptz", column_class=Timestamptz,
        params={"default": None, "null": True, "index": False, "choices": None, **_COMMON}, schema=None)
    manager.add_column(
        table_class_name="Feedback", tablename="feedback", column_name="hidden_by",
        db_column_name="hidden_by", column_class_name="ForeignKey", column_class=ForeignKey,
        params={**_fk(User, OnDelete.set_null, null=True, index=False), "default": None}, schema=None)

    return manager
