"""End to end through the real ``wgll`` command, as a user runs it.

Every command runs against one long-lived Prefect server (flows/server.py), started first with
``wgll server start`` in a fresh Prefect home: that start is the first-use cost a user pays once,
reported on its own, as is the other one, the export of the embedding model's graph for the
compiled runtime (``first_use_runtime``: about 20 s with PyTorch, once per model and cache folder).
Each command then gets a fresh ``PREFECT_HOME`` (empty task cache), embedding cache and output
folder, and ``PREFECT_API_URL`` pointing at that server, so "cold" means cold; its cache borrows the
exported graph, as a user's every review after the first does.

- ``bench_single``: one cold ``wgll review`` of one strategy, start-up included, against raw
  pdfplumber ``extract_text`` of the same file, and against the old path: the same command with
  Prefect's temporary server started by the command (``WGLL_PREFECT_SERVER=ephemeral``).
- ``bench_default``: the two commands of ``make run`` (``wgll review`` on its default runner, then
  ``wgll audit``) on the corpus, cold and then warm (unchanged inputs: nothing to do).
- ``bench_scaling``: ``wgll review`` on a temporary local Dask cluster of 1 and then 2 worker
  processes, both cold.

Each run is a whole process tree whose resident memory is sampled, with the server's added (it is
not a child of the command any more, but the batch needs it), so peaks compare with the days when
every command started a server of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
from bench_ingest import raw_pdfplumber

from flows.server import read_state

WGLL = Path(sys.executable).parent / "wgll"
SAMPLE_SECONDS = 0.2
PREFECT_ENVIRONMENT = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # Prefect's temporary server (the old path) gives up after 20 s by default, too soon on a busy machine
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "600",
    "WGLL_PREFECT_SERVER_START_SECONDS": "600",
}


@dataclass(frozen=True)
class Server:
    """The long-lived server every command of the benchmark uses."""

    api_url: str
    pid: int
    first_use: dict[str, float]  # ``wgll server start`` in a fresh Prefect home: seconds, peak memory


def tree_rss(process: psutil.Process, also: Sequence[int] = ()) -> int:
    """Resident bytes of a process, all its descendants and the processes ``also`` at this moment.
    A child caught between its fork and its exec is left out: it still runs its parent's program
    in its parent's pages (vfork shares them outright), so its resident size is the parent's
    counted a second time. The reviewing process starts a child per document and per pack, and a
    sample taken in that instant read the batch's peak as 2,377-2,649 MiB, the reviewing process
    twice, instead of about 1,800."""
    members = [process, *process.children(recursive=True)]
    for pid in also:
        try:
            members.append(psutil.Process(pid))
        except psutil.Error:
            continue
    total = 0
    for member in members:
        try:
            if member is not process and _not_yet_exec(member):
                continue
            total += member.memory_info().rss
        except psutil.Error:  # a child that ended between listing and reading
            continue
    return total


def _not_yet_exec(member: psutil.Process) -> bool:
    """Whether ``member`` runs its parent's very command line: forked and not yet replaced."""
    parent = member.parent()
    return parent is not None and member.cmdline() == parent.cmdline()


def scratch_environment(scratch: Path, runtime: Path | None = None, **extra: str) -> dict[str, str]:
    """An environment whose caches (embeddings, Prefect's home and result storage) live in
    ``scratch``: a new folder is a cold start. ``runtime``: an ``embedding-runtime`` folder (the
    exported graph, ``first_use_runtime``) that the new embedding cache borrows."""
    scratch.mkdir(parents=True, exist_ok=True)  # Prefect creates PREFECT_HOME but not its parents
    if runtime is not None:
        (scratch / "cache").mkdir(exist_ok=True)
        (scratch / "cache" / "embedding-runtime").symlink_to(runtime)
    environment = {
        **os.environ,
        **PREFECT_ENVIRONMENT,
        "PREFECT_HOME": str(scratch / "prefect"),
        "WGLL_CACHE_DIR": str(scratch / "cache"),
        **extra,
    }
    if "PREFECT_API_URL" not in extra:
        environment.pop("PREFECT_API_URL", None)
    return environment


def timed_run(command: list[str], environment: dict[str, str], also: Sequence[int] = ()) -> dict[str, float]:
    """Run ``command`` to the end: its wall seconds and the peak resident memory of its tree
    (plus the processes ``also``)."""
    peak = 0
    started = time.perf_counter()
    child = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    process = psutil.Process(child.pid)
    finished = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not finished.wait(SAMPLE_SECONDS):
            try:
                peak = max(peak, tree_rss(process, also))
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


EXPORT = (
    "from pipeline.encoder import load_encoder\n"
    "from pipeline.settings import Settings\n"
    "import sys\n"
    "sys.stderr.write(load_encoder(Settings()).identity)\n"
)


