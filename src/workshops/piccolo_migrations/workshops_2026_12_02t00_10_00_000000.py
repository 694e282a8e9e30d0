"""Indexes of the read paths: a workshop's next scheduled session (listing order, summaries,
detail) is one seek in (workshop, status, starts_at); the community feed and the listing
filter published workshops of a community with (community, status)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T00:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "read-path indexes: next session per workshop, published workshops per community"

INDEXES = (
    ('CREATE INDEX IF NOT EXISTS workshop_session_workshop_status_starts ON workshop_session '
     '("workshop", status, starts_at, id)'),
    'CREATE INDEX IF NOT EXISTS workshop_community_status ON workshop ("community", status)',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workshops", description=DESCRIPTION)

    async def create_indexes():
        from workshops.tables import Workshop

        for statement in INDEXES:
            await Workshop.raw(statement)

    async def drop_indexes():
        from workshops.tables import Workshop

        for name in ("workshop_session_workshop_status_starts", "workshop_community_status"):
            await Workshop.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
