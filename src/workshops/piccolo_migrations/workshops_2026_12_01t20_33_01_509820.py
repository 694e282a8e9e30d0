from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar

ID = "2026-12-01T20:33:01:509820"
VERSION = "1.38.0"
DESCRIPTION = "choices: WorkshopStatus, Payment, WaitlistMode, SessionStatus (no DDL)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="workshops", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Workshop",
        tablename="workshop",
        column_name="payment",
        db_column_name="payment",
        params={
            "choices": Enum(
                "Payment",
                {"FREE": "free", "ON_SITE": "on_site", "STRIPE": "stripe"},
            )
        },
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Workshop",
        tablename="workshop",
        column_name="waitlist_mode",
        db_column_name="waitlist_mode",
        params={
            "choices": Enum("WaitlistMode", {"AUTO": "auto", "OFFER": "offer"})
        },
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Workshop",
        tablename="workshop",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "WorkshopStatus",
                {
                    "DRAFT": "draft",
                    "SUBMITTED": "submitted",
                    "PUBLISHED": "published",
                    "REJECTED": "rejected",
                    "CANCELLED": "cancelled",
                    "ARCHIVED": "archived",
                },
            )
        },
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WorkshopSession",
        tablename="workshop_session",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "SessionStatus",
                {"SCHEDULED": "scheduled", "CANCELLED": "cancelled"},
            )
        },
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
