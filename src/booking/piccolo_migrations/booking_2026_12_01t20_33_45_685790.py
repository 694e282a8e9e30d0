"""The status columns declare their enums (`choices=`): metadata only, no DDL."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar

ID = "2026-12-01T20:33:45:685790"
VERSION = "1.38.0"
DESCRIPTION = "status choices"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="booking", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Booking",
        tablename="booking",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "BookingStatus",
                {
                    "pending_payment": "pending_payment",
                    "confirmed": "confirmed",
                    "cancelled": "cancelled",
                    "expired": "expired",
                },
            )
        },
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Booking",
        tablename="booking",
        column_name="attendance",
        db_column_name="attendance",
        params={
            "choices": Enum(
                "Attendance",
                {
                    "unknown": "unknown",
                    "attended": "attended",
                    "no_show": "no_show",
                },
            )
        },
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WaitlistEntry",
        tablename="waitlist_entry",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "WaitlistStatus",
                {
                    "waiting": "waiting",
                    "offered": "offered",
                    "booked": "booked",
                    "expired": "expired",
                    "withdrawn": "withdrawn",
                },
            )
        },
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
