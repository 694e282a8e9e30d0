"""Data step: every account that existed before email verification counts as verified (since
its creation). A migration of its own: Piccolo runs a migration's raw steps before its new
columns exist."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T18:10:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "existing accounts count as verified"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def mark_existing_verified():
        from accounts.tables import User

        await User.raw("UPDATE app_user SET email_verified_at = created_at"
                       " WHERE email_verified_at IS NULL AND deleted_at IS NULL")

    manager.add_raw(mark_existing_verified)
    return manager