def first_use_runtime(scratch: Path) -> tuple[Path, dict[str, object]]:
    """The compiled runtime's first use in a new process with an empty cache folder: the graph
    exported from the model (a child process with PyTorch) and compiled (timed). Returns the
    ``embedding-runtime`` folder the cold commands borrow, and the figures."""
    environment = scratch_environment(scratch)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", EXPORT], env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"loading the embedding runtime failed:\n{done.stderr[-3000:]}")
    seconds = round(time.perf_counter() - started, 2)
    return Path(environment["WGLL_CACHE_DIR"]) / "embedding-runtime", {
        "seconds": seconds,
        "runtime": done.stderr.strip().splitlines()[-1],
    }


@contextmanager
def background_server(scratch: Path) -> Iterator[Server]:
    """``wgll server start`` in a fresh Prefect home (timed), then ``wgll server stop`` at the end."""
    environment = scratch_environment(scratch / "server")
    first_use = timed_run([str(WGLL), "server", "start"], environment)
    state = read_state(Path(environment["PREFECT_HOME"]))
    if state is None:
        raise RuntimeError("`wgll server start` recorded no server")
    try:
        yield Server(state.api_url, state.pid, first_use)
    finally:
        subprocess.run([str(WGLL), "server", "stop"], env=environment, check=True, stdout=subprocess.DEVNULL)


def _review(
    pdfs: Sequence[Path], folder: Path, server: Server | None, runtime: Path, *options: str
) -> dict[str, float]:
    """A cold ``wgll review`` in its own scratch ``folder``: on ``server``, or (None) the old way."""
    if server is None:
        environment = scratch_environment(folder, runtime, WGLL_PREFECT_SERVER="ephemeral")
    else:
        environment = scratch_environment(folder, runtime, PREFECT_API_URL=server.api_url)
    command = [str(WGLL), "review", *map(str, pdfs), "--out", str(folder / "out"), *options]
    return timed_run(command, environment, also=[server.pid] if server else [])


def bench_single(pdf: Path, pages: int, scratch: Path, server: Server, runtime: Path) -> dict[str, object]:
    """One cold ``wgll review`` of ``pdf`` with the server running, the same with the old
    per-command temporary server, and pdfplumber's ``extract_text`` of the file in this process."""
    ours = _review([pdf], scratch / "single", server, runtime)
    old = _review([pdf], scratch / "single-ephemeral", None, runtime)
    started = time.perf_counter()
    raw_pdfplumber(pdf)
    extract_text = time.perf_counter() - started
    return {
        "document": pdf.name,
        "pages": pages,
        "cold_review": ours,
        "cold_review_ephemeral_server": old,
        "pdfplumber_extract_text_seconds": round(extract_text, 2),
        "over_extract_text": round(ours["seconds"] / extract_text, 2),
        "over_ephemeral_server": round(ours["seconds"] / old["seconds"], 3),
    }


def bench_default(corpus: Path, pages: int, scratch: Path, server: Server, runtime: Path) -> dict[str, object]:
    """``make run``'s commands on ``corpus``, cold then warm, in one scratch folder."""
    documents = len(list(corpus.glob("*.pdf")))
    environment = scratch_environment(scratch, runtime, PREFECT_API_URL=server.api_url)
    out = scratch / "out"
    review = [str(WGLL), "review", str(corpus), "--out", str(out)]
    audit = [str(WGLL), "audit", str(out), "--out", str(out / "audit")]
    also = [server.pid]
    cold_review, cold_audit = timed_run(review, environment, also), timed_run(audit, environment, also)
    warm_review, warm_audit = timed_run(review, environment, also), timed_run(audit, environment, also)
    cold_both = cold_review["seconds"] + cold_audit["seconds"]
    warm_both = warm_review["seconds"] + warm_audit["seconds"]
    return {
        "documents": documents,
        "pages": pages,
        "cold_review": cold_review,
        "cold_audit": cold_audit,
        "warm_review": warm_review,
        "warm_audit": warm_audit,
        "cold_seconds_per_document": round(cold_review["seconds"] / documents, 2),
        "cold_pages_per_second": round(pages / cold_review["seconds"], 2),
        "warm_over_cold": round(warm_review["seconds"] / cold_review["seconds"], 3),
        "review_and_audit_warm_over_cold": round(warm_both / cold_both, 3),
        "peak_rss_mib": max(cold_review["peak_rss_mib"], cold_audit["peak_rss_mib"]),
    }


def bench_scaling(documents: list[Path], scratch: Path, server: Server, runtime: Path) -> dict[str, object]:
    """Cold reviews of ``documents`` on a local Dask cluster of 1, then 2, worker processes, each
    run in its own empty scratch folder."""
    runs = {
        workers: _review(
            documents,
            scratch / f"{workers}-workers",
            server,
            runtime,
            "--task-runner",
            "dask",
            "--workers",
            str(workers),
        )
        for workers in (1, 2)
    }
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
