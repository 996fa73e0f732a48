"""End to end through the real ``review_batch`` flow (the ``wgll review`` command on a temporary
local Dask cluster): cold (empty embedding cache, Prefect result storage and output folder) with 1
and with 2 worker processes, then warm (the same command again on unchanged inputs, which finds
every review current and starts no flow). Each run is a whole process tree whose resident memory
is sampled, so the peak counts Prefect's temporary server and the Dask scheduler and workers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

WGLL = Path(sys.executable).parent / "wgll"
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


def run_review(corpus: Path, scratch: Path, workers: int) -> dict[str, float]:
    """One ``wgll review`` of ``corpus``: wall seconds and peak resident memory of its tree."""
    scratch.mkdir(parents=True, exist_ok=True)  # Prefect creates PREFECT_HOME but not its parents
    environment = {
        **os.environ,
        **PREFECT_ENVIRONMENT,
        "PREFECT_HOME": str(scratch / "prefect"),
        "WGLL_CACHE_DIR": str(scratch / "cache"),
    }
    command = [str(WGLL), "review", str(corpus), "--out", str(scratch / "out"),
               "--task-runner", "dask", "--workers", str(workers)]
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


def bench_review(corpus: Path, scratch: Path) -> dict[str, object]:
    """Cold with 1 worker, cold with 2 workers, then warm with 2 (each cold run in its own empty
    scratch folder, the warm one reusing the 2-worker run's)."""
    documents = len(list(corpus.glob("*.pdf")))
    one = run_review(corpus, scratch / "one-worker", 1)
    two = run_review(corpus, scratch / "two-workers", 2)
    warm = run_review(corpus, scratch / "two-workers", 2)
    return {
        "documents": documents,
        "cold_one_worker": one,
        "cold_two_workers": two,
        "warm_two_workers": warm,
        "cold_seconds_per_document": round(one["seconds"] / documents, 2),
        "documents_per_minute": {
            "one_worker": round(60 * documents / one["seconds"], 2),
            "two_workers": round(60 * documents / two["seconds"], 2),
        },
        "two_over_one_worker": round(one["seconds"] / two["seconds"], 2),
        "warm_over_cold": round(warm["seconds"] / two["seconds"], 3),
        "peak_rss_mib": max(one["peak_rss_mib"], two["peak_rss_mib"]),
    }
