"""`make run` twice on the sample corpus (review, then audit), measured in the same run.

Cold: empty embedding cache, empty Prefect result storage, empty output folder (the project is
installed already: installing is not timed). Warm: the same `make run` again on unchanged inputs,
which finds every review done and the audit current and starts no flow. Prints seconds and the
ratio, and writes them as JSON (default benchmarks/results/rerun.json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed_make_run(out: Path, environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "run", f"OUT={out}"], check=True,
                   env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "rerun.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        environment = {
            **os.environ,
            "PREFECT_HOME": str(base / "prefect"),
            "WGLL_CACHE_DIR": str(base / "cache"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        cold = timed_make_run(base / "out", environment)
        warm = timed_make_run(base / "out", environment)
    documents = len(list((ROOT / "corpora" / "sample").glob("*.pdf")))
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "documents": documents,
        "cold_seconds": round(cold, 2),
        "warm_seconds": round(warm, 2),
        "warm_over_cold": round(warm / cold, 3),
        "speed_up": round(cold / warm, 2),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'make run':<10}{'seconds':>10}")
    print(f"{'first':<10}{cold:>10.1f}")
    print(f"{'second':<10}{warm:>10.1f}")
    print(f"second/first {warm / cold:.3f} (speed-up {cold / warm:.1f}x, target >= 5x) over {documents} documents")


if __name__ == "__main__":
    main()
