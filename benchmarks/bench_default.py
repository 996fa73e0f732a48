"""`make bench`'s "default" section alone (benchmarks/bench_review.py's ``bench_default``: `wgll
review` then `wgll audit` on the generated corpus, cold then warm), as bench.py runs it: the
embedding graph exported first, one background Prefect server for every command. About 2 minutes
instead of 10, for comparing two trees side by side: run it with each tree's own Python, in turn.

    .venv/bin/python benchmarks/bench_default.py [--documents 6] [--runs 1]

Prints one JSON line per run (the section's figures and the load average around it)."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from bench_corpus import ensure_corpus
from bench_review import background_server, bench_default, first_use_runtime

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT / "benchmarks" / "corpus")
    parser.add_argument("--documents", type=int, default=6)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--runs", type=int, default=1, help="cold-then-warm runs, each in a new scratch folder")
    args = parser.parse_args()
    ensure_corpus(args.corpus, args.documents, args.seed)
    with tempfile.TemporaryDirectory() as scratch:
        runtime, _ = first_use_runtime(Path(scratch) / "runtime")
        with background_server(Path(scratch)) as server:
            for run in range(args.runs):
                start = os.getloadavg()[0]
                # pages only feed the pages/s figure, which bench.py reports; 0 keeps it out of the way
                figures = bench_default(args.corpus, 0, Path(scratch) / f"default-{run}", server, runtime)
                figures["load_average"] = [round(start, 2), round(os.getloadavg()[0], 2)]
                print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
