"""A throwaway PostgreSQL cluster for fault tests: its own data directory, socket and loopback
port, so stopping or restarting it never disturbs the suite's main database. `initdb` refuses
to run as root: under root every command runs as the `postgres` user. Every command is bounded
in time; a test without the binaries is skipped, saying why."""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator

import pytest

COMMAND_TIMEOUT = 60  # seconds for initdb, start, stop or restart (about 1–3 s each here)


def _binaries() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayCluster:
    """One PostgreSQL cluster in a temporary directory, on 127.0.0.1:<a free port>, with
    trust authentication for the `postgres` role and one database, `alveole`."""

    def __init__(self, bindir: str, run_as: str | None) -> None:
        self.bindir = bindir
        self.run_as = run_as
        self.directory = tempfile.mkdtemp(prefix="alveole-pg-")
        self.data = os.path.join(self.directory, "data")
        self.log = os.path.join(self.directory, "server.log")
        self.port = _free_port()
        if run_as:
            entry = pwd.getpwnam(run_as)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/alveole"

    def _run(self, *args: str) -> None:
        command = [os.path.join(self.bindir, args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                              stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            tail = ""
            with contextlib.suppress(OSError), open(self.log) as log:
                tail = log.read()[-2000:]
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr}{tail}")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off -c synchronous_commit=off")
        self._run("pg_ctl", action, "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "30", *extra)

    def create(self) -> None:
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.start()
        import asyncio

        import asyncpg

        async def create_database() -> None:
            conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", timeout=10)
            try:
                await conn.execute("CREATE DATABASE alveole")
            finally:
                await conn.close()

        asyncio.run(create_database())

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        self._run("pg_ctl", "stop", "-D", self.data, "-m", "fast", "-w", "-t", "30")

    def restart(self) -> None:
        """What `pg_ctlcluster … restart` does: every connection is dropped, the server is
        down for a moment, then answers again."""
        self._pg_ctl("restart", "-m", "fast")

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "stop", "-D", self.data, "-m", "immediate", "-w", "-t", "30")
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[ThrowawayCluster]:
    """A fresh cluster for the block, destroyed after it; skips the test when PostgreSQL's
    binaries are absent (`apt-get install postgresql`) or cannot run here."""
    bindir = _binaries()
    if bindir is None:
        pytest.skip("PostgreSQL's binaries (initdb, pg_ctl) are not installed: apt-get install postgresql")
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run initdb as")
        run_as = "postgres"
    cluster = ThrowawayCluster(bindir, run_as)
    try:
        cluster.create()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        cluster.destroy()
        pytest.skip(f"a throwaway PostgreSQL cluster could not be started here: {exc}")
    try:
        yield cluster
    finally:
        cluster.destroy()
