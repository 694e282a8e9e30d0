import os

from piccolo.conf.apps import AppConfig

from notify.tables import InviteSequence, OutboxMessage, SmsInbound

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="notify",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[OutboxMessage, InviteSequence, SmsInbound],
    migration_dependencies=["booking.piccolo_app"],
    commands=[],
)
