"""Text messages: `outbox_message.channel` (email | sms), the index a reply looks up its number's
last text with, and `sms_inbound` (replies acted on, by MessageSid)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-08T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox channel, inbound texts"


def _params(**given):
    return {"primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "db_column_name": None, "secret": False, "choices": None, "null": False, **given}


def _add(manager, table_class, tablename, name, column_class, **params):
    manager.add_column(table_class_name=table_class, tablename=tablename, column_name=name,
                       db_column_name=name, column_class_name=column_class.__name__,
                       column_class=column_class, params=_params(**params), schema=None)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)
    _add(manager, "OutboxMessage", "outbox_message", "channel", Varchar, length=8, default="email")
    manager.add_table(class_name="SmsInbound", tablename="sms_inbound", schema=None, columns=None)
    _add(manager, "SmsInbound", "sms_inbound", "message_sid", Varchar, length=64, default="", unique=True)
    _add(manager, "SmsInbound", "sms_inbound", "phone", Varchar, length=16, default="")
    _add(manager, "SmsInbound", "sms_inbound", "word", Varchar, length=16, default="")
    _add(manager, "SmsInbound", "sms_inbound", "received_at", Timestamptz, default=TimestamptzNow())
    return manager
