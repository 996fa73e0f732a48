"""Cold and warm `wgll review` of the sample corpus, measured in the same run.

Cold: empty embedding cache, empty Prefect result storage, empty output folder. Warm: the same
command again on unchanged inputs, which should find every document in Prefect's cache. Prints
seconds and the warm/cold ratio, and writes them as JSON (default benchmarks/results/rerun.json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WGLL = Path(sys.executable).parent / "wgll"


def timed_review(corpus: Path, out: Path, environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(WGLL), "review", str(corpus), "--out", str(out)], check=True, env=environment,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpora" / "sample")
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
        cold = timed_review(args.corpus, base / "out", environment)
        warm = timed_review(args.corpus, base / "out", environment)
    documents = len(list(args.corpus.glob("*.pdf")))
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
    print(f"{'run':<6}{'seconds':>10}")
    print(f"{'cold':<6}{cold:>10.1f}")
    print(f"{'warm':<6}{warm:>10.1f}")
    print(f"warm/cold {warm / cold:.3f} (speed-up {cold / warm:.1f}x) over {documents} documents")


if __name__ == "__main__":
    main()
