"""Mixed-traffic benchmark: browse 80 %, book 15 %, cancel and join a waitlist 5 %, against one
or more real server processes and a separate worker.

    .venv/bin/python bench/load.py                                   # a fresh SQLite file, 1 process
    .venv/bin/python bench/load.py --database-url postgresql://alveole:alveole@127.0.0.1:5432/alveole_bench \\
        --processes 2                (the PostgreSQL database is WIPED: schema dropped, migrated again)
    options: --duration 15 --concurrency 32 --sessions 200 --users 400 --load-processes 2

It seeds the database as bench/booking.py does (users with tokens, one published workshop, roomy
sessions and one hot session with few seats), starts `--processes` × `alveole serve --no-worker`
on free loopback ports and one `alveole worker` (it delivers the confirmations to `.eml` files
meanwhile), then `--load-processes` Python processes (httpx) open `--concurrency` connections in
all, spread evenly over the servers as a round-robin proxy would. Each connection loops: 80 %
browse (a session, a workshop with its sessions, the listing), 15 % book a seat in a roomy
session, 5 % cancel one of its bookings or join the hot session's waitlist. It prints
throughput, p50/p95/p99 per kind, every answer by status and every transport error by type, the
servers' and the worker's peak RSS, and recounts overbooking from the rows (must be 0). The
Python load generator saturates before a fast server does: compare runs made side by side.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "bench")]

KINDS = ("browse", "book", "cancel", "waitlist")


def _booking_bench():
    """bench/booking.py's seed, check and helpers (its name clashes with the `booking` package)."""
    spec = importlib.util.spec_from_file_location("bench_booking", ROOT / "bench" / "booking.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):  # the peak resident set
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# ------------------------------------------------------------------------------- the load

async def load_main(bases: list[str], tokens: list[str], sessions: list[int], hot: int, workshop: int,
                    duration: float, concurrency: int, seed: int) -> None:
    import httpx

    rng = random.Random(seed)
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    statuses: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + duration

    async def participant(n: int, client: httpx.AsyncClient) -> None:
        token = tokens[n % len(tokens)]
        headers = {"Authorization": f"Bearer {token}"}
        mine: list[int] = []
        while time.perf_counter() < deadline:
            roll = rng.random()
            if roll < 0.80:
                kind = "browse"
                pick = rng.random()
                path = (f"/api/v1/sessions/{rng.choice(sessions)}" if pick < 0.6
                        else f"/api/v1/workshops/{workshop}" if pick < 0.8 else "/api/v1/workshops")
                call = client.get(path)
            elif roll < 0.95:
                kind = "book"
                target = hot if rng.random() < 0.1 else rng.choice(sessions)  # the hot one fills fast
                call = client.post(f"/api/v1/sessions/{target}/bookings", json={"seats": 1}, headers=headers)
            elif mine and roll < 0.975:
                kind = "cancel"
                call = client.post(f"/api/v1/bookings/{mine.pop(rng.randrange(len(mine)))}/cancel",
                                   headers=headers)
            else:
                kind = "waitlist"
                call = client.post(f"/api/v1/sessions/{hot}/waitlist", json={"seats": 1}, headers=headers)
            started = time.perf_counter()
            try:
                response = await call
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            latencies[kind].append(time.perf_counter() - started)
            code = str(response.status_code)
            statuses[kind][code] = statuses[kind].get(code, 0) + 1
            if kind == "book" and response.status_code == 201:
                mine.append(response.json()["id"])

    clients = [httpx.AsyncClient(base_url=base, timeout=30,
                                 limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency))
               for base in bases]
    began = time.perf_counter()
    await asyncio.gather(*[participant(n, clients[n % len(clients)]) for n in range(concurrency)])
    elapsed = time.perf_counter() - began
    for client in clients:
        await client.aclose()
    print(json.dumps({"elapsed": elapsed, "latencies": latencies, "statuses": statuses, "errors": errors}))


# ------------------------------------------------------------------------------- the run

