from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T20:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox: stored random Message-ID; invite_sequence: the state of the last SEQUENCE"

_NULLABLE = {
    "default": None,
    "null": True,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="notify", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="OutboxMessage",
        tablename="outbox_message",
        column_name="message_id",
        db_column_name="message_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 200, **_NULLABLE},
        schema=None,
    )

    manager.add_column(
        table_class_name="InviteSequence",
        tablename="invite_sequence",
        column_name="method",
        db_column_name="method",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 8, **_NULLABLE},
        schema=None,
    )

    return manager
