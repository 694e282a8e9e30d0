"""outbox: the texts sent to a number, newest first (a reply acts on its number's last text)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-08T14:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox: texts by number"

INDEX = ("CREATE INDEX IF NOT EXISTS outbox_message_sms_to ON outbox_message (recipient_email, sent_at) "
         "WHERE channel = 'sms'")


async def create_index():
    await engine_finder().run_ddl(INDEX)


async def drop_index():
    await engine_finder().run_ddl("DROP INDEX IF EXISTS outbox_message_sms_to")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)
    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
