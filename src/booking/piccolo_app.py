import os

from piccolo.conf.apps import AppConfig

from booking.tables import (
    AttendanceMark, Booking, Feedback, IdempotencyKey, PaymentEvent, Refund, StandbyEntry, WaitlistEntry,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="booking",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Booking, IdempotencyKey, WaitlistEntry, Feedback, AttendanceMark, PaymentEvent, Refund,
                   StandbyEntry],
    migration_dependencies=["workshops.piccolo_app"],
    commands=[],
)
