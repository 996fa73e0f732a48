"""`make run` twice on the sample corpus (review, then audit), measured in the same run.

First: empty embedding cache, empty Prefect result storage, empty output folder (the project is
installed already: installing is not timed). Second: the same `make run` again on unchanged
inputs, which finds every review done and the audit current and starts no flow.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed_make_run(out: Path, environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "run", f"OUT={out}"], check=True,
                   env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def bench_make_run(environment: dict[str, str]) -> dict[str, object]:
    """Seconds of the first and the second `make run` and their ratio."""
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        environment = {
            **os.environ,
            **environment,
            "PREFECT_HOME": str(base / "prefect"),
            "WGLL_CACHE_DIR": str(base / "cache"),
        }
        first = timed_make_run(base / "out", environment)
        second = timed_make_run(base / "out", environment)
    return {
        "documents": len(list((ROOT / "corpora" / "sample").glob("*.pdf"))),
        "first_seconds": round(first, 2),
        "second_seconds": round(second, 2),
        "second_over_first": round(second / first, 3),
    }
