"""Nothing is lost when a batch dies: a real ``wgll review`` process is killed (SIGKILL, with every
process it started) once some documents are stored; running the same command again finishes the
rest without redoing the finished ones, and the store ends up equal to an uninterrupted run's."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from flows.review import review_batch
from pipeline.manifest import collect_items
from pipeline.settings import Settings
from pipeline.store_schema import (
    coverage_table,
    documents_table,
    open_store,
    passages_table,
    reviews_table,
    runs_table,
    tags_table,
)
from tests.conftest import SAMPLE_DIR, _write_simple_pdf

WGLL = Path(sys.executable).parent / "wgll"
STORED_BEFORE_KILL = 2
RUN_SPECIFIC = {"run_id", "worker_host", "worker_pid"}


def _environment(prefect_home: Path) -> dict[str, str]:
    """Like tests/conftest.py: the run's own Prefect home (so its task cache is its own), the shared
    embedding cache, no analytics, no network."""
    return {
        **os.environ,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # the temporary server starts slowly on a loaded 2-core machine (Prefect's default is 20 s)
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "HF_HUB_OFFLINE": "1",
        "WGLL_WORKERS": "1",
        "WGLL_WRITE_PACKS": "false",  # this test is about the store; packs are tested elsewhere
    }


def _review(folder: Path, out: Path, prefect_home: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(WGLL), "review", str(folder), "--out", str(out), "--workers", "1"],
        env=_environment(prefect_home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the kill takes the Prefect server and parsers too
    )


def _finish(process: subprocess.Popen[bytes]) -> None:
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr.decode(errors="replace")[-3000:]


def _stored_reviews(out: Path) -> int:
    database = out / "wgll.sqlite"
    if not database.is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as connection:
            return int(connection.execute("SELECT count(*) FROM reviews").fetchone()[0])
    except sqlite3.OperationalError:  # schema not created yet, or the file is locked for a moment
        return 0


def _kill_when_stored(process: subprocess.Popen[bytes], out: Path, wanted: int) -> int:
    deadline = time.monotonic() + 600
    while _stored_reviews(out) < wanted:
        if process.poll() is not None:
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            pytest.fail(f"the batch ended (status {process.returncode}) before it could be killed: {stderr[-3000:]}")
        assert time.monotonic() < deadline, "no document was stored in time"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return _stored_reviews(out)


def _store_contents(out: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every result row, without what differs by run (run ids, worker processes, autoincrement ids)."""
    engine = open_store(None, out)
    tables = {
        "documents": select(documents_table),
        "reviews": select(*(c for c in reviews_table.c if c.name not in RUN_SPECIFIC)),
        "passages": select(passages_table),
        "tags": select(tags_table),
        "coverage": select(*(c for c in coverage_table.c if c.name != "id")),
    }
    with engine.connect() as connection:
        contents = {name: sorted(map(tuple, connection.execute(query)), key=repr) for name, query in tables.items()}
    engine.dispose()
    return contents


def _review_task_states(prefect_home: Path) -> dict[str, str]:
    """The state of each review task in the newest flow run recorded by that Prefect home."""
    with sqlite3.connect(prefect_home / "prefect.db") as connection:
        rows = connection.execute(
            "SELECT task_run.name, task_run.state_name FROM task_run WHERE task_run.flow_run_id = "
            "(SELECT id FROM flow_run ORDER BY created DESC LIMIT 1) AND task_run.name LIKE 'review-%'"
        ).fetchall()
    return {name.removeprefix("review-"): state for name, state in rows}


@pytest.fixture(scope="module")
def batch_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample strategies plus a longer document, so the batch runs long enough to be killed."""
    folder = tmp_path_factory.mktemp("batch")
    for pdf in sorted(SAMPLE_DIR.glob("*.pdf")):
        shutil.copy(pdf, folder)
    lines = [f"Line {n}: our shared care record programme connects partners across the system." for n in range(40)]
    _write_simple_pdf(folder / "zz-long.pdf", lines)
    return folder


def test_killed_batch_resumes_to_the_same_store_without_redoing_work(batch_folder: Path, tmp_path: Path) -> None:
    documents = len(list(batch_folder.glob("*.pdf")))
    killed_home = tmp_path / "prefect-killed"
    out, whole_out = tmp_path / "out", tmp_path / "whole"

    first = _review(batch_folder, out, killed_home)
    stored = _kill_when_stored(first, out, STORED_BEFORE_KILL)
    assert STORED_BEFORE_KILL <= stored < documents, "the kill must land mid-batch"
    engine = open_store(None, out)
    with engine.connect() as connection:
        done_before = set(connection.execute(select(documents_table.c.file)).scalars())
        unfinished_runs = connection.execute(select(runs_table.c.id).where(runs_table.c.finished_at.is_(None))).all()
    engine.dispose()
    assert len(unfinished_runs) == 1, "the killed run is recorded as never finished"

    _finish(_review(batch_folder, out, killed_home))  # the same command again
    states = _review_task_states(killed_home)
    assert len(states) == documents
    assert {file for file, state in states.items() if state == "Cached"} >= done_before
    # The rest are reviewed now; one may show Cached: reviewed before the kill but not yet stored.
    rest = [state for file, state in states.items() if file not in done_before]
    assert "Completed" in rest and set(rest) <= {"Completed", "Cached"}

    # an uninterrupted run, in this process
    review_batch(collect_items([batch_folder]), whole_out, Settings(workers=1, write_packs=False))
    resumed, whole = _store_contents(out), _store_contents(whole_out)
    assert len(resumed["reviews"]) == documents
    assert resumed == whole
    for name, rows in resumed.items():
        assert len(rows) == len({repr(row) for row in rows}), f"duplicate rows in {name}"
