"""Notifications benchmark: the reminder scan over 100 000 bookings, and outbox delivery to a
local SMTP server (aiosmtpd in a separate process, on loopback).

    .venv/bin/python bench/notify.py                      # a fresh SQLite file in a temp dir
    .venv/bin/python bench/notify.py --postgres postgresql://alveole:alveole@127.0.0.1:5432/alveole_bench
        (the PostgreSQL database is WIPED: its public schema is dropped and migrated again)

Prints what it measured; nothing is asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "bench")]

from support import insert_many, reset_postgres  # noqa: E402

from kernel import db as dbmod
from kernel.clock import FrozenClock
from kernel.events import BookingConfirmed
from kernel.runtime import Runtime
from kernel.settings import Settings
from kernel.sql import Sql, execute, fetch_all
from notify.mailers import SmtpMailer
from notify.notifier import OutboxNotifier
from notify.outbox import deliver_due, insert_rows
from notify.reminders import due_reminders
from notify.repository import DUE_REMINDERS
from notify.schemas import OutboxStatus
from notify.tables import OutboxMessage

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SMTP_SERVER = textwrap.dedent("""
    import asyncio, signal, sys
    from aiosmtpd.smtp import SMTP
    count = 0
    class Sink:
        async def handle_DATA(self, server, session, envelope):
            global count
            count += 1
            return "250 OK"
    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(Sink(), hostname="127.0.0.1", loop=loop),
                                          "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        print(count, flush=True)
    asyncio.run(main())
