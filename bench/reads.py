"""Read benchmark: the hot reads (and the booking POST) of the real server, each compared with
the same server's /health in the same run, then listing and session reads over a city.

    .venv/bin/python bench/reads.py                        # SQLite files in a temporary directory
    .venv/bin/python bench/reads.py --database-url postgresql://alveole:alveole@127.0.0.1:5432/alveole_bench
        (the PostgreSQL database is WIPED: its public schema is dropped and migrated again)
    options: --duration 3 --concurrency 32 --sizes 0.01,0.1,1 (fractions of the city; 1 is
             10,000 workshops, 100,000 sessions, 1,000,000 bookings, 20 communities)
             --hot-size 0.01 (the database of the hot-request table) --no-city

For each database it migrates, then builds the data with bulk inserts (`sqlite3.executemany`
in one transaction; asyncpg `COPY` on PostgreSQL), starts `alveole serve --no-worker` (one
uvicorn process, ALVEOLE_RATE_LIMITS=off) on a free loopback port and drives it with wrk (a Lua
script per request: bearer tokens, If-None-Match). The first table has, per request, req/s,
p50/p99 and the ratio to /health (measured before and after in the same server, the mean of
the two), and the server's CPU time per request (steadier than throughput on a shared
machine). The city table has, per size, the listing (20 per page) and a session read with ONE
client (latency percentiles) and with `--concurrency` clients (rate), and the server's RSS at
the end; the listing's server CPU time per request with one client is the steadiest figure of
how its cost grows with the size. Overbooking is recounted from the rows after the booking run
(must be 0).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import importlib.util
import json
import os
import random
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "bench")]

from support import reset_postgres  # noqa: E402

import alveole  # noqa: E402,F401 - the composition root names the Piccolo configuration
from kernel import db as dbmod  # noqa: E402

# bench/booking.py: its wrk scripts and helpers (loaded by path: `booking` is also a package)
_spec = importlib.util.spec_from_file_location("bench_booking", ROOT / "bench" / "booking.py")
bench_booking = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_booking)
run_wrk, cpu_seconds, free_port, wait_ready = (bench_booking.run_wrk, bench_booking.cpu_seconds,
                                               bench_booking.free_port, bench_booking.wait_ready)
REPORT_LUA, BOOKING_LUA = bench_booking.REPORT_LUA, bench_booking.BOOKING_LUA

UTC = dt.timezone.utc
CITY = {"workshops": 10_000, "sessions_per_workshop": 10, "bookings_per_session": 10, "communities": 20,
        "users": 20_000}
BENCH_USERS = 64  # users with bearer tokens (and bookings), one per connection at most

GET_LUA = """
local headers = {}
local paths = {}
threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  if args[2] and args[2] ~= "" then headers["Authorization"] = "Bearer " .. args[2] end
  if args[3] and args[3] ~= "" then headers["If-None-Match"] = args[3] end
  statuses = {}
  counter = 0
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1], headers)
end
function response(status, hdrs, body)
  statuses[status] = (statuses[status] or 0) + 1
end
"""


# ------------------------------------------------------------------------------- the data

def _sqlite_value(value):
    if isinstance(value, dt.datetime):
        return str(value.astimezone(UTC))  # Piccolo's Timestamptz text form
    return value


class Loader:
    """Bulk inserts: one transaction of executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith("postgres")

    async def __aenter__(self) -> Loader:
        if self.postgres:
            import asyncpg

            self.pg = await asyncpg.connect(self.url)
        else:
            self.lite = sqlite3.connect(dbmod.sqlite_path_from_url(self.url), isolation_level=None)
            self.lite.execute("PRAGMA synchronous=OFF")
            self.lite.execute("BEGIN")
        return self

    async def __aexit__(self, *exc) -> None:
        if self.postgres:
            await self.pg.execute("ANALYZE")
            await self.pg.close()
        else:
            self.lite.execute("COMMIT")
            self.lite.execute("ANALYZE")
            self.lite.close()

    async def columns(self, table: str) -> set[str]:
        if self.postgres:
            rows = await self.pg.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = $1",
                                       table)
            return {r["column_name"] for r in rows}
        return {r[1] for r in self.lite.execute(f'PRAGMA table_info("{table}")')}

    async def insert(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.postgres:
            await self.pg.copy_records_to_table(table, records=rows, columns=columns)
            return
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        self.lite.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})',
                              ([_sqlite_value(v) for v in row] for row in rows))

    async def ids(self, table: str) -> list[int]:
        if self.postgres:
            return [r["id"] for r in await self.pg.fetch(f'SELECT id FROM "{table}" ORDER BY id')]
        return [r[0] for r in self.lite.execute(f'SELECT id FROM "{table}" ORDER BY id')]


