"""Row ids: positive 32-bit serials; anything beyond names nothing (404, never a driver error)."""
from __future__ import annotations

MAX_ID = 2**31 - 1


def is_id(value: object) -> bool:
    """Whether `value` can name a row."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
