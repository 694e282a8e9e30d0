"""Data step: every existing session gets its short code, then codes are unique (an index). A migration of its own: Piccolo runs
a migration's raw steps before its new columns exist."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-08T13:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "short codes of existing sessions"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workshops", description=DESCRIPTION)

    async def give_codes():
        from workshops.rules import new_short_code
        from workshops.tables import WorkshopSession

        rows = await WorkshopSession.raw("SELECT id FROM workshop_session WHERE short_code IS NULL ORDER BY id")
        taken: set[str] = set()
        for row in rows:
            code = new_short_code()
            while code in taken:  # the column is new: only the codes given here can collide
                code = new_short_code()
            taken.add(code)
            await WorkshopSession.raw("UPDATE workshop_session SET short_code = {} WHERE id = {}", code, row["id"])
        await WorkshopSession.raw("CREATE UNIQUE INDEX IF NOT EXISTS workshop_session_short_code"
                                  " ON workshop_session (short_code)")

    manager.add_raw(give_codes)
    return manager
