"""A unit of background work that the worker runs on every pass."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel.runtime import Runtime


@dataclass(frozen=True)
class Job:
    """A named, idempotent unit of due work. `run` returns how many items it handled."""

    name: str
    run: Callable[[Runtime], Awaitable[int]]
