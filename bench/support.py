"""What both benchmarks need: a wiped PostgreSQL schema and fast multi-row inserts."""
from __future__ import annotations


async def reset_postgres(url: str) -> None:
    """Drop and re-create the public schema of the database at `url` (it is WIPED)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


async def insert_many(table: str, columns: list[str], rows: list[tuple], chunk: int = 400) -> None:
    """Insert `rows` in multi-row statements through Piccolo (placeholders for either back end)."""
    from booking.tables import Booking

    cols = ", ".join(f'"{c}"' for c in columns)
    one = "(" + ", ".join("{}" for _ in columns) + ")"
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        await Booking.raw(f"INSERT INTO {table} ({cols}) VALUES " + ", ".join([one] * len(part)),
                          *[v for row in part for v in row])
