"""Two OS processes book the same session on one database (SQLite file or PostgreSQL):
never oversold, and both processes exit cleanly (their writer threads stop)."""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from tests.factories import make_session, make_user
from tests.integration.booking.support import rows

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]


async def spawn(url: str, session_id: int, users: list[int]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.booking.race_process", url, str(session_id),
        str(users[0]), str(users[-1]), cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def test_two_processes_never_oversell(db, database_url):
    session = await make_session(capacity=40)
    users = [(await make_user())["id"] for _ in range(160)]
    halves = [users[:80], users[80:]]
    processes = [await spawn(database_url, session["id"], half) for half in halves]
    try:
        for process in processes:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
            assert line.strip() == b"ready", (line, await process.stderr.read())
        for process in processes:  # both are waiting: let them go together
            process.stdin.write(b"go\n")
            await process.stdin.drain()
        results = []
        for process in processes:
            out, err = await asyncio.wait_for(process.communicate(), timeout=60)
            assert process.returncode == 0, err.decode()[-2000:]
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert sum(r["booked"] for r in results) == 40
    assert sum(r["full"] for r in results) == 120
    booked = await rows("SELECT COUNT(*) AS n, COALESCE(SUM(seats), 0) AS seats FROM booking "
                        "WHERE \"session\" = {} AND status = 'confirmed'", session["id"])
    assert (int(booked[0]["n"]), int(booked[0]["seats"])) == (40, 40)
    outbox = await rows("SELECT COUNT(*) AS n FROM outbox_message")
    assert int(outbox[0]["n"]) == 40