def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--processes", type=int, default=1, help="app server processes")
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=32, help="open connections in all")
    parser.add_argument("--load-processes", type=int, default=2, help="load generator processes")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--hot-capacity", type=int, default=5)
    parser.add_argument("--load", help=argparse.SUPPRESS)  # internal: run one load generator
    args = parser.parse_args()

    if args.load:
        spec = json.loads(args.load)
        asyncio.run(load_main(**spec))
        return 0

    bench = _booking_bench()
    workdir = Path(tempfile.mkdtemp(prefix="alveole-load-"))
    url = args.database_url or f"sqlite:///{workdir / 'load.db'}"
    tokens, sessions, hot = asyncio.run(bench.seed(url, args.users, args.sessions, args.hot_capacity))
    env = {**os.environ, "ALVEOLE_DATABASE_URL": url, "ALVEOLE_RATE_LIMITS": "off",
           "ALVEOLE_MAIL_DIR": str(workdir / "mail"), "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    env.pop("ALVEOLE_SMTP_URL", None)
    ports = [bench.free_port() for _ in range(args.processes)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    servers = [subprocess.Popen([sys.executable, "-m", "alveole.cli", "serve", "--port", str(port), "--no-worker"],
                                env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for port in ports]
    worker = subprocess.Popen([sys.executable, "-m", "alveole.cli", "worker"], env=env, cwd=workdir,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for base, server in zip(bases, servers):
            bench.wait_ready(base, server)
        workshop = 1
        per = max(1, args.concurrency // args.load_processes)
        loads = []
        for n in range(args.load_processes):
            spec = {"bases": bases, "tokens": tokens[n::args.load_processes], "sessions": sessions, "hot": hot,
                    "workshop": workshop, "duration": args.duration, "concurrency": per, "seed": n}
            loads.append(subprocess.Popen([sys.executable, __file__, "--load", json.dumps(spec)],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        cpu_before = [bench.cpu_seconds(s.pid) for s in servers]
        results = []
        for load in loads:
            out, err = load.communicate(timeout=args.duration + 120)
            if load.returncode != 0:
                raise RuntimeError(f"a load process failed: {err[-2000:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
        cpu = sum(bench.cpu_seconds(s.pid) - before for s, before in zip(servers, cpu_before))
        server_rss = [rss_kib(s.pid) for s in servers]
        worker_rss = rss_kib(worker.pid)
    finally:
        for process in [*servers, worker]:
            process.terminate()
        for process in [*servers, worker]:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
    exits = [process.returncode for process in [*servers, worker]]
    counts = asyncio.run(bench.check(url))

    elapsed = max(r["elapsed"] for r in results)
    latencies = {kind: [v for r in results for v in r["latencies"][kind]] for kind in KINDS}
    statuses: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
    errors: dict[str, int] = {}
    for r in results:
        for kind in KINDS:
            for code, n in r["statuses"][kind].items():
                statuses[kind][code] = statuses[kind].get(code, 0) + n
        for name, n in r["errors"].items():
            errors[name] = errors.get(name, 0) + n
    total = sum(len(v) for v in latencies.values())
    everything = [v for values in latencies.values() for v in values]
    load_avg = os.getloadavg()[0]
    print(f"database          {'PostgreSQL' if url.startswith('postgres') else 'SQLite'}; "
          f"{args.processes} server process(es) + 1 worker; {args.load_processes} Python load processes, "
          f"{args.concurrency} connections; {args.duration:g} s; load average {load_avg:.1f} on {os.cpu_count()} cores")
    print(f"requests          {total} in {elapsed:.1f} s = {total / elapsed:,.0f} req/s; "
          f"server CPU {cpu / max(total, 1) * 1e6:,.0f} µs per request")
    print(f"all               p50 {percentile(everything, .5):.1f} ms, p95 {percentile(everything, .95):.1f} ms, "
          f"p99 {percentile(everything, .99):.1f} ms")
    for kind in KINDS:
        values = latencies[kind]
        print(f"{kind:<17} {len(values):>6} ({len(values) / elapsed:,.0f}/s)  p50 {percentile(values, .5):.1f} / "
              f"p95 {percentile(values, .95):.1f} / p99 {percentile(values, .99):.1f} ms  answers {statuses[kind]}")
    print(f"transport errors  {errors or 'none'}")
    print(f"peak RSS          servers {', '.join(f'{kib / 1024:.0f} MB' for kib in server_rss)}; "
          f"worker {worker_rss / 1024:.0f} MB")
    print(f"exit codes        {exits} (SIGTERM: 0 is a clean drain)")
    print(f"from the rows     {counts}")
    return 1 if counts["overbooked_sessions"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
