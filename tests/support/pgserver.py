"""A throwaway PostgreSQL cluster for tests: initdb in a temp dir, trust auth, loopback, a fresh database.

initdb refuses to run as root, so as root the cluster is created and run as the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class PgUnavailable(Exception):
    """No PostgreSQL binaries on this machine."""


def find_bindir() -> Path:
    override = os.environ.get("CAMPAIGN_TEST_PG_BINDIR")
    candidates = [override] if override else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PgUnavailable("PostgreSQL binaries (initdb) not found; install the Debian package 'postgresql'")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """``start()`` returns a ``postgresql+psycopg://`` URL; ``stop()`` shuts down and deletes the cluster."""

    def __init__(self, database: str = "sandbox_test") -> None:
        self.bindir = find_bindir()
        self.database = database
        self.port = _free_port()
        self._root = Path(tempfile.mkdtemp(prefix="campaign-pg-"))
        self.datadir = self._root / "data"
        self._as_postgres = os.geteuid() == 0
        self._started = False
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self._root, pw.pw_uid, pw.pw_gid)

    def _run(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:2])} failed: {(result.stderr or result.stdout).strip()[-500:]}"
            )
        return result

    def start(self) -> str:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.datadir), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self._root} "
            "-c fsync=off -c max_connections=100"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self._root / "log"),
            "-o", options, "-w", "-t", "30", "start",
        )  # fmt: skip
        self._started = True
        self._run(
            str(self.bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            self.database,
        )
        return self.url

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.database}"

    def stop(self) -> None:
        try:
            if self._started:
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop")
        finally:
            self._started = False
            shutil.rmtree(self._root, ignore_errors=True)
