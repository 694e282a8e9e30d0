"""For Piccolo's own CLI (`piccolo migrations new <app> --auto`): the engine comes from ALVEOLE_DATABASE_URL."""
from alveole.piccolo_conf import APP_REGISTRY, DB  # noqa: F401
