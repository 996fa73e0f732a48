"""A temporary local Dask cluster (`--task-runner dask`) without a Prefect server configured: the
workers share the flow's temporary Prefect server instead of each starting their own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine, select

from pipeline.store_schema import reviews_table
from tests.conftest import SAMPLE_DIR

WGLL = Path(sys.executable).parent / "wgll"


def _prefect_servers(root: psutil.Process) -> int:
    """Prefect temporary servers (uvicorn processes) among ``root``'s descendants now."""
    count = 0
    for child in root.children(recursive=True):
        try:
            count += any("uvicorn" in part for part in child.cmdline())
        except psutil.Error:
            continue
    return count


@pytest.mark.slow
def test_local_workers_review_with_the_flow_prefect_server(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("marlshire-ics-2023.pdf", "severn-coast-ics-2022.pdf"):
        shutil.copy(SAMPLE_DIR / name, folder)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_API")}
    environment["PREFECT_HOME"] = str(tmp_path / "prefect")
    command = [
        str(WGLL),
        "review",
        str(folder),
        "--out",
        str(tmp_path / "out"),
        "--task-runner",
        "dask",
        "--workers",
        "2",
    ]
    child = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    most, finished = 0, threading.Event()

    def watch() -> None:
        nonlocal most
        while not finished.wait(0.5):
            try:
                most = max(most, _prefect_servers(psutil.Process(child.pid)))
            except psutil.Error:
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    output, _ = child.communicate(timeout=600)
    finished.set()
    watcher.join()

    assert child.returncode == 0, output.decode()
    assert most == 1, f"{most} Prefect servers ran; the workers should use the flow's"
    engine = create_engine(f"sqlite:///{tmp_path / 'out' / 'wgll.sqlite'}")
    with engine.connect() as conn:
        pids = {pid for (pid,) in conn.execute(select(reviews_table.c.worker_pid))}
    engine.dispose()
    assert pids and child.pid not in pids, "documents are reviewed in the worker processes"
    assert len(list((tmp_path / "out").glob("*-pack.pdf"))) == 2
