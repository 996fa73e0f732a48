"""The local Prefect server ``wgll`` starts on first use and reuses afterwards.

Without ``PREFECT_API_URL``, every flow run used to start Prefect's temporary server: 8-12 s per
command on a 2-core machine. Instead, the first command that runs a flow starts one server in the
background (its own session, bound to 127.0.0.1 on a free port, its SQLite database in the Prefect
home, so run history and the UI persist), records its pid and URL in ``wgll-server.json`` there,
and every later command points Prefect at it. A lock file makes two commands starting at once
share one server; a record whose process is gone (or is no longer that server) is replaced.
``PREFECT_API_URL`` set by the user, in the environment or a Prefect profile, wins: then nothing
is started.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from pipeline.file_lock import LockTimeout, exclusive_lock

STATE_FILE = "wgll-server.json"
LOCK_FILE = "wgll-server.lock"
LOG_FILE = "wgll-server.log"
POLL_SECONDS = 0.2
HEALTH_PATIENCE = 15.0  # a live server slow to answer on a loaded machine is waited for, not replaced
STOP_SECONDS = 20.0
# The scheduler and late-run services act on deployments, which wgll never creates: off, so an
# idle server costs less. Everything else (UI, event and task-run recording) stays as Prefect has it.
SERVER_ENVIRONMENT = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    "PREFECT__SERVER_FINAL": "1",
}


class ServerError(RuntimeError):
    """The background server could not be started or reached; the message says why and where its log is."""


@dataclass(frozen=True)
class ServerState:
    """What ``wgll-server.json`` records about the running server."""

    pid: int
    created: float  # the process's start time: a pid reused by another process does not match
    api_url: str
    prefect_version: str
    started: str

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")


def prefect_home() -> Path:
    """Prefect's home as Prefect resolves it (``PREFECT_HOME``, a profile, or ``~/.prefect``)."""
    from prefect.settings import get_current_settings

    return Path(get_current_settings().home)


def configured_api_url() -> str | None:
    """The API URL the user configured (environment, profile, or a test harness's settings)."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return str(url) if url else None


def use_server(mode: str, timeout: float) -> ServerState | None:
    """Point this process (and the processes it starts) at the background server, starting it if
    none runs; nothing when the user configured an API URL or chose ``ephemeral`` (Prefect's
    temporary server per command)."""
    if mode == "ephemeral" or configured_api_url():
        return None
    state, started = ensure_server(prefect_home(), timeout)
    if started:
        print(
            f"Started a Prefect server for wgll at {state.ui_url} (runs and UI kept there); "
            "it keeps running for later commands: `wgll server stop` stops it.",
            file=sys.stderr,
        )
    os.environ["PREFECT_API_URL"] = state.api_url
    from prefect.context import refresh_global_settings_context

    refresh_global_settings_context()
    return state


def ensure_server(home: Path, timeout: float) -> tuple[ServerState, bool]:
    """The running server of ``home``, or a new one; True when it was started now."""
    try:
        with _locked(home, timeout + 30):
            state = running_server(home)
            if state is not None:
                return state, False
            return _start(home, timeout), True
    except OSError as error:  # an unwritable home, no free port, Python unable to start
        raise ServerError(f"the Prefect server could not be started in {home}: {error}") from error


def running_server(home: Path) -> ServerState | None:
    """The recorded server if it is alive, answers, and runs this Prefect version; a record that
    fails any of these is cleared (and its process, if still ours, stopped)."""
    state = read_state(home)
    if state is None:
        return None
    if is_running(state, HEALTH_PATIENCE) and state.prefect_version == _prefect_version():
        return state
    _retire(state, home)
    return None


def is_running(state: ServerState, patience: float = 0.0) -> bool:
    """The recorded process is alive and answers its health check (waiting up to ``patience`` s)."""
    return _ours(state) and _answers(state.api_url, patience)


def stop_server(home: Path, timeout: float = STOP_SECONDS) -> ServerState | None:
    """Stop the recorded server and clear its record; the state it had, or None if none was recorded."""
    with _locked(home, timeout + STOP_SECONDS):
        state = read_state(home)
        if state is not None:
            _retire(state, home)
        return state


def read_state(home: Path) -> ServerState | None:
    """The record in ``home``; an unreadable one counts as none (it is rewritten on the next start)."""
    try:
        return ServerState(**json.loads((home / STATE_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _prefect_version() -> str:
    from prefect import __version__

    return __version__


@contextmanager
def _locked(home: Path, timeout: float) -> Iterator[None]:
    """Hold ``wgll-server.lock`` in ``home``: one process at a time checks, starts or stops the
    server."""
    try:
        with exclusive_lock(home / LOCK_FILE, timeout):
            yield
    except LockTimeout:
        raise ServerError(
            f"{home / LOCK_FILE}: another wgll process held the server lock for {timeout:.0f} s"
        ) from None


def _ours(state: ServerState) -> bool:
    """The recorded process still exists and is the one that was started (same start time)."""
    try:
        return abs(psutil.Process(state.pid).create_time() - state.created) < 1.0
    except psutil.Error:
        return False


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _answers(api_url: str, patience: float) -> bool:
    deadline = time.monotonic() + patience
    while not _healthy(api_url):
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def _retire(state: ServerState, home: Path) -> None:
    """Stop the recorded process if it is still ours, and clear the record."""
    if _ours(state):
        process = psutil.Process(state.pid)
        try:
            process.terminate()
            process.wait(STOP_SECONDS)
        except psutil.TimeoutExpired:
            process.kill()
            process.wait(STOP_SECONDS)
        except psutil.NoSuchProcess:
            pass
    (home / STATE_FILE).unlink(missing_ok=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_environment(home: Path) -> dict[str, str]:
    """This process's environment and Prefect settings (a profile's database URL, say), minus
    any API URL, plus the server's own switches."""
    from prefect.settings import get_current_settings

    environment = {**os.environ, **get_current_settings().to_environment_variables(exclude_unset=True)}
    environment.pop("PREFECT_API_URL", None)
    return {**environment, **SERVER_ENVIRONMENT, "PREFECT_HOME": str(home)}


def _start(home: Path, timeout: float) -> ServerState:
    """Start the server detached from this process (its own session, so it outlives the command
    and a Ctrl-C in the terminal), wait until it answers, and record it."""
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--lifespan",
        "on",
    ]
    log_path = home / LOG_FILE
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=home,
            env=_server_environment(home),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while not _healthy(api_url):
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                process.kill()
            process.wait()
            tail = log_path.read_text(errors="replace")[-2000:]
            raise ServerError(
                f"the Prefect server did not answer at {api_url} within {timeout:.0f} s; "
                f"its log, {log_path}, ends:\n{tail}"
            )
        time.sleep(POLL_SECONDS)
    process.returncode = 0  # it lives on after this command; no warning about a child left running
    state = ServerState(
        pid=process.pid,
        created=psutil.Process(process.pid).create_time(),
        api_url=api_url,
        prefect_version=_prefect_version(),
        started=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    written = home / f"{STATE_FILE}.tmp"
    written.write_text(json.dumps(asdict(state), indent=2) + "\n")
    written.replace(home / STATE_FILE)
    return state
