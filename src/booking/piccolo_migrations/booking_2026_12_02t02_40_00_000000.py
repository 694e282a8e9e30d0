"""Payments: webhook events seen (unique id), refund records, and what a booking got back."""
from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-02T02:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "payment events, refunds"


class Booking(Table, tablename="booking", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False,
                index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)


REFUND_STATUS = Enum("RefundStatus", {s: s for s in ("pending", "requested", "succeeded", "failed")})


def _params(**given):
    return {"primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "db_column_name": None, "secret": False, "choices": None, "null": False, **given}


def _add(manager, table_class, tablename, name, column_class, **params):
    manager.add_column(table_class_name=table_class, tablename=tablename, column_name=name,
                       db_column_name=name, column_class_name=column_class.__name__,
                       column_class=column_class, params=_params(**params), schema=None)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="booking", description=DESCRIPTION)

    _add(manager, "Booking", "booking", "refunded_cents", Integer, default=0)
    _add(manager, "Booking", "booking", "refund_status", Varchar, length=10, default=None, null=True)

    manager.add_table(class_name="PaymentEvent", tablename="payment_event", schema=None, columns=None)
    _add(manager, "PaymentEvent", "payment_event", "event_id", Varchar, length=255, default="", unique=True)
    _add(manager, "PaymentEvent", "payment_event", "type", Varchar, length=80, default="")
    _add(manager, "PaymentEvent", "payment_event", "booking", Integer, default=None, null=True)
    _add(manager, "PaymentEvent", "payment_event", "received_at", Timestamptz, default=TimestamptzNow())

    manager.add_table(class_name="Refund", tablename="refund", schema=None, columns=None)
    manager.add_column(
        table_class_name="Refund", tablename="refund", column_name="booking", db_column_name="booking",
        column_class_name="ForeignKey", column_class=ForeignKey, schema=None,
        params=_params(references=Booking, on_delete=OnDelete.restrict, on_update=OnUpdate.cascade,
                       target_column=None, null=True, index=True, default=None))
    _add(manager, "Refund", "refund", "amount_cents", Integer, default=0)
    _add(manager, "Refund", "refund", "currency", Varchar, length=3, default="")
    _add(manager, "Refund", "refund", "reason", Varchar, length=24, default="")
    _add(manager, "Refund", "refund", "started_by", Varchar, length=12, default="")
    _add(manager, "Refund", "refund", "status", Varchar, length=10, default="", choices=REFUND_STATUS)
    _add(manager, "Refund", "refund", "stripe_refund_id", Varchar, length=255, default=None, null=True,
         unique=True)
    _add(manager, "Refund", "refund", "attempts", Integer, default=0)
    _add(manager, "Refund", "refund", "next_attempt_at", Timestamptz, default=None, null=True, index=True)
    _add(manager, "Refund", "refund", "last_error", Text, default="")
    _add(manager, "Refund", "refund", "dedupe_key", Varchar, length=300, default="", unique=True)
    _add(manager, "Refund", "refund", "created_at", Timestamptz, default=TimestamptzNow())
    _add(manager, "Refund", "refund", "updated_at", Timestamptz, default=TimestamptzNow())
    return manager
