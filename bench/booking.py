"""Booking benchmark: the real server under concurrent bookings, compared with its own /health.

    .venv/bin/python bench/booking.py                                   # a fresh SQLite file
    .venv/bin/python bench/booking.py --database-url postgresql://alveole:alveole@127.0.0.1:5432/alveole_bench
        (the PostgreSQL database is WIPED: its public schema is dropped and migrated again)
    options: --duration 10 --concurrency 32 --sessions 200 --users 2000 --hot-capacity 20
             --quotas (per-user quotas on: with --sessions 20 --users 2000 no user meets them)

It migrates the database, creates users, tokens and published sessions directly in it, starts
`alveole serve --no-worker` (one uvicorn process, ALVEOLE_RATE_LIMITS=off; the worker would
render and write the outbox's emails meanwhile) on a free loopback port, then drives it with wrk
(`apt-get install wrk`; a Lua script): one participant per connection books one seat in each
session in turn, and one request in ten goes to one hot session with far more bookers than
seats. Then it measures GET /health the same way and prints bookings/s, latency percentiles,
the overbooking recomputed from the database (must be 0), /health req/s, the ratio of confirmed
bookings/s to /health req/s, and the server's CPU time per request of each kind (a steadier
figure than throughput on a machine shared with other work). Without wrk a separate Python
process (httpx) generates the load, but it saturates long before the server does: its numbers
say little.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
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
HOT_EVERY = 10  # one request in ten books the hot session

BOOKING_LUA = """
local tokens, sessions = {}, {}
statuses = {}  -- a global: done() reads it from every thread
local hot, counter, step
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  for line in io.lines(args[2]) do sessions[#sessions + 1] = line end
  hot, step, counter = args[3], tonumber(args[4]), id
end

function request()
  local k = counter
  counter = counter + step
  local sid, user
  if k % %(hot_every)d == %(hot_every)d - 1 then
    sid, user = hot, math.floor(k / %(hot_every)d) %% #tokens
  else
    -- a new (participant, session) pair each time: consecutive requests spread over sessions
    local j = k - math.floor(k / %(hot_every)d)
    sid, user = sessions[(j %% #sessions) + 1], math.floor(j / #sessions) %% #tokens
  end
  return wrk.format("POST", "/api/v1/sessions/" .. sid .. "/bookings",
    {["Authorization"] = "Bearer " .. tokens[user + 1], ["Content-Type"] = "application/json"},
    '{"seats":1}')
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
""".replace("%(hot_every)d", str(HOT_EVERY)).replace("%%", "%")

REPORT_LUA = """
function done(summary, latency, requests)
  local parts = {}
  for _, t in ipairs(threads or {}) do
    local st = t:get("statuses")
    if st then
      for code, n in pairs(st) do parts[code] = (parts[code] or 0) + n end
    end
  end
  local codes = {}
  for code, n in pairs(parts) do codes[#codes + 1] = string.format('"%d": %d', code, n) end
  io.write(string.format('RESULT {"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, ' ..
    '"socket_errors": %d, "non_2xx": %d, "statuses": {%s}}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, table.concat(codes, ", ")))
end
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), to compare costs per request
    even when other programs share the machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------- the data

async def seed(url: str, users: int, sessions: int, hot_capacity: int) -> tuple[list[str], list[int], int]:
    """Users with tokens, one published workshop, many roomy sessions and one hot one."""
    if url.startswith("postgres"):
        await reset_postgres(url)
    database = await dbmod.connect(url)
    try:
        await dbmod.migrate(quiet=True)
        from booking.tables import Booking

        now = dt.datetime.now(UTC)
        tokens = [secrets.token_urlsafe(32) for _ in range(users + 1)]
        await insert_many("app_user", ["email", "display_name", "password_hash", "locale", "timezone", "bio",
                                        "skills", "is_admin", "created_at", "email_verified_at"],
                          [(f"bench{n}@example.org", f"Bench {n}", "", "en", "UTC", "", "[]", False, now, now)
                           for n in range(users + 1)])
        ids = [r["id"] for r in await Booking.raw("SELECT id FROM app_user ORDER BY id")]
        await insert_many("auth_token", ["user", "token_hash", "created_at", "expires_at"],
                          [(uid, hashlib.sha256(t.encode()).hexdigest(), now, now + dt.timedelta(days=30))
                           for uid, t in zip(ids, tokens)])
        await insert_many("community", ["slug", "name", "timezone", "locale", "moderation", "created_at"],
                          [("bench", "Bench", "UTC", "en", False, now)])
        community = (await Booking.raw("SELECT id FROM community"))[0]["id"]
        await insert_many("workshop", [
            "community", "host", "title", "summary", "description", "category", "tags", "language",
            "venue_name", "venue_address", "payment", "price_cents", "currency", "capacity",
            "max_seats_per_booking", "waitlist_enabled", "waitlist_mode", "offer_ttl_minutes",
            "cancellation_deadline_hours", "status", "rejection_reason", "created_at", "updated_at", "published_at",
        ], [(community, ids[0], "Bench", "Bench", "", "bench", "[]", "en", "Hall", "1 Road", "free", 0, "eur",
             users, 4, True, "auto", 60, 24, "published", "", now, now, now)])
        workshop = (await Booking.raw("SELECT id FROM workshop"))[0]["id"]
        starts = now + dt.timedelta(days=30)
        await insert_many("workshop_session", ["workshop", "starts_at", "ends_at", "timezone", "capacity", "status",
                                               "sequence", "cancel_reason", "created_at", "updated_at"],
                          [(workshop, starts, starts + dt.timedelta(hours=2), "UTC",
                            hot_capacity if n == 0 else users + 10, "scheduled", 0, "", now, now)
                           for n in range(sessions + 1)])
        session_ids = [r["id"] for r in await Booking.raw("SELECT id FROM workshop_session ORDER BY id")]
        return tokens[1:], session_ids[1:], session_ids[0]
    finally:
        await dbmod.disconnect(database)


async def check(url: str) -> dict[str, int]:
    """Recount from the rows: sessions over capacity, seats over, bookings made, outbox rows."""
    database = await dbmod.connect(url)
    try:
        from booking.tables import Booking

        over = await Booking.raw(
            "SELECT s.id, s.capacity, SUM(b.seats) AS taken FROM workshop_session s JOIN booking b "
            "ON b.\"session\" = s.id AND b.status IN ('confirmed', 'pending_payment') "
            "GROUP BY s.id, s.capacity HAVING SUM(b.seats) > s.capacity")
        counts = await Booking.raw("SELECT COUNT(*) AS n FROM booking WHERE status = 'confirmed'")
        outbox = await Booking.raw("SELECT COUNT(*) AS n FROM outbox_message")
        hot = await Booking.raw("SELECT COALESCE(SUM(seats), 0) AS n FROM booking b JOIN workshop_session s "
                                "ON s.id = b.\"session\" WHERE s.id = (SELECT MIN(id) FROM workshop_session) "
                                "AND b.status = 'confirmed'")
        return {"overbooked_sessions": len(over),
                "seats_over": int(sum(int(r["taken"]) - r["capacity"] for r in over)),
                "confirmed_bookings": int(counts[0]["n"]), "outbox_rows": int(outbox[0]["n"]),
                "hot_session_seats": int(hot[0]["n"])}
    finally:
        await dbmod.disconnect(database)


# ------------------------------------------------------------------------------- the load

def run_wrk(script: Path, url: str, args: list[str], duration: int, concurrency: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{duration}s", "--timeout", "10s", "-s", str(script), url, "--", *args],
        capture_output=True, text=True, timeout=duration + 60)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"wrk said: {out.stdout}\n{out.stderr}")


def python_load(base: str, kind: str, tokens_file: str, sessions_file: str, hot: int, duration: int,
                concurrency: int) -> dict:
    """The fallback load generator, in a process of its own (so it does not share the server's core)."""
    out = subprocess.run([sys.executable, __file__, "--load", kind, base, tokens_file, sessions_file, str(hot),
                          str(duration), str(concurrency)], capture_output=True, text=True, timeout=duration + 60)
    return json.loads(out.stdout.strip().splitlines()[-1])


async def python_load_main(kind: str, base: str, tokens_file: str, sessions_file: str, hot: int, duration: int,
                           concurrency: int) -> None:
    import httpx

    tokens = Path(tokens_file).read_text().split()
    sessions = Path(sessions_file).read_text().split()
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    counter = iter(range(10**9))
    deadline = time.perf_counter() + duration

    def target(k: int) -> tuple[str, str]:
        if k % HOT_EVERY == HOT_EVERY - 1:
            return str(hot), tokens[(k // HOT_EVERY) % len(tokens)]
        j = k - k // HOT_EVERY
        return sessions[j % len(sessions)], tokens[(j // len(sessions)) % len(tokens)]

    async def participant(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            if kind == "health":
                response = await client.get("/health")
            else:
                sid, token = target(next(counter))
                response = await client.post(f"/api/v1/sessions/{sid}/bookings", json={"seats": 1},
                                             headers={"Authorization": f"Bearer {token}"})
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        began = time.perf_counter()
        await asyncio.gather(*[participant(client) for _ in range(concurrency)])
        elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> int:
        return int(latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1e6) if latencies else 0

    print(json.dumps({"requests": len(latencies), "duration_us": int(elapsed * 1e6), "p50": pct(0.5),
                      "p95": pct(0.95), "p99": pct(0.99), "socket_errors": 0,
                      "statuses": {str(k): v for k, v in statuses.items()}}))


# ------------------------------------------------------------------------------- the run

def wait_ready(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not answer /health in time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each load run")
    parser.add_argument("--concurrency", type=int, default=32, help="open connections")
    parser.add_argument("--sessions", type=int, default=2000, help="roomy sessions booked in turn")
    parser.add_argument("--users", type=int, default=None,
                        help="participants (default: one per connection; their tokens are then in the "
                             "server's auth cache, so the booking path is what is measured)")
    parser.add_argument("--hot-capacity", type=int, default=10, help="seats of the one hot session")
    parser.add_argument("--python-load", action="store_true", help="use the Python load process even if wrk exists")
    parser.add_argument("--quotas", action="store_true",
                        help="serve with ALVEOLE_RATE_LIMITS=on, so each booking also checks and counts the "
                             "user's quota; pair with few --sessions and many --users (each user books the "
                             "sessions in turn: keep --sessions under the hourly quota), e.g. "
                             "--quotas --sessions 20 --users 2000")
    args = parser.parse_args()

    args.users = args.users or args.concurrency
    workdir = Path(tempfile.mkdtemp(prefix="alveole-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    try:
        tokens, sessions, hot = asyncio.run(seed(url, args.users, args.sessions, args.hot_capacity))
        tokens_file, sessions_file = workdir / "tokens.txt", workdir / "sessions.txt"
        tokens_file.write_text("\n".join(tokens) + "\n")
        sessions_file.write_text("\n".join(map(str, sessions)) + "\n")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "ALVEOLE_DATABASE_URL": url, "ALVEOLE_RATE_LIMITS": "on" if args.quotas else "off",
               "ALVEOLE_MAIL_DIR": str(workdir / "mail"), "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
        server = subprocess.Popen([sys.executable, "-m", "alveole.cli", "serve", "--port", str(port), "--no-worker"],
                                  env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_ready(base, server)
            use_wrk = shutil.which("wrk") and not args.python_load
            cpu = [cpu_seconds(server.pid)]
            if use_wrk:
                booking_lua, health_lua = workdir / "booking.lua", workdir / "health.lua"
                booking_lua.write_text(BOOKING_LUA + REPORT_LUA)
                health_lua.write_text("threads = {}\n" + REPORT_LUA)
                booking = run_wrk(booking_lua, base, [str(tokens_file), str(sessions_file), str(hot), "1"],
                                  args.duration, args.concurrency)
                cpu.append(cpu_seconds(server.pid))
                health = run_wrk(health_lua, f"{base}/health", [], args.duration, args.concurrency)
            else:
                booking = python_load(base, "booking", str(tokens_file), str(sessions_file), hot, args.duration,
                                      args.concurrency)
                cpu.append(cpu_seconds(server.pid))
                health = python_load(base, "health", str(tokens_file), str(sessions_file), hot, args.duration,
                                     args.concurrency)
            cpu.append(cpu_seconds(server.pid))
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                print("warning: the server did not exit within 30 s of SIGINT", file=sys.stderr)
        counts = asyncio.run(check(url))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    seconds = booking["duration_us"] / 1e6
    created = booking["statuses"].get("201", 0)
    full = booking["statuses"].get("409", 0)
    health_rps = health["requests"] / (health["duration_us"] / 1e6)
    kind = "SQLite file" if url.startswith("sqlite") else "PostgreSQL"
    print(f"database          {kind}; server: 1 uvicorn process; load: {'wrk -t1' if use_wrk else 'Python process'}"
          f" -c{args.concurrency}, {args.duration} s per run")
    print(f"booking requests  {booking['requests']} ({booking['requests'] / seconds:.0f}/s); statuses "
          f"{dict(sorted(booking['statuses'].items()))}; socket errors {booking['socket_errors']}")
    print(f"bookings/s        {created / seconds:.0f} confirmed (201); {full / seconds:.0f}/s refused (409, "
          f"the hot session mostly)")
    print(f"latency           p50 {booking['p50'] / 1000:.1f} ms  p95 {booking['p95'] / 1000:.1f} ms  "
          f"p99 {booking['p99'] / 1000:.1f} ms")
    print(f"database check    overbooked sessions {counts['overbooked_sessions']} (seats over: "
          f"{counts['seats_over']}); confirmed rows {counts['confirmed_bookings']} vs 201s {created}; "
          f"hot session {counts['hot_session_seats']}/{args.hot_capacity} seats; outbox rows {counts['outbox_rows']}")
    print(f"/health           {health_rps:.0f} req/s (p99 {health['p99'] / 1000:.1f} ms)")
    booking_cpu = (cpu[1] - cpu[0]) / max(1, booking["requests"]) * 1e6
    health_cpu = (cpu[2] - cpu[1]) / max(1, health["requests"]) * 1e6
    print(f"server CPU        {booking_cpu:.0f} µs per booking request, {health_cpu:.0f} µs per /health "
          f"(ratio {health_cpu / booking_cpu:.2f}: what the throughput ratio tends to when the server "
          f"has a core to itself)")
    print(f"ratio             {created / seconds / health_rps:.2f} confirmed bookings/s per /health req/s "
          f"({booking['requests'] / seconds / health_rps:.2f} counting refusals)")
    # wrk stops counting at the deadline: up to `concurrency` bookings may be in flight then
    unexplained = not 0 <= counts["confirmed_bookings"] - created <= args.concurrency
    return 1 if counts["overbooked_sessions"] or unexplained else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        kind, base, tokens_file, sessions_file, hot, duration, concurrency = sys.argv[2:9]
        asyncio.run(python_load_main(kind, base, tokens_file, sessions_file, int(hot), int(duration),
                                     int(concurrency)))
        raise SystemExit(0)
    raise SystemExit(main())
