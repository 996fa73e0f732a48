"""A parsing process started ahead of its call (pipeline.isolated's spare) keeps every guarantee of
one started for the call: same result, the memory limit, errors handed back, and it goes away with
the process that started it."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from pipeline.isolated import ChildCrashed, call_isolated, start_standby


def test_a_spare_serves_the_call_with_its_memory_limit() -> None:
    start_standby("numpy")
    assert call_isolated("numpy:ones", {"shape": 3}, timeout=60, memory_mb=1024).tolist() == [1.0, 1.0, 1.0]
    start_standby("numpy")  # imported before the limit is set: the limit still holds for the call
    with pytest.raises(ChildCrashed) as caught:
        call_isolated("numpy:ones", {"shape": (1024, 1024, 1024)}, timeout=60, memory_mb=512)
    assert caught.value.out_of_memory


def test_a_spare_of_a_module_that_cannot_be_imported_reports_it_when_called() -> None:
    start_standby("no_such_module_here")
    with pytest.raises(ModuleNotFoundError, match="no_such_module_here"):
        call_isolated("no_such_module_here:run", {}, timeout=60, memory_mb=512)


def test_an_unused_spare_exits_with_the_process_that_started_it() -> None:
    starter = (
        "from pipeline.isolated import _spares, start_standby\n"
        "start_standby('json')\n"
        "print(_spares['json'].pid, flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", starter], capture_output=True, text=True, check=True, timeout=60)
    spare = int(done.stdout.split()[-1])
    deadline = time.monotonic() + 30
    while psutil.pid_exists(spare) and psutil.Process(spare).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the spare outlived its parent by 30 s"
        time.sleep(0.1)
