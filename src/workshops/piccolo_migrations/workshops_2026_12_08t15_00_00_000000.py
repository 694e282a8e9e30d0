"""Recipes (issue 24): the `recipe` table (one per workshop, a snapshot of its text with the
materials, steps and licence, and the recipe it descends from) and `workshop.recipe_id` (the
recipe a workshop was copied from); the index `recipe_copied_from` serves the lineage walk."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-08T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "recipes: the recipe table and workshop.recipe_id"


class User(Table, tablename="app_user", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False,
                index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)


class Workshop(Table, tablename="workshop", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False,
                index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)


def _params(**given):
    return {"primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "db_column_name": None, "secret": False, "choices": None, "null": False, **given}


def _add(manager, table_class, tablename, name, column_class, **params):
    manager.add_column(table_class_name=table_class, tablename=tablename, column_name=name,
                       db_column_name=name, column_class_name=column_class.__name__,
                       column_class=column_class, params=_params(**params), schema=None)


def _foreign_key(manager, name, references, **params):
    manager.add_column(
        table_class_name="Recipe", tablename="recipe", column_name=name, db_column_name=name,
        column_class_name="ForeignKey", column_class=ForeignKey, schema=None,
        params=_params(references=references, on_delete=OnDelete.restrict, on_update=OnUpdate.cascade,
                       target_column=None, default=None, **params))


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workshops", description=DESCRIPTION)

    _add(manager, "Workshop", "workshop", "recipe_id", Integer, default=None, null=True, index=True)

    manager.add_table(class_name="Recipe", tablename="recipe", schema=None, columns=None)
    _foreign_key(manager, "workshop", Workshop, unique=True)
    _foreign_key(manager, "author", User, index=True)
    _add(manager, "Recipe", "recipe", "title", Varchar, length=200, default="")
    _add(manager, "Recipe", "recipe", "summary", Varchar, length=500, default="")
    _add(manager, "Recipe", "recipe", "category", Varchar, length=40, default="", index=True)
    _add(manager, "Recipe", "recipe", "materials", JSON, default="[]")
    _add(manager, "Recipe", "recipe", "steps", JSON, default="[]")
    _add(manager, "Recipe", "recipe", "duration_minutes", Integer, default=0)
    _add(manager, "Recipe", "recipe", "group_size", Integer, default=None, null=True)
    _add(manager, "Recipe", "recipe", "cost_note", Varchar, length=300, default="")
    _add(manager, "Recipe", "recipe", "licence", Varchar, length=16, default="")
    _add(manager, "Recipe", "recipe", "copied_from", Integer, default=None, null=True, index=True)
    _add(manager, "Recipe", "recipe", "created_at", Timestamptz, default=TimestamptzNow())
    _add(manager, "Recipe", "recipe", "updated_at", Timestamptz, default=TimestamptzNow())
    return manager
