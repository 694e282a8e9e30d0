"""JSON API handlers of this package."""
from __future__ import annotations

ROUTES: list = []