async def build(url: str, fraction: float, now: dt.datetime) -> dict:
    """A migrated database with `fraction` of the city; returns the ids and tokens the load needs."""
    if url.startswith("postgres"):
        await reset_postgres(url)
    database = await dbmod.connect(url)
    try:
        await dbmod.migrate(quiet=True)
    finally:
        await dbmod.disconnect(database)
    rng = random.Random(9)
    n_workshops = max(20, int(CITY["workshops"] * fraction))
    n_users = max(BENCH_USERS * 2, int(CITY["users"] * fraction))
    n_communities = max(1, int(CITY["communities"] * fraction))
    tokens = [secrets.token_urlsafe(32) for _ in range(BENCH_USERS)]
    async with Loader(url) as db:
        await db.insert("community", ["slug", "name", "timezone", "locale", "moderation", "created_at"],
                        [(f"city-{n}", f"Quarter {n}", "Europe/Paris", "fr", False, now) for n in range(n_communities)])
        communities = await db.ids("community")
        await db.insert("app_user", ["email", "display_name", "password_hash", "locale", "timezone", "bio", "skills",
                                     "is_admin", "calendar_token", "created_at", "email_verified_at"],
                        [(f"user{n}@example.org", f"User {n}", "", "fr", "Europe/Paris", "", "[]", False,
                          f"feed-{n}-{secrets.token_hex(8)}", now, now) for n in range(n_users)])
        users = await db.ids("app_user")
        await db.insert("auth_token", ["user", "token_hash", "created_at", "expires_at"],
                        [(users[n], hashlib.sha256(t.encode()).hexdigest(), now, now + dt.timedelta(days=30))
                         for n, t in enumerate(tokens)])
        hosts = users[BENCH_USERS:BENCH_USERS + max(10, n_users // 10)]
        categories = ["bike", "cooking", "sewing", "garden", "code", "music", "language", "craft"]
        workshop_rows = []
        for n in range(n_workshops):
            status = "published" if n % 10 else "draft"
            workshop_rows.append((
                communities[n % len(communities)], hosts[n % len(hosts)], f"Workshop {n}", f"Learn thing {n}",
                "A longer description. " * 8, categories[n % len(categories)], json.dumps([categories[n % 8], "city"]),
                "fr", "Maison de quartier", f"{n} rue de la Ville", 48.85 + (n % 100) / 1000, 2.35 + (n % 77) / 1000,
                "free", 0, "eur", 30, 4, True, "auto", 60, 24, status, "", now, now, now if status == "published" else None))
        await db.insert("workshop", [
            "community", "host", "title", "summary", "description", "category", "tags", "language", "venue_name",
            "venue_address", "venue_lat", "venue_lon", "payment", "price_cents", "currency", "capacity",
            "max_seats_per_booking", "waitlist_enabled", "waitlist_mode", "offer_ttl_minutes",
            "cancellation_deadline_hours", "status", "rejection_reason", "created_at", "updated_at", "published_at",
        ], workshop_rows)
        workshops = await db.ids("workshop")
        per = CITY["sessions_per_workshop"]
        session_rows = []
        for n, wid in enumerate(workshops):
            for k in range(per):
                # half a year back to half a year ahead, one every ~5 weeks per workshop
                start = now + dt.timedelta(days=-180 + k * 36 + n % 36, hours=n % 10)
                session_rows.append((wid, start, start + dt.timedelta(hours=2), "Europe/Paris", 60, "scheduled", 0, "",
                                     now, now))
        await db.insert("workshop_session", ["workshop", "starts_at", "ends_at", "timezone", "capacity", "status",
                                             "sequence", "cancel_reason", "created_at", "updated_at"], session_rows)
        sessions = await db.ids("workshop_session")
        booking_columns = await db.columns("booking")
        has_code = "checkin_code" in booking_columns
        columns = ["session", "user", "seats", "status", "active_slot", "created_at", "updated_at"]
        columns += ["checkin_code"] if has_code else []
        per_session = CITY["bookings_per_session"]
        rows = []
        for n, sid in enumerate(sessions):
            base = rng.randrange(len(users))
            for k in range(per_session):
                uid = users[(base + k * 7919) % len(users)]
                confirmed = (n + k) % 10 != 0
                row = (sid, uid, 1, "confirmed" if confirmed else "cancelled",
                       f"{sid}:{uid}" if confirmed else None, now, now)
                rows.append(row + ((secrets.token_hex(8),) if has_code else ()))
            if len(rows) >= 100_000:
                await db.insert("booking", columns, rows)
                rows = []
        await db.insert("booking", columns, rows)
        # the bench users' own bookings (me/bookings, the personal feed): 20 upcoming each
        upcoming = [sid for sid, row in zip(sessions, session_rows) if row[1] > now + dt.timedelta(days=1)]
        mine = []
        for n in range(BENCH_USERS):
            for sid in rng.sample(upcoming, min(20, len(upcoming))):
                row = (sid, users[n], 1, "confirmed", f"{sid}:{users[n]}:bench", now, now)
                mine.append(row + ((secrets.token_hex(8),) if has_code else ()))
        await db.insert("booking", columns, mine)
        published = [wid for n, wid in enumerate(workshops) if n % 10]
        public = set(published)
        # sessions of published workshops at least two days ahead (bookable; session reads)
        roomy = [sid for sid, row in zip(sessions, session_rows)
                 if row[0] in public and row[1] > now + dt.timedelta(days=2)]
    return {"tokens": tokens, "workshops": published, "sessions": roomy, "communities": communities,
            "feed_tokens": [], "counts": {"workshops": len(workshops), "sessions": len(sessions),
                                          "bookings": len(sessions) * per_session + len(mine),
                                          "communities": len(communities)}}


async def feed_tokens(url: str, count: int) -> list[str]:
    database = await dbmod.connect(url)
    try:
        from accounts.tables import User

        rows = await User.select(User.calendar_token).order_by(User.id).limit(count)
        return [r["calendar_token"] for r in rows]
    finally:
        await dbmod.disconnect(database)


async def overbooked(url: str) -> int:
    database = await dbmod.connect(url)
    try:
        from booking.tables import Booking

        over = await Booking.raw(
            "SELECT s.id FROM workshop_session s JOIN booking b ON b.\"session\" = s.id "
            "AND b.status IN ('confirmed', 'pending_payment') GROUP BY s.id, s.capacity "
            "HAVING SUM(b.seats) > s.capacity")
        return len(over)
    finally:
        await dbmod.disconnect(database)


# ------------------------------------------------------------------------------- the load

def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    def __init__(self, url: str, workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "ALVEOLE_DATABASE_URL": url, "ALVEOLE_RATE_LIMITS": "off",
               "ALVEOLE_MAIL_DIR": str(workdir / "mail"), "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "alveole.cli", "serve", "--port", str(self.port), "--no-worker"],
            env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_ready(self.base, self.process)
        self.workdir = workdir

    def get(self, name: str, paths: list[str], duration: int, concurrency: int, token: str = "",
            if_none_match: str = "") -> dict:
        paths_file = self.workdir / f"{name}.paths"
        paths_file.write_text("\n".join(paths) + "\n")
        script = self.workdir / "get.lua"
        script.write_text(GET_LUA + REPORT_LUA)
        before = cpu_seconds(self.process.pid)
        result = run_wrk(script, self.base + paths[0], [str(paths_file), token, if_none_match], duration, concurrency)
        result["cpu_us"] = (cpu_seconds(self.process.pid) - before) / max(1, result["requests"]) * 1e6
        result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
        return result

    def book(self, tokens: list[str], sessions: list[int], duration: int, concurrency: int) -> dict:
        tokens_file, sessions_file = self.workdir / "tokens.txt", self.workdir / "sessions.txt"
        tokens_file.write_text("\n".join(tokens[:concurrency]) + "\n")
        sessions_file.write_text("\n".join(map(str, sessions[1:2001])) + "\n")
        script = self.workdir / "booking.lua"
        script.write_text(BOOKING_LUA + REPORT_LUA)
        before = cpu_seconds(self.process.pid)
        result = run_wrk(script, self.base, [str(tokens_file), str(sessions_file), str(sessions[0]), "1"],
                         duration, concurrency)
        result["cpu_us"] = (cpu_seconds(self.process.pid) - before) / max(1, result["requests"]) * 1e6
        result["rate"] = result["statuses"].get("201", 0) / (result["duration_us"] / 1e6)
        return result

    def header(self, path: str, name: str, token: str = "") -> str:
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.get(self.base + path, headers=headers, timeout=30)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response.headers.get(name, "")

    def stop(self) -> float:
        rss = rss_mb(self.process.pid)
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            print("warning: the server did not exit within 30 s of SIGINT", file=sys.stderr)
        return rss


def hot_table(url: str, data: dict, workdir: Path, args: argparse.Namespace) -> tuple[list[str], float, int]:
    server = Server(url, workdir)
    d, c = args.duration, args.concurrency
    token = data["tokens"][0]
    w, s = data["workshops"][:50], data["sessions"][:50]
    slug = "city-0"
    feed = data["feed_tokens"][0]
    community_etag = server.header(f"/api/v1/communities/{slug}/calendar.ics", "etag")
    feed_etag = server.header(f"/calendar/{feed}/feed.ics", "etag")
    listing_etag = server.header("/api/v1/workshops?community=city-0&limit=20", "etag")
    requests = [
        ("GET /api/v1/workshops?community=city-0&limit=20", lambda: server.get("listing", ["/api/v1/workshops?community=city-0&limit=20"], d, c)),
        ("  … with If-None-Match (304)", lambda: server.get("listing304", ["/api/v1/workshops?community=city-0&limit=20"], d, c,
                                                           if_none_match=listing_etag)),
        ("GET /api/v1/workshops/{id}", lambda: server.get("detail", [f"/api/v1/workshops/{i}" for i in w], d, c)),
        ("GET /api/v1/sessions/{id}", lambda: server.get("session", [f"/api/v1/sessions/{i}" for i in s], d, c)),
        ("GET /api/v1/communities", lambda: server.get("communities", ["/api/v1/communities"], d, c)),
        ("GET /api/v1/me (bearer)", lambda: server.get("me", ["/api/v1/me"], d, c, token=token)),
        ("GET /api/v1/me/bookings (bearer)", lambda: server.get("mine", ["/api/v1/me/bookings"], d, c, token=token)),
        ("GET /communities/…/calendar.ics", lambda: server.get("cfeed", [f"/api/v1/communities/{slug}/calendar.ics"],
                                                               d, c)),
        ("  … with If-None-Match (304)", lambda: server.get("cfeed304", [f"/api/v1/communities/{slug}/calendar.ics"],
                                                           d, c, if_none_match=community_etag)),
        ("GET /calendar/…/feed.ics (personal)", lambda: server.get("pfeed", [f"/calendar/{feed}/feed.ics"], d, c)),
        ("  … with If-None-Match (304)", lambda: server.get("pfeed304", [f"/calendar/{feed}/feed.ics"], d, c,
                                                           if_none_match=feed_etag)),
        ("POST /api/v1/sessions/{id}/bookings", lambda: server.book(data["tokens"], data["sessions"], d, c)),
    ]
    try:
        health = [server.get("health", ["/health"], d, c)]
        results = [(name, run()) for name, run in requests]
        health.append(server.get("health", ["/health"], d, c))
    finally:
        rss = server.stop()
    health_rate = sum(h["rate"] for h in health) / len(health)
    health_cpu = sum(h["cpu_us"] for h in health) / len(health)
    lines = [f"| `/health` | {health[0]['rate']:,.0f} → {health[1]['rate']:,.0f} | "
             f"{health[0]['p50'] / 1000:.1f} / {health[0]['p99'] / 1000:.1f} | 1 | {health_cpu:.0f} | |"]
    for name, r in results:
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items()))
        lines.append(f"| {name} | {r['rate']:,.0f} | {r['p50'] / 1000:.1f} / {r['p99'] / 1000:.1f} | "
                     f"{r['rate'] / health_rate:.2f} | {r['cpu_us']:.0f} | {codes} |")
    return lines, rss, asyncio.run(overbooked(url))


def city_row(url: str, data: dict, workdir: Path, args: argparse.Namespace) -> str:
    server = Server(url, workdir)
    d, c = args.duration, args.concurrency
    pages = [f"/api/v1/workshops?limit=20&offset={20 * k}" for k in range(5)]
    sessions = [f"/api/v1/sessions/{i}" for i in data["sessions"][::max(1, len(data["sessions"]) // 200)]]
    try:
        one = server.get("city-listing-1", pages, d, 1)
        many = server.get("city-listing-c", pages, d, c)
        s_one = server.get("city-session-1", sessions, d, 1)
        health = server.get("health", ["/health"], d, c)
    finally:
        rss = server.stop()
    counts = data["counts"]
    return (f"| {counts['workshops']:,} / {counts['sessions']:,} / {counts['bookings']:,} / {counts['communities']} | "
            f"{one['p50'] / 1000:.1f} / {one['p95'] / 1000:.1f} / {one['p99'] / 1000:.1f} | {one['cpu_us']:,.0f} "
            f"| {many['rate']:,.0f} "
            f"({many['rate'] / health['rate']:.2f}) | {s_one['p50'] / 1000:.1f} / {s_one['p95'] / 1000:.1f} | "
            f"{health['rate']:,.0f} | {rss:.0f} MB |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: fresh SQLite files in a temporary directory")
    parser.add_argument("--duration", type=int, default=3, help="seconds of each wrk run")
    parser.add_argument("--concurrency", type=int, default=32, help="open connections")
    parser.add_argument("--hot-size", type=float, default=0.01, help="fraction of the city for the first table")
    parser.add_argument("--sizes", default="0.01,0.1,1", help="fractions of the city for the second table")
    parser.add_argument("--no-city", action="store_true", help="only the first table")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed (apt-get install wrk)", file=sys.stderr)
        return 2
    now = dt.datetime.now(UTC).replace(microsecond=0)
    kind = "PostgreSQL" if args.database_url else "SQLite file"
    print(f"machine: {os.cpu_count()} cores; database: {kind}; server: 1 uvicorn process; "
          f"wrk -t1 -c{args.concurrency} -d{args.duration}s; {dt.date.today()}")
    status = 0
    workdir = Path(tempfile.mkdtemp(prefix="alveole-reads-"))
    try:
        url = args.database_url or f"sqlite:///{workdir / 'hot.db'}"
        began = time.perf_counter()
        data = asyncio.run(build(url, args.hot_size, now))
        data["feed_tokens"] = asyncio.run(feed_tokens(url, 4))
        print(f"\nhot requests over {data['counts']} (built in {time.perf_counter() - began:.1f} s)\n")
        lines, rss, over = hot_table(url, data, workdir, args)
        print("| request | req/s | p50 / p99 ms | × /health | server µs/request | statuses |")
        print("|---|---|---|---|---|---|")
        print("\n".join(lines))
        print(f"\nserver RSS after the run: {rss:.0f} MB; overbooked sessions: {over}")
        status |= 1 if over else 0
        if not args.no_city:
            print("\n| workshops / sessions / bookings / communities | listing, 1 client: p50 / p95 / p99 ms "
                  f"| its server µs/request | listing req/s at -c{args.concurrency} (× /health) "
                  "| session, 1 client: p50 / p95 ms | /health req/s | RSS |")
            print("|---|---|---|---|---|---|---|")
            for size in [float(x) for x in args.sizes.split(",") if x.strip()]:
                city_url = args.database_url or f"sqlite:///{workdir / f'city-{size}.db'}"
                began = time.perf_counter()
                city = asyncio.run(build(city_url, size, now))
                built = time.perf_counter() - began
                print(city_row(city_url, city, workdir, args) + f" built in {built:.0f} s", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
