"""The booking write path (placeholder until the booking engine lands)."""
from __future__ import annotations

from alveole.runtime import Runtime


async def start_store(runtime: Runtime) -> None:
    return None


async def stop_store(runtime: Runtime) -> None:
    return None
