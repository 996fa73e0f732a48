"""Where a cold review of one document spends its time, stage by stage, measured on the pipeline's
own sequence: a fresh process (empty embedding cache, the exported embedding graph borrowed from
the first use, as a user's every review after it) runs the function a review task runs
(``flows.tasks.run_review``: preloading, ``pipeline.review.review_item``, writing the files), with
each stage function it calls wrapped in a timer. Nothing of the sequence is copied here, so the
figures follow the pipeline as it changes; a stage that is no longer called is reported as such.

Run by bench.py; by hand: ``python benchmarks/bench_stages.py PDF`` prints the JSON.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any

# Stage name -> where the review task's code looks the function up when it calls it.
STAGES: dict[str, tuple[str, str]] = {
    "read": ("pipeline.review", "read_document"),
    "segment": ("pipeline.review", "split_passages"),
    "embed": ("pipeline.review", "embed_passages"),
    "tag": ("pipeline.review", "tag_passages"),
    "criteria": ("pipeline.review", "credit_criteria"),
    "coverage": ("pipeline.review", "assess_coverage"),
    "explain": ("pipeline.review", "explain_coverage"),
    "withhold": ("pipeline.review", "withhold_silence"),
    "scope": ("pipeline.review", "scope_warnings"),
    "commitments": ("pipeline.review", "find_commitments"),
    "json_and_html": ("pipeline.outputs", "write_outputs"),
    "pack_html_and_pdf": ("pipeline.outputs", "write_pack"),
}
# What the preloading thread (pipeline.runtime.preload) loads while the PDF is read: its time
# overlaps reading, and a stage that needs one of them waits for it.
LOADS: dict[str, tuple[str, str]] = {
    "load_segmenter": ("pipeline.runtime", "build_segmenter"),
    "load_tagger": ("pipeline.runtime", "load_components"),
    "load_embedding_model": ("pipeline.runtime", "load_encoder"),
}


@contextmanager
def timed_calls(
    targets: dict[str, tuple[str, str]], seconds: dict[str, float], thread: str | None = None
) -> Iterator[None]:
    """Add the wall seconds of every call of each target function to ``seconds[name]``, made in
    any thread or only in the thread named ``thread``, for the length of the context."""
    lock = threading.Lock()
    originals: list[tuple[Any, str, Callable[..., Any]]] = []

    def timer(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if thread is not None and threading.current_thread().name != thread:
                return function(*args, **kwargs)
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                with lock:
                    seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started

        return timed

    for name, (module_name, attribute) in targets.items():
        module = importlib.import_module(module_name)
        original = getattr(module, attribute)
        originals.append((module, attribute, original))
        setattr(module, attribute, timer(name, original))
    try:
        yield
    finally:
        for module, attribute, original in originals:
            setattr(module, attribute, original)


def review_once(pdf: Path, runtime: Path | None = None) -> dict[str, object]:
    """One cold review of ``pdf`` in this process, with its stages timed. The modules whose
    functions are timed are imported first (scikit-learn with the tagger's module, which a review
    otherwise imports in its preloading thread), and counted, with building the batch's versions, as
    ``import_seconds``. ``runtime``: an ``embedding-runtime`` folder holding the exported graph,
    borrowed by the empty cache."""
    started = time.perf_counter()
    from flows.tasks import run_review
    from pipeline.manifest import BatchItem
    from pipeline.settings import Settings
    from pipeline.versions import current_versions

    stages: dict[str, float] = {}
    loads: dict[str, float] = {}
    preloading = timed_calls(LOADS, loads, thread="wgll-preload")
    with tempfile.TemporaryDirectory() as scratch, timed_calls(STAGES, stages), preloading:
        settings = Settings(cache_dir=Path(scratch) / "cache")
        if runtime is not None:
            settings.cache_dir.mkdir()
            (settings.cache_dir / "embedding-runtime").symlink_to(runtime)
        versions = current_versions(settings)  # once per batch, not part of a review
        imported = time.perf_counter()
        result = run_review.fn(BatchItem(path=pdf), settings, versions, Path(scratch) / "out")
        total = time.perf_counter() - imported
    return {
        "document": pdf.name,
        "pages": result.review.document.pages,
        "passages": len(result.passages),
        "errors": [error.code for error in result.review.errors],
        "import_seconds": round(imported - started, 2),
        "review_seconds": round(total, 2),
        **{f"{name}_seconds": round(stages[name], 2) if name in stages else "not called" for name in STAGES},
        "other_seconds": round(total - sum(stages.values()), 2),
        "preloading_thread": {f"{name}_seconds": round(value, 2) for name, value in loads.items()},
    }


def bench_stages(pdf: Path, runtime: Path | None = None) -> dict[str, object]:
    """``review_once`` in a new process, so that every load and cache is cold (but the exported
    embedding graph in ``runtime``, when given)."""
    command = [sys.executable, __file__, str(pdf), *([str(runtime)] if runtime else [])]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"timing the stages of {pdf.name} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    print(json.dumps(review_once(Path(sys.argv[1]).resolve(), Path(sys.argv[2]) if len(sys.argv) > 2 else None)))
