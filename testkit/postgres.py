"""A throwaway PostgreSQL cluster for the test suite, started from the installed binaries.

Shared by tests/, e2e/ and bench/. It listens on 127.0.0.1 on a free port, keeps its data in a
temporary folder (in RAM for the tests) and is stopped (immediately, nothing to keep) when the
session ends.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from app.system_packages import postgres_bin_dir
from testkit.processes import ServerProcess, start_server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresCluster:
    bin_dir: Path
    data_dir: Path
    port: int
    run_as: str | None

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    server: ServerProcess | None = None

    def _user_ids(self) -> tuple[int, int] | None:
        if self.run_as is None:
            return None
        user = pwd.getpwnam(self.run_as)
        return user.pw_uid, user.pw_gid

    def start(self) -> None:
        ids = self._user_ids()
        subprocess.run(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
            timeout=120,
            preexec_fn=(lambda: (os.setgid(ids[1]), os.setuid(ids[0]))) if ids else None,
        )
        # postgres in the foreground, as our child: it stops with the test run (SIGQUIT is an
        # immediate shutdown; a throwaway cluster has nothing to keep).
        self.server = start_server(
            [
                str(self.bin_dir / "postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.data_dir}",
                # Durability buys nothing here, speed does.
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            "database system is ready to accept connections",
            user_ids=ids,
            death_signal=signal.SIGQUIT,
        )

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(signal.SIGQUIT)


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """Create database `name` (optionally a copy of `template`) and return its URL."""
    url = make_url(admin_url)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        # FILE_COPY (PostgreSQL 15+) copies the template's few files instead of writing every
        # block through the WAL: about half the time for each of the suite's databases.
        strategy = " STRATEGY FILE_COPY" if connection.info.server_version >= 150000 else ""
        suffix = f' TEMPLATE "{template}"{strategy}' if template else ""
        connection.execute(f'CREATE DATABASE "{name}"{suffix}')  # type: ignore[arg-type]
    return url.set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )


def drop_database(admin_url: str, url: str) -> None:
    """Drop a database made by `create_database`, closing any connection still open to it
    (PostgreSQL 13+; an older server named by TEST_DATABASE_URL waits for them to close)."""
    conninfo = make_url(admin_url).set(drivername="postgresql").render_as_string(False)
    name = make_url(url).database
    with psycopg.connect(conninfo, autocommit=True) as connection:
        force = " WITH (FORCE)" if connection.info.server_version >= 130000 else ""
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"{force}')  # type: ignore[arg-type]


# A cluster with a few test databases at a time needs about 200 MB; leave room for a second
# (one per pytest-xdist worker) and for the rest of the machine.
MEMORY_FOLDER_FREE_BYTES = 1 << 30


def memory_folder() -> str | None:
    """A RAM-backed folder (/dev/shm) we may write to with at least 1 GiB free, if this
    machine has one (a container's is often 64 MB: then the cluster stays on disk)."""
    folder = "/dev/shm"  # noqa: S108 - only ever a parent for mkdtemp (private, random name)
    if not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
        return None
    usage = os.statvfs(folder)
    return folder if usage.f_bavail * usage.f_frsize >= MEMORY_FOLDER_FREE_BYTES else None


def start_cluster(in_memory: bool = False) -> PostgresCluster | None:
    """Start a cluster if PostgreSQL binaries are installed; None when they are not.

    `in_memory` keeps its files in RAM (when the machine has /dev/shm): the test suite makes a
    database for each test, which on disk costs a few hundred milliseconds each. Benchmarks keep
    the default, on disk, as a real server would be."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        return None
    root = Path(tempfile.mkdtemp(prefix="portal-pg-", dir=memory_folder() if in_memory else None))
    run_as = None
    if os.geteuid() == 0:
        # initdb and postgres refuse to run as root: run them as the postgres user instead.
        run_as = "postgres"
        user = pwd.getpwnam(run_as)
        os.chown(root, user.pw_uid, user.pw_gid)
    cluster = PostgresCluster(bin_dir, root / "data", free_port(), run_as)
    cluster.start()
    return cluster


def remove_cluster(cluster: PostgresCluster) -> None:
    try:
        cluster.stop()
    finally:
        shutil.rmtree(cluster.data_dir.parent, ignore_errors=True)
