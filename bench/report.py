"""Attendance report benchmark: one community with 1,000 sessions and 10,000 bookings (attendance
marks, early and late cancellations, expired holds, ratings, waitlist entries), then the report
over its default range (all of it) through the app, as JSON and as CSV.

    .venv/bin/python bench/report.py                 # a fresh SQLite file in a temporary directory
    .venv/bin/python bench/report.py --database-url postgresql://alveole:alveole@127.0.0.1:5432/alveole_bench
        (the PostgreSQL database is WIPED: its public schema is dropped and migrated again)
    options: --sessions 1000 --bookings 10000 --requests 50

The rows are written with multi-row INSERTs; the requests go through the whole app in-process
(httpx's ASGI transport: routing, authentication, the permission check, the aggregate
statement, encoding), one at a time. Prints p50/p95/max per format with the process's CPU time per
request (steadier than latency on a machine shared with other work), the time of the statement
alone, and its query plan; nothing is asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "bench")]

from support import insert_many, reset_postgres  # noqa: E402

import alveole  # noqa: E402,F401 - the composition root names the Piccolo configuration
from kernel import db as dbmod  # noqa: E402

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WORKSHOPS, HOSTS = 100, 20


async def seed(sessions: int, bookings: int, rng: random.Random) -> dict[str, int]:
    """Users (hosts, an organizer, participants), the community, its workshops and sessions
    spread over the year before and after T0, bookings, waitlist entries and feedback."""
    per_session = max(1, bookings // sessions)
    participants = max(per_session * 4, bookings // 3)  # most people book about three times
    users = 1 + HOSTS + participants
    await insert_many("app_user", ["email", "display_name", "password_hash", "locale", "timezone", "bio",
                                   "skills", "is_admin", "calendar_token", "created_at", "email_verified_at"],
                      [(f"u{i}@bench.invalid", f"User {i}", "", "fr", "Europe/Paris", "", "[]", False,
                        secrets.token_urlsafe(18), T0, T0) for i in range(users)])
    organizer = 1
    await insert_many("community", ["slug", "name", "timezone", "locale", "lat", "lon", "moderation", "created_at"],
                      [("bench", "Bench", "Europe/Paris", "fr", 48.85, 2.35, True, T0)])
    await insert_many("community_organizer", ["community", "user", "pair"], [(1, organizer, f"1:{organizer}")])
    capacity = per_session + 2
    await insert_many("workshop", ["community", "host", "title", "summary", "description", "category", "tags",
                                   "language", "venue_name", "venue_address", "venue_lat", "venue_lon",
                                   "payment", "price_cents", "currency", "capacity", "max_seats_per_booking",
                                   "waitlist_enabled", "waitlist_mode", "offer_ttl_minutes",
                                   "cancellation_deadline_hours", "status", "rejection_reason", "created_at",
                                   "updated_at", "published_at"],
                      [(1, 2 + w % HOSTS, f"Workshop {w}", "A summary", "", "craft", "[]", "fr", "Maison",
                        "1 rue de la Paix", 48.86, 2.35, "free", 0, "eur", capacity, 4, True, "auto", 60,
                        24, "published", "", T0, T0, T0) for w in range(WORKSHOPS)])
    step = dt.timedelta(days=720) / sessions
    starts = [T0 - dt.timedelta(days=360) + s * step for s in range(sessions)]
    await insert_many("workshop_session", ["workshop", "starts_at", "ends_at", "timezone", "capacity", "status",
                                           "sequence", "cancel_reason", "created_at", "updated_at"],
                      [(1 + s % WORKSHOPS, starts[s], starts[s] + dt.timedelta(hours=2), "Europe/Paris",
                        capacity, "cancelled" if s % 50 == 0 else "scheduled", 0, "", T0, T0)
                       for s in range(sessions)])
    rows, ratings, entries = [], [], []
    first_participant = 2 + HOSTS
    for s in range(sessions):
        past = starts[s] < T0
        people = rng.sample(range(participants), per_session + 2)
        for j, person in enumerate(people[:per_session]):
            user = first_participant + person
            roll = rng.random()
            status = ("cancelled" if s % 50 == 0 or roll < 0.12 else "expired" if roll < 0.15 else "confirmed")
            attendance = "unknown"
            if status == "confirmed" and past:
                mark = rng.random()
                attendance = "attended" if mark < 0.8 else "no_show" if mark < 0.9 else "unknown"
            rows.append((1 + s, user, 1 + (j % 3 == 0), status, attendance, 0, "eur",
                         status == "cancelled" and roll < 0.05, secrets.token_hex(8),
                         f"{1 + s}:{user}" if status == "confirmed" else None, T0, T0))
            if attendance == "attended" and rng.random() < 0.5:
                ratings.append((len(rows), rng.randint(1, 5), "", T0))  # booking ids follow insertion
        for k, person in enumerate(people[per_session:]):
            entries.append((1 + s, first_participant + person, 1, "booked" if k == 0 else "waiting", T0, T0))
    await insert_many("booking", ["session", "user", "seats", "status", "attendance", "amount_cents", "currency",
                                  "late_cancellation", "checkin_code", "active_slot", "created_at", "updated_at"],
                      rows)
    await insert_many("waitlist_entry", ["session", "user", "seats", "status", "created_at", "updated_at"], entries)
    await insert_many("feedback", ["booking", "rating", "comment", "created_at"], ratings)
    return {"users": users, "sessions": sessions, "bookings": len(rows), "waitlist_entries": len(entries),
            "ratings": len(ratings), "organizer": organizer}


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
            f"max {ordered[-1] * 1000:.1f} ms")


async def measure(url: str, organizer: int, requests: int) -> None:
    import httpx

    from accounts.auth import issue_token
    from alveole.app import create_app
    from booking import repository
    from booking.reports import report_range
    from kernel.clock import FrozenClock
    from kernel.settings import Settings
    from kernel.sql import fetch_all, is_postgres

    app = create_app(Settings(database_url=url, rate_limits=False), clock=FrozenClock(T0))
    async with app.lifespan():
        token = await issue_token(organizer, T0)
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.invalid") as client:
            for label, params in (("JSON", {}), ("CSV", {"format": "csv"})):
                path = "/api/v1/communities/bench/attendance"
                first = await client.get(path, params=params, headers=headers)
                assert first.status_code == 200, first.text
                times = []
                cpu = time.process_time()
                for _ in range(requests):
                    started = time.perf_counter()
                    response = await client.get(path, params=params, headers=headers)
                    times.append(time.perf_counter() - started)
                    assert response.status_code == 200
                cpu = (time.process_time() - cpu) / requests
                size = len(response.content)
                rows = len(response.json()["items"]) if label == "JSON" else response.text.count("\n") - 1
                print(f"  report as {label}: {rows} session rows, {size / 1024:.0f} KiB: {percentiles(times)}; "
                      f"CPU {cpu * 1000:.1f} ms per request (every thread of this process)")
            zone = dt.timezone.utc
            span = report_range(None, None, T0.date(), zone)
            for name, run, statement in (
                    ("the report's statement", repository.attendance_report, repository.ATTENDANCE_REPORT),):
                times = []
                for _ in range(requests):
                    started = time.perf_counter()
                    await run(1, span.starts_from, span.starts_before)
                    times.append(time.perf_counter() - started)
                print(f"  {name} alone: {percentiles(times)}")
                explain = "EXPLAIN " if is_postgres() else "EXPLAIN QUERY PLAN "
                plan = await fetch_all(statement.prefixed(explain), 1, span.starts_from, span.starts_before)
                lines = [str(r.get("detail") or r.get("QUERY PLAN")).strip() for r in plan]
                print("    plan: " + " | ".join(lines[:14]) + (" | …" if len(lines) > 14 else ""))


async def main_async(args: argparse.Namespace) -> None:
    if args.database_url:
        url = args.database_url
        await reset_postgres(url)
        label = "PostgreSQL"
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='alveole-report-')) / 'bench.db'}"
        label = "SQLite"
    database = await dbmod.connect(url)
    try:
        await dbmod.migrate(quiet=True)
        started = time.perf_counter()
        seeded = await seed(args.sessions, args.bookings, random.Random(7))
        organizer = seeded.pop("organizer")
        print(f"{label}: seeded {seeded} in {time.perf_counter() - started:.1f} s")
    finally:
        await dbmod.disconnect(database)
    await measure(url, organizer, args.requests)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per format")
    asyncio.run(main_async(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
