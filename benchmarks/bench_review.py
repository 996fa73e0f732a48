"""End to end through the real ``review_batch`` flow, as a user runs it, in two parts.

- ``bench_default``: the two commands of ``make run`` (``wgll review`` on its default runner, two
  documents at a time in one process with Prefect's temporary server, then ``wgll audit``), cold
  (empty embedding cache, Prefect result storage and output folder) and then warm (the same
  commands on unchanged inputs, which find everything current and start no flow).
- ``bench_scaling``: ``wgll review`` on a temporary local Dask cluster of 1 and then 2 worker
  processes (one core each, Dask's convention), both cold, against one Prefect server started for
  the pair, as docs/scale-out.md sets up a scale-out run.

Each run is a whole process tree whose resident memory is sampled, so the peak counts Prefect's
temporary server and the Dask scheduler, workers and parsing processes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psutil

WGLL = Path(sys.executable).parent / "wgll"
PREFECT = Path(sys.executable).parent / "prefect"
SAMPLE_SECONDS = 0.2
PREFECT_ENVIRONMENT = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # Prefect's temporary server gives up after 20 s by default, too soon on a busy machine
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "600",
}


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants at this moment."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:  # a child that ended between listing and reading
            continue
    return total


def scratch_environment(scratch: Path, **extra: str) -> dict[str, str]:
    """An environment whose caches (embeddings, Prefect's home and result storage) live in
    ``scratch``: a new folder is a cold start."""
    scratch.mkdir(parents=True, exist_ok=True)  # Prefect creates PREFECT_HOME but not its parents
    return {**os.environ, **PREFECT_ENVIRONMENT, "PREFECT_HOME": str(scratch / "prefect"),
            "WGLL_CACHE_DIR": str(scratch / "cache"), **extra}


def timed_run(command: list[str], environment: dict[str, str]) -> dict[str, float]:
    """Run ``command`` to the end: its wall seconds and the peak resident memory of its tree."""
    peak = 0
    started = time.perf_counter()
    child = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    process = psutil.Process(child.pid)
    finished = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not finished.wait(SAMPLE_SECONDS):
            try:
                peak = max(peak, tree_rss(process))
            except psutil.Error:
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, errors = child.communicate()
    seconds = time.perf_counter() - started
    finished.set()
    sampler.join()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({child.returncode}); what it printed:\n{errors.decode()}")
    return {"seconds": round(seconds, 2), "peak_rss_mib": round(peak / 2**20, 1)}


def bench_default(corpus: Path, scratch: Path) -> dict[str, object]:
    """``make run``'s commands on ``corpus``, cold then warm, in one scratch folder."""
    documents = len(list(corpus.glob("*.pdf")))
    environment = scratch_environment(scratch)
    out = scratch / "out"
    review = [str(WGLL), "review", str(corpus), "--out", str(out)]
    audit = [str(WGLL), "audit", str(out), "--out", str(out / "audit")]
    cold_review, cold_audit = timed_run(review, environment), timed_run(audit, environment)
    warm_review, warm_audit = timed_run(review, environment), timed_run(audit, environment)
    cold_both = cold_review["seconds"] + cold_audit["seconds"]
    warm_both = warm_review["seconds"] + warm_audit["seconds"]
    return {
        "documents": documents,
        "cold_review": cold_review,
        "cold_audit": cold_audit,
        "warm_review": warm_review,
        "warm_audit": warm_audit,
        "cold_seconds_per_document": round(cold_review["seconds"] / documents, 2),
        "warm_over_cold": round(warm_review["seconds"] / cold_review["seconds"], 3),
        "review_and_audit_warm_over_cold": round(warm_both / cold_both, 3),
        "peak_rss_mib": max(cold_review["peak_rss_mib"], cold_audit["peak_rss_mib"]),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def prefect_server(scratch: Path, timeout: float = 300) -> Iterator[str]:
    """A Prefect server on loopback with its database in ``scratch``; yields its API URL."""
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log = scratch / "prefect-server.log"
    environment = scratch_environment(scratch / "server")
    with open(log, "wb") as output:
        server = subprocess.Popen([str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                  env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not _answers(f"{api_url}/health"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not start; its log:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield api_url
    finally:
        server.terminate()
        server.wait(timeout=30)


def bench_scaling(documents: list[Path], scratch: Path) -> dict[str, object]:
    """Cold reviews of ``documents`` on a local Dask cluster of 1, then 2, worker processes, each
    run in its own empty scratch folder, both recorded on one Prefect server."""
    with prefect_server(scratch) as api_url:
        runs = {}
        for workers in (1, 2):
            folder = scratch / f"{workers}-workers"
            environment = scratch_environment(folder, PREFECT_API_URL=api_url)
            command = [str(WGLL), "review", *map(str, documents), "--out", str(folder / "out"),
                       "--task-runner", "dask", "--workers", str(workers)]
            runs[workers] = timed_run(command, environment)
    one, two = runs[1], runs[2]
    return {
        "documents": [path.name for path in documents],
        "one_worker": one,
        "two_workers": two,
        "documents_per_minute": {
            "one_worker": round(60 * len(documents) / one["seconds"], 2),
            "two_workers": round(60 * len(documents) / two["seconds"], 2),
        },
        "two_over_one_worker": round(one["seconds"] / two["seconds"], 2),
    }