""")


async def seed(bookings: int, per_session: int, days: int) -> tuple[int, int]:
    """Users, one community, 100 workshops, sessions spread over `days`, `bookings` bookings."""
    users = max(per_session * 4, 20_000)
    sessions = bookings // per_session
    await insert_many("app_user", ["email", "display_name", "password_hash", "locale", "timezone", "bio",
                                   "skills", "is_admin", "calendar_token", "created_at", "email_verified_at"],
                      [(f"u{i}@bench.invalid", f"User {i}", "", "fr" if i % 3 else "en", "Europe/Paris", "",
                        "[]", False, secrets.token_urlsafe(18), T0, T0) for i in range(users)])
    await insert_many("community", ["slug", "name", "timezone", "locale", "lat", "lon", "moderation",
                                    "created_at"],
                      [("bench", "Bench", "Europe/Paris", "fr", 48.85, 2.35, True, T0)])
    await insert_many("workshop", ["community", "host", "title", "summary", "description", "category", "tags",
                                   "language", "venue_name", "venue_address", "venue_lat", "venue_lon",
                                   "payment", "price_cents", "currency", "capacity", "max_seats_per_booking",
                                   "waitlist_enabled", "waitlist_mode", "offer_ttl_minutes",
                                   "cancellation_deadline_hours", "status", "rejection_reason", "created_at",
                                   "updated_at"],
                      [(1, 1 + w, f"Workshop {w}", "A summary", "", "craft", "[]", "fr", "Maison",
                        "1 rue de la Paix", 48.86, 2.35, "free", 0, "eur", per_session * 2, 4, True, "auto", 60,
                        24, "published", "", T0, T0) for w in range(100)])
    step = dt.timedelta(days=days) / sessions
    await insert_many("workshop_session", ["workshop", "starts_at", "ends_at", "timezone", "capacity", "status",
                                           "sequence", "cancel_reason", "created_at", "updated_at"],
                      [(1 + s % 100, T0 + dt.timedelta(days=2) + s * step,
                        T0 + dt.timedelta(days=2, hours=2) + s * step, "Europe/Paris", per_session * 2,
                        "cancelled" if s % 50 == 0 else "scheduled", 0, "", T0, T0) for s in range(sessions)])
    rows = []
    for s in range(sessions):
        for j in range(per_session):
            user = 1 + (s * per_session + j) % users
            status = "cancelled" if j == 0 else "confirmed"
            rows.append((1 + s, user, 1, status, "unknown", 0, "eur", False, secrets.token_hex(8),
                         f"{1 + s}:{user}" if status == "confirmed" else None, T0, T0))
    await insert_many("booking", ["session", "user", "seats", "status", "attendance", "amount_cents", "currency",
                                  "late_cancellation", "checkin_code", "active_slot", "created_at", "updated_at"],
                      rows)
    return users, sessions


async def timed(coroutine_factory, repeat: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = await coroutine_factory()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


async def reminder_scan(settings: Settings, database: dbmod.Database) -> None:
    now = T0 + dt.timedelta(days=10)
    offsets = settings.reminder_offsets
    seconds, found = await timed(lambda: due_reminders(now, offsets))
    print(f"  reminder scan, {len(found)} due of the window (24 h + 2 h offsets): "
          f"{seconds * 1000:.1f} ms (median of 5)")
    start = time.perf_counter()
    inserted = await insert_rows(found, now)
    print(f"  writing them to the outbox: {inserted} rows in {(time.perf_counter() - start) * 1000:.0f} ms")
    seconds, again = await timed(lambda: due_reminders(now, offsets))
    print(f"  the same scan once they are all in the outbox (every later poll): {len(again)} due, "
          f"{seconds * 1000:.1f} ms")
    later = now + dt.timedelta(minutes=5)
    seconds, nxt = await timed(lambda: due_reminders(later, offsets))
    print(f"  five minutes later: {len(nxt)} newly due, {seconds * 1000:.1f} ms")
    explain = "EXPLAIN QUERY PLAN " if database.is_sqlite else "EXPLAIN "
    plan = await fetch_all(DUE_REMINDERS.prefixed(explain), now, now + dt.timedelta(hours=2), "7200")
    print("  plan: " + " | ".join(str(r.get("detail") or r.get("QUERY PLAN")).strip() for r in plan))


async def delivery(settings: Settings, database: dbmod.Database, messages: int) -> None:
    server = subprocess.Popen([sys.executable, "-c", SMTP_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        clock = FrozenClock(T0)
        runtime = Runtime(settings=settings, clock=clock, notifier=OutboxNotifier(),
                          mailer=SmtpMailer(f"smtp://127.0.0.1:{port}", timeout=10), database=database)
        bookings = await fetch_all(Sql(
            "SELECT id, \"session\", \"user\" FROM booking WHERE status = 'confirmed' ORDER BY id LIMIT ?1"),
            messages)
        events = [BookingConfirmed(at=T0, booking_id=b["id"], session_id=b["session"], user_id=b["user"])
                  for b in bookings]
        await OutboxMessage.delete(force=True)
        await insert_rows(runtime.notifier.outbox_rows(events), T0)
        start = time.perf_counter()
        handled = 0
        while True:
            done = await deliver_due(runtime)
            if not done:
                break
            handled += done
        seconds = time.perf_counter() - start
        sent = await OutboxMessage.count().where(OutboxMessage.status == OutboxStatus.sent)
        print(f"  {handled} booking_confirmed emails (rendered in the recipient's language, with an "
              f"invite.ics) in {seconds:.2f} s: {handled / seconds:.0f} messages/s; {sent} marked sent")
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=10)
    print(f"  the SMTP server counted {out.strip()} messages")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", help="a PostgreSQL URL to use (WIPED) instead of a temp SQLite file")
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            url = args.postgres
            await reset_postgres(url)
        else:
            url = f"sqlite:///{tmp}/bench.db"
        settings = Settings(database_url=url, mail_dir=Path(tmp) / "mail", base_url="http://bench.invalid")
        database = await dbmod.connect(url)
        try:
            await dbmod.migrate(quiet=True)
            start = time.perf_counter()
            users, sessions = await seed(args.bookings, per_session=10, days=60)
            if not database.is_sqlite:
                await execute(Sql("ANALYZE"))
            print(f"{'PostgreSQL' if not database.is_sqlite else 'SQLite'}: {args.bookings} bookings "
                  f"({sessions} sessions over 60 days, {users} users) seeded in {time.perf_counter() - start:.1f} s")
            print("Reminder scan:")
            await reminder_scan(settings, database)
            print("Outbox delivery to aiosmtpd (separate process, loopback):")
            await delivery(settings, database, args.messages)
        finally:
            await dbmod.disconnect(database)


if __name__ == "__main__":
    os.environ.setdefault("PICCOLO_CONF", "alveole.piccolo_conf")
    asyncio.run(main())
