"""Counting the SQL statements a piece of code sends (the read paths' constant query counts)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from kernel import sql


class Statements:
    def __init__(self) -> None:
        self.sent: list[str] = []

    @property
    def count(self) -> int:
        return len(self.sent)


@contextlib.contextmanager
def counting() -> Iterator[Statements]:
    """Every statement run on the bound engine meanwhile — Piccolo's queries and `kernel.sql`'s,
    on a pooled connection or in a transaction — by wrapping the engine's three entry points.
    (The booking store's own writer connection is not counted: reads never use it.)"""
    engine_class = type(sql.engine())  # patched on the class: PostgresEngine has __slots__
    seen = Statements()
    originals = {}
    for name in ("_run_in_new_connection", "_run_in_existing_connection", "_run_in_pool"):
        method = getattr(engine_class, name, None)
        if method is None:
            continue
        originals[name] = engine_class.__dict__.get(name)

        def wrapper(self, *args, _method=method, _name=name, **kwargs):
            query = kwargs.get("query")
            if query is None:
                query = args[1] if _name == "_run_in_existing_connection" else args[0]
            seen.sent.append(str(query))
            return _method(self, *args, **kwargs)

        setattr(engine_class, name, wrapper)
    try:
        yield seen
    finally:
        for name, original in originals.items():
            if original is None:
                delattr(engine_class, name)
            else:
                setattr(engine_class, name, original)
