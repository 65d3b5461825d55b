"""A throwaway PostgreSQL server for the store's tests: initialised in a temporary folder, listening on loopback,
stopped at the end of the session. It needs Debian's `postgresql` package (`.ci/run` installs it); as root, the
server runs as the `postgres` user the package creates, since PostgreSQL refuses to run as root."""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

PASSWORD = "studio-tests"


def _bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("The store's tests need PostgreSQL's server programs: `apt-get install postgresql` (Debian or "
                    "Ubuntu). .ci/run installs it.", pytrace=False)
    return Path(found[-1]).parent


def _as_server_user(command: list[str], folder: Path) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + command, cwd=folder, capture_output=True, text=True, timeout=60)


class PostgresServer:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="studio-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.bin = _bin()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._names = itertools.count(1)

    def start(self) -> None:
        (self.folder / "password").write_text(PASSWORD)
        if os.geteuid() == 0:
            shutil.chown(self.folder / "password", "postgres")
        self._run([self.bin / "initdb", "-D", self.folder / "data", "-U", "postgres", "--auth-local=trust",
                   "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
                   f"--pwfile={self.folder / 'password'}"])
        self._run([self.bin / "pg_ctl", "-D", self.folder / "data", "-l", self.folder / "server.log", "-w", "-o",
                   f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off", "start"])

    def stop(self) -> None:
        _as_server_user([str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
                        self.folder)
        shutil.rmtree(self.folder, ignore_errors=True)

    def new_database(self) -> str:
        """The SQLAlchemy URL of a new, empty database."""
        name = f"studio_{next(self._names)}"
        self._run([self.bin / "psql", "-h", self.folder, "-p", str(self.port), "-U", "postgres", "-q", "-c",
                   f"CREATE DATABASE {name}"])
        return f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{self.port}/{name}"

    def _run(self, command: list) -> None:
        done = _as_server_user([str(c) for c in command], self.folder)
        if done.returncode:
            log = (self.folder / "server.log")
            pytest.fail(f"{command[0]} failed ({done.returncode}): {done.stderr or done.stdout}\n"
                        f"{log.read_text() if log.exists() else ''}", pytrace=False)
