"""A workshop's description is rendered (Markdown → sanitised HTML) when it is saved and kept in
`description_html`; the pages read it instead of rendering on every view. Existing rows are
rendered by the next migration (Piccolo runs a migration's raw steps before its columns)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "workshop.description_html, rendered when saved"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workshops", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Workshop", tablename="workshop", column_name="description_html",
        db_column_name="description_html", column_class_name="Text", column_class=Text,
        params={"default": "", "null": False, "primary_key": False, "unique": False, "index": False,
                "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
                "secret": False},
        schema=None,
    )

    return manager
