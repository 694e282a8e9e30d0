"""Piccolo configuration: the app registry, and the engine that `kernel.db.connect` installs.

`piccolo_conf.py` at the project root re-exports this module for Piccolo's own CLI.
"""
from __future__ import annotations

import os

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(
    apps=[
        "accounts.piccolo_app",
        "workshops.piccolo_app",
        "booking.piccolo_app",
        "notify.piccolo_app",
    ]
)


def _engine_from_env():
    from kernel.db import engine_for_url

    return engine_for_url(os.environ.get("ALVEOLE_DATABASE_URL") or "sqlite:///var/alveole.db")


DB = _engine_from_env()
