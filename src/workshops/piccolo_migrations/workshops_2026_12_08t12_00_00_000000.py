"""What the listing's `q` searches is kept with the workshop, folded (case and accents ignored:
workshops.text.search_text) when it is written, in `search_text`; existing rows are filled by
the next migration (Piccolo runs a migration's raw steps before its columns)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-08T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "workshop.search_text, folded when saved"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workshops", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Workshop", tablename="workshop", column_name="search_text",
        db_column_name="search_text", column_class_name="Text", column_class=Text,
        params={"default": "", "null": False, "primary_key": False, "unique": False, "index": False,
                "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
                "secret": False},
        schema=None,
    )

    return manager
