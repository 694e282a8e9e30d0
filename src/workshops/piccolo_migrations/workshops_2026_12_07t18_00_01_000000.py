"""The descriptions of the workshops that existed before `description_html`, rendered once."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T18:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "render the existing workshop descriptions"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workshops", description=DESCRIPTION)

    async def render_existing():
        from workshops.tables import Workshop
        from workshops.text import rendered_description

        rows = await Workshop.select(Workshop.id, Workshop.description).where(Workshop.description != "")
        for row in rows:
            await Workshop.update({Workshop.description_html: await rendered_description(row["description"])}).where(
                Workshop.id == row["id"])

    manager.add_raw(render_existing)
    return manager
