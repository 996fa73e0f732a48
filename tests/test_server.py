"""The background Prefect server (flows/server.py): started once, reused by later commands, stopped
on request, never started when PREFECT_API_URL is set, and a stale record is replaced without
touching a process that is not ours."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from flows.server import STATE_FILE, ServerState, read_state, running_server, stop_server, use_server
from tests.conftest import SAMPLE_DIR

WGLL = Path(sys.executable).parent / "wgll"


def _record(home: Path, pid: int, created: float) -> None:
    home.mkdir(parents=True, exist_ok=True)
    state = ServerState(pid=pid, created=created, api_url="http://127.0.0.1:9/api", prefect_version="3", started="")
    (home / STATE_FILE).write_text(json.dumps(state.__dict__))


def test_a_record_of_a_dead_process_is_cleared(tmp_path: Path) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    _record(tmp_path, finished.pid, 0.0)
    assert running_server(tmp_path) is None
    assert not (tmp_path / STATE_FILE).exists()


def test_a_record_whose_pid_now_belongs_to_another_process_is_cleared_and_that_process_spared(tmp_path: Path) -> None:
    _record(tmp_path, os.getpid(), psutil.Process().create_time() - 1000)
    assert stop_server(tmp_path) is not None
    assert not (tmp_path / STATE_FILE).exists()
    assert psutil.Process().is_running()  # this test process, whose pid the record named, is alive


def test_a_configured_api_url_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api", PREFECT_HOME: str(tmp_path)}):
        assert use_server("background", timeout=5) is None
    assert "PREFECT_API_URL" not in os.environ
    assert list(tmp_path.iterdir()) == [], "nothing was started or recorded"


def _wgll(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PREFECT_HOME": str(home), "WGLL_PREFECT_SERVER": "background", "COLUMNS": "400"}
    environment.pop("PREFECT_API_URL", None)
    return subprocess.run([str(WGLL), *args], env=environment, capture_output=True, text=True, timeout=900)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A Prefect home of the test's own; whatever server the test leaves there is stopped."""
    folder = tmp_path / "prefect"
    yield folder
    stop_server(folder)


def _flow_runs(api_url: str) -> list[dict[str, object]]:
    request = urllib.request.Request(
        f"{api_url}/flow_runs/filter", data=b"{}", method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
def test_server_start_status_reuse_and_stop(home: Path, tmp_path: Path) -> None:
    environment = {**os.environ, "PREFECT_HOME": str(home)}
    environment.pop("PREFECT_API_URL", None)
    starts = [
        subprocess.Popen([str(WGLL), "server", "start"], env=environment, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [start.communicate(timeout=600)[0] for start in starts]
    assert [start.returncode for start in starts] == [0, 0], outputs
    state = read_state(home)
    assert state is not None
    assert sorted(line.split()[0] for line in outputs) == ["Already", "Started"], "two commands share one server"
    assert all(f"pid {state.pid}" in output for output in outputs)
    assert psutil.Process(state.pid).is_running()

    status = _wgll(home, "server", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"pid {state.pid}" in status.stdout and state.ui_url in status.stdout

    review = _wgll(home, "review", str(SAMPLE_DIR / "marlshire-ics-2023.pdf"), "--out", str(tmp_path / "out"))
    assert review.returncode == 0, review.stdout + review.stderr
    assert "Started a Prefect server" not in review.stderr
    assert read_state(home) == state, "the review reused the running server"
    assert any(run["state_type"] == "COMPLETED" for run in _flow_runs(state.api_url)), "its flow run is recorded there"

    stopped = _wgll(home, "server", "stop")
    assert stopped.returncode == 0 and f"pid {state.pid}" in stopped.stdout
    assert _gone(state.pid)
    assert _wgll(home, "server", "status").returncode == 1
