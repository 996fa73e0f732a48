"""Real services for tests: a throwaway PostgreSQL 15 cluster on loopback (ENVIRONMENT.md).

Use the fixtures ``postgresql_url`` (one cluster per session) and ``postgresql_database`` (an empty
database per test) by importing them into a test module, or the ``postgresql_server`` context
manager. When PostgreSQL's binaries are missing, tests that need it are skipped with the
reason shown, never silently passed.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

POSTGRES_BIN = Path(os.environ.get("WGLL_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
POSTGRES_USER = "wgll"
# A port found free can be taken by another process before the server binds it.
START_ATTEMPTS = 3


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(folder: Path) -> list[str]:
    """initdb refuses to run as root: as root, run the server as ``postgres`` in its own folder."""
    if os.geteuid() != 0:
        return []
    account = pwd.getpwnam("postgres")
    os.chown(folder, account.pw_uid, account.pw_gid)
    folder.chmod(0o755)
    return ["runuser", "-u", "postgres", "--"]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _checked(command: list[str]) -> None:
    result = _run(command)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def _start(prefix: list[str], folder: Path, data: Path) -> int:
    """Start the cluster on a free loopback port (another on failure); return the port."""
    log = folder / "server.log"
    for _ in range(START_ATTEMPTS):
        port = free_port()
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        pg_ctl = [str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log)]
        if _run([*prefix, *pg_ctl, "-w", "start"]).returncode == 0:
            return port
    reason = log.read_text() if log.exists() else "no server log"
    raise RuntimeError(f"PostgreSQL did not start ({log}):\n{reason}")


@contextmanager
def postgresql_server() -> Iterator[str]:
    """A fresh PostgreSQL cluster for the duration of the block; yields its SQLAlchemy URL."""
    if not (POSTGRES_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL server binaries not found in {POSTGRES_BIN} (run scripts/ensure-test-services.sh)")
    folder = Path(tempfile.mkdtemp(prefix="wgll-pg-"))
    data = folder / "data"
    try:
        prefix = _as_server_user(folder)
        initdb = [str(POSTGRES_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", POSTGRES_USER]
        _checked([*prefix, *initdb, "-E", "UTF8", "--locale=C", "--no-sync"])
        port = _start(prefix, folder, data)
        try:
            yield f"postgresql+psycopg://{POSTGRES_USER}@127.0.0.1:{port}/postgres"
        finally:
            _checked([*prefix, str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """One throwaway PostgreSQL cluster per test session."""
    with postgresql_server() as url:
        yield url


@pytest.fixture
def postgresql_database(postgresql_url: str) -> Iterator[str]:
    """An empty database of its own for one test, on the session's cluster; dropped afterwards."""
    name = f"test_{uuid.uuid4().hex}"
    admin = create_engine(postgresql_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(postgresql_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


class Processes:
    """Long-running commands a test starts, stopped afterwards by pid: each command and every
    process it spawned (a Dask nanny's worker, uvicorn under the Prefect CLI)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen[bytes]] = []
        self.stopped_pids: set[int] = set()

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        """Terminate every process started and its descendants, newest first; kill what lingers."""
        import psutil

        family: list[psutil.Process] = []
        for process in reversed(self.started):
            try:
                parent = psutil.Process(process.pid)
                family.extend([*parent.children(recursive=True), parent])
            except psutil.NoSuchProcess:
                continue
        self.stopped_pids |= {member.pid for member in family} | {p.pid for p in self.started}
        for member in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.terminate()
        _, alive = psutil.wait_procs(family, timeout=20)
        for member in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.kill()
        psutil.wait_procs(alive, timeout=10)
        for process in self.started:
            process.wait(timeout=10)


def wait_for(check: Callable[[], bool], what: str, timeout: float, logs: Callable[[], str]) -> None:
    """Poll ``check`` until it holds; on timeout fail with what was awaited and the service's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise RuntimeError(f"{what} not ready after {timeout:.0f} s:\n{logs()[-3000:]}")
