"""Alvéole: skill-sharing workshops for a neighbourhood. This package is the composition root
(bootstrap, app, CLI, worker loop, demo); nothing imports it."""
import os

# Piccolo finds the app registry (and the engine the bootstrap binds) here
os.environ.setdefault("PICCOLO_CONF", "alveole.piccolo_conf")
