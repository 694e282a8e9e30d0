"""A published workshop's edit that waits for moderation is kept beside the published version:
`revision` (the proposed content fields as JSON, "" when none), `revision_description_html`
(the proposed description, rendered when submitted) and `revision_submitted_at` (NULL when no
revision waits)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-08T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "workshop.revision, revision_description_html, revision_submitted_at: pending revisions"

_PARAMS = {"primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
           "choices": None, "db_column_name": None, "secret": False}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workshops", description=DESCRIPTION)
    for name in ("revision", "revision_description_html"):
        manager.add_column(
            table_class_name="Workshop", tablename="workshop", column_name=name, db_column_name=name,
            column_class_name="Text", column_class=Text,
            params={"default": "", "null": False, **_PARAMS}, schema=None,
        )
    manager.add_column(
        table_class_name="Workshop", tablename="workshop", column_name="revision_submitted_at",
        db_column_name="revision_submitted_at", column_class_name="Timestamptz", column_class=Timestamptz,
        params={"default": None, "null": True, **_PARAMS}, schema=None,
    )
    return manager
