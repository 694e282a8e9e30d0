"""Background jobs of this package, run by `alveole.worker`."""
from __future__ import annotations

from alveole.worker import Job

JOBS: list[Job] = []
