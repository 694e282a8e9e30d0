"""The listing by session: its first pages walk the scheduled sessions from now in start order
(status, starts_at) and take each that is its workshop's next one, so the page is found without
seeking every published workshop's next session (see `repository.listing_page`)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "read-path index: scheduled sessions in start order, with their workshop"

INDEX = ('CREATE INDEX IF NOT EXISTS workshop_session_status_starts ON workshop_session '
         '(status, starts_at, "workshop", id)')


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workshops", description=DESCRIPTION)

    async def create_index():
        from workshops.tables import Workshop

        await Workshop.raw(INDEX)

    async def drop_index():
        from workshops.tables import Workshop

        await Workshop.raw("DROP INDEX IF EXISTS workshop_session_status_starts")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
