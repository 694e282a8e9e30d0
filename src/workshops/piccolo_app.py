import os

from piccolo.conf.apps import AppConfig

from workshops.tables import Recipe, Workshop, WorkshopSession

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="workshops",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Workshop, WorkshopSession, Recipe],
    migration_dependencies=["accounts.piccolo_app"],
    commands=[],
)
