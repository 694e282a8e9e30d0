"""The `alveole` command: serve, worker, migrate, create-admin, demo."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import signal
import sqlite3
import sys
import threading
import warnings
from collections.abc import Generator
from types import FrameType

import uvicorn

from alveole import bootstrap
from kernel.db import DatabaseUnreachable, safe_url
from kernel.settings import Settings, SettingsError

log = logging.getLogger("alveole.cli")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        print(f"alveole: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings()
    asyncio.run(bootstrap.migrate(settings, quiet=False))
    print(f"Database is up to date ({safe_url(settings.database_url)}).")
    return 0


def _password(args: argparse.Namespace) -> str:
    """--password, else a prompt (twice) on a terminal, else the first line of stdin."""
    if args.password is not None:
        return args.password
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Password for the admin: ")
        if getpass.getpass("The same again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_create_admin(args: argparse.Namespace) -> int:
    from accounts.admin import create_or_promote_admin

    settings = _settings()
    try:
        password = _password(args)
    except (ValueError, EOFError, KeyboardInterrupt) as exc:
        print(f"alveole: {exc or 'no password given'}", file=sys.stderr)
        return 2

    async def run() -> str:
        await bootstrap.migrate(settings)
        async with bootstrap.started(bootstrap.build_runtime(settings), booking_store=False):
            return await create_or_promote_admin(args.email, password)

    try:
        outcome = asyncio.run(run())
    except ValueError as exc:
        print(f"alveole: {exc}", file=sys.stderr)
        return 2
    print(f"Admin {args.email}: {outcome}.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings()
    asyncio.run(_load_demo(settings))
    return 0


async def _load_demo(settings: Settings) -> None:
    from alveole.demo import load_demo

    await bootstrap.migrate(settings)
    async with bootstrap.started(bootstrap.build_runtime(settings), booking_store=False) as runtime:
        logins = await load_demo(runtime)
    print("Demo data loaded. Log in with any of these (password as shown):")
    for role, email, password in logins:
        print(f"  {role:<12} {email:<32} {password}")


def cmd_serve(args: argparse.Namespace) -> int:
    from alveole.app import create_app
    from alveole.http_server import uvicorn_options

    settings = _settings()
    asyncio.run(bootstrap.migrate(settings))
    if args.demo:
        asyncio.run(_load_demo(settings))
    settings = settings.served_at(args.host, args.port)
    app = create_app(settings, start_worker=not args.no_worker)
    engine = f", SQLite {sqlite3.sqlite_version}" if settings.database_url.startswith("sqlite:") else ""
    print(f"Alvéole on http://{args.host}:{args.port}  (database {safe_url(settings.database_url)}{engine}, "
          f"mail {'SMTP' if settings.smtp_url else f'files in {settings.mail_dir}/'})", flush=True)
    # the error log names a failed request's path: a feed's or feedback link's token is hidden there too
    logging.getLogger("alveole").addFilter(RedactSecretPaths())
    if args.verbose:
        logging.getLogger("uvicorn.access").addFilter(RedactSecretPaths())
    # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 on its
    # own; ALVEOLE_TRUSTED_PROXIES alone decides (accounts.controllers.client_ip)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="info" if args.verbose else "warning",
                            access_log=args.verbose, timeout_graceful_shutdown=DRAIN_SECONDS, proxy_headers=False,
                            **uvicorn_options(settings.request_timeout))
    DrainingServer(config).run()
    return 0


# How long a stop waits for in-flight requests before closing their connections.
DRAIN_SECONDS = 30


def _stop_at_once(sig: int) -> None:
    # inside a signal handler: a raw write (print could find stderr busy: "reentrant call")
    os.write(2, f"alveole: second {signal.Signals(sig).name}: stopping at once\n".encode())
    os._exit(128 + sig)


class DrainingServer(uvicorn.Server):
    """uvicorn's server, stopped as a service manager expects: the first SIGTERM or SIGINT
    drains (no new connections; in-flight requests finish, up to DRAIN_SECONDS; the lifespan
    stops the worker after the message it is sending) and the process exits 0; a second signal
    stops at once (exit 128 + the signal). uvicorn's own server re-raises the first signal
    after a clean drain, so the process died of it (exit 143, a failure to systemd)."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            _stop_at_once(sig)
        self.should_exit = True

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def cmd_worker(args: argparse.Namespace) -> int:
    from alveole.worker import request_stop, run_forever

    settings = _settings()

    async def run() -> None:
        await bootstrap.migrate(settings)
        async with bootstrap.started(bootstrap.build_runtime(settings)) as runtime:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()

            def on_signal(sig: int) -> None:
                if runtime.stopping:  # the second one
                    _stop_at_once(sig)
                request_stop(runtime, stop)  # finishes the message it is sending, then returns

            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, on_signal, sig)
            print(f"Alvéole worker running (poll every {settings.worker_poll_seconds:g} s); Ctrl-C stops it.",
                  flush=True)
            await run_forever(runtime, stop)

    asyncio.run(run())
    return 0


_SECRET_PATH = re.compile(r"/calendar/[^/?\s]+/feed\.ics|(?<![\w.-])/feedback/[^/?\s\"]+")


def _redacted(text: str) -> str:
    return _SECRET_PATH.sub(lambda m: "/feedback/***" if m.group(0).startswith("/feedback/")
                            else "/calendar/***/feed.ics", text)


class RedactSecretPaths(logging.Filter):
    """The personal feed's URL and an emailed feedback link are their own secrets: the access
    log shows `/calendar/***/feed.ics` and `/feedback/***`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = _redacted(record.msg)
        return True


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alveole", description="Alvéole: neighbourhood skill-sharing workshops.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (access log, SQL errors)")
    parser.add_argument("--version", action="version", version=f"alveole {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate, then run the server and the in-process worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="load demo data first and print the logins")
    serve.add_argument("--no-worker", action="store_true", help="do not start the in-process worker")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("worker", help="run only the background worker").set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    admin = sub.add_parser("create-admin", help="create (or promote) an admin user")
    admin.add_argument("email")
    admin.add_argument("--password", help="the password (default: asked for, or read from stdin)")
    admin.set_defaults(func=cmd_create_admin)
    sub.add_parser("demo", help="load demo data into the configured database").set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Piccolo warns on stderr when it cannot reach the database; we say it once, in one line
    warnings.filterwarnings("ignore", module=r"piccolo\.")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alveole").setLevel(logging.INFO)
    # Piccolo logs "Running Sqlite version 3.4" (3.40 read as a float) each time an engine is
    # made: the start line names the real version instead
    logging.getLogger("piccolo").setLevel(logging.WARNING)
    try:
        return args.func(args)
    except DatabaseUnreachable as exc:
        print(f"alveole: {exc}", file=sys.stderr)
        return 2


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("alveole")
    except PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
