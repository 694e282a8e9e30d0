"""Indexes of the booking engine's hot queries: seats taken per session (index-only on
booking), the waitlist in FIFO order and its positions."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-25T22:35:27:997631"
VERSION = "1.38.0"
DESCRIPTION = "seat count and waitlist indexes"

INDEXES = (
    ('CREATE INDEX IF NOT EXISTS booking_session_status_seats ON booking ("session", status, '
     "hold_expires_at, seats)"),
    ('CREATE INDEX IF NOT EXISTS waitlist_entry_session_status_id ON waitlist_entry ("session", '
     "status, id)"),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="booking", description=DESCRIPTION)

    async def create_indexes():
        from booking.tables import Booking

        for statement in INDEXES:
            await Booking.raw(statement)

    async def drop_indexes():
        from booking.tables import Booking

        for name in ("booking_session_status_seats", "waitlist_entry_session_status_id"):
            await Booking.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
