"""The search text of the workshops that existed before `search_text`, folded once (and again
by a new migration like this one whenever `workshops.text.search_text` changes)."""
import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-08T12:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "fold the existing workshops' search text"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workshops", description=DESCRIPTION)

    async def fold_existing():
        from workshops.tables import Workshop
        from workshops.text import search_text

        rows = await Workshop.select(Workshop.id, Workshop.title, Workshop.summary, Workshop.description,
                                     Workshop.tags)
        for row in rows:
            tags = json.loads(row["tags"]) if isinstance(row["tags"], str) else row["tags"]
            folded = search_text(row["title"], row["summary"], row["description"], tags or [])
            await Workshop.update({Workshop.search_text: folded}).where(Workshop.id == row["id"])

    manager.add_raw(fold_existing)
    return manager
