"""Runs one function in a separate Python process that can be killed: PDF parsers can loop for
minutes or eat all memory on a hostile file, and a thread cannot be stopped.

A plain ``subprocess`` (``python -m pipeline.isolated``), not ``multiprocessing``: it works inside
daemonic worker processes (Dask) as well as threads. The child limits its own address space before
it runs the function, runs in its own process group (so programs it starts, such as Tesseract, die
with it), and exchanges pickles through files: arguments in, result or exception out.

Each child serves one call and dies, but it can be started ahead of the call (``start_standby``):
it imports the function's module, then waits for its request on standard input. Starting Python
and importing the PDF readers took 0.3-0.4 s of every document's read; a spare started while the
previous document is still being reviewed (or while the command line starts the batch) has it
done. A spare whose parent goes away reads the end of its input and exits.
"""

from __future__ import annotations

import importlib
import os
import pickle
import resource
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

# One thread per native library: the child shares 2 cores with the batch around it.
CHILD_ENVIRONMENT = {
    "OMP_THREAD_LIMIT": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class ChildTimeout(TimeoutError):
    """The child was still running at its time limit and was killed."""


class ChildCrashed(RuntimeError):
    """The child died without a result (killed by a signal, crashed in native code, out of memory)."""

    def __init__(self, reason: str, out_of_memory: bool) -> None:
        self.out_of_memory = out_of_memory
        super().__init__(reason)


_spares: dict[str, subprocess.Popen[bytes]] = {}
_spares_lock = threading.Lock()


def start_standby(module: str) -> None:
    """Have a child that has imported ``module`` wait for the next call to a function of it,
    unless one is waiting already."""
    with _spares_lock:
        spare = _spares.get(module)
        if spare is None or spare.poll() is not None:
            _spares[module] = _start_child(module)


def _take_child(module: str) -> subprocess.Popen[bytes]:
    """The spare child waiting for ``module``, if one is alive, else a new child."""
    with _spares_lock:
        spare = _spares.pop(module, None)
    if spare is not None and spare.poll() is None:
        return spare
    return _start_child(module)


def _start_child(module: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.isolated", module],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env={**os.environ, **CHILD_ENVIRONMENT},
    )


def call_isolated(target: str, kwargs: dict[str, Any], *, timeout: float, memory_mb: int) -> Any:
    """``module:function(**kwargs)`` evaluated in a child process limited to ``memory_mb`` of
    address space and killed after ``timeout`` seconds (the spare waiting for its module, if
    ``start_standby`` left one). Returns its result or re-raises its exception; raises
    ChildTimeout or ChildCrashed when it gives neither."""
    with tempfile.TemporaryDirectory(prefix="wgll-isolated-") as folder:
        request, response = Path(folder) / "request.pickle", Path(folder) / "response.pickle"
        request.write_bytes(pickle.dumps((target, kwargs, memory_mb)))
        process = _take_child(target.split(":")[0])
        try:
            stderr = wait_in_group(process, timeout, f"{request}\n{response}\n".encode())
        except subprocess.TimeoutExpired:
            raise ChildTimeout(f"still running after {timeout:.0f} s") from None
        if not response.is_file():
            raise _crash(process.returncode, stderr.decode(errors="replace"), memory_mb)
        status, value = pickle.loads(response.read_bytes())
    if status == "error":
        raise value
    return value


def wait_in_group(process: subprocess.Popen[bytes], timeout: float, given: bytes | None = None) -> bytes:
    """Give a child started with ``start_new_session=True`` its input and wait for it to end:
    its standard error. It is killed with whatever it started (and ``subprocess.TimeoutExpired``
    raised) at the time limit, on any exception while waiting (an interrupt) and, for what it
    left behind, after a normal end."""
    try:
        _, stderr = process.communicate(given, timeout=max(timeout, 0.0))
    except BaseException:
        kill_group(process)
        raise
    kill_group(process)
    return bytes(stderr)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill a child started with ``start_new_session=True`` and whatever it started, then reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _crash(returncode: int, stderr: str, memory_mb: int) -> ChildCrashed:
    lines = stderr.strip().splitlines()
    out_of_memory = "MemoryError" in stderr or returncode == -signal.SIGKILL
    if returncode < 0:
        how = f"killed by signal {signal.Signals(-returncode).name}"
    else:
        how = f"exit status {returncode}"
    detail = f": {lines[-1]}" if lines else ""
    limit = f" (memory limit {memory_mb} MB)" if out_of_memory else ""
    return ChildCrashed(f"the parsing process died, {how}{limit}{detail}", out_of_memory)


def _wait_and_serve(module: str) -> None:
    """The child's side: import ``module`` (an import error is met again, and reported, when the
    function is looked up), then serve the request named on standard input, if one comes."""
    try:
        importlib.import_module(module)
    except Exception:  # noqa: BLE001, S110 - raised again by _serve, inside the outcome it reports
        pass
    request, response = sys.stdin.readline().strip(), sys.stdin.readline().strip()
    if request and response:
        _serve(Path(request), Path(response))
        # The response is written: end without Python's teardown, which frees every object the
        # readers made (60-110 ms of each read of the benchmark corpus) while the parent waits.
        sys.stderr.flush()
        os._exit(0)


def _serve(request: Path, response: Path) -> None:
    """Limit memory, run the function, write ("ok", result) or ("error", exc)."""
    target, kwargs, memory_mb = pickle.loads(request.read_bytes())
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    module_name, function_name = target.split(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
        outcome: tuple[str, Any] = ("ok", function(**kwargs))
    except MemoryError:
        raise  # no memory left to pickle anything: the parent reports the crash
    except Exception as exc:  # handed back to the caller, which decides what it means
        outcome = ("error", exc)
    try:
        payload = pickle.dumps(outcome)
    except Exception:  # some parser exceptions cannot be pickled; their text can
        payload = pickle.dumps(("error", RuntimeError(repr(outcome[1]))))
    partial = response.with_suffix(".partial")
    partial.write_bytes(payload)
    partial.rename(response)  # the parent sees a whole response or none


if __name__ == "__main__":
    _wait_and_serve(sys.argv[1])
