"""The embedding cache file is shared by every process on the machine: test workers, Dask workers,
reviews started together."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np

from pipeline.embed import EmbeddingCache


def _open_and_write(path: str, barrier: multiprocessing.synchronize.Barrier, key: str) -> None:
    barrier.wait()
    cache = EmbeddingCache(Path(path))
    try:
        cache.put_many({key: np.ones(4, dtype=np.float32)})
    finally:
        cache.close()


def test_processes_creating_one_new_cache_at_once_all_open_it(tmp_path: Path) -> None:
    """Two xdist workers opening a new cache in the same instant once failed CI with "database is
    locked": SQLite refuses the switch to WAL at once rather than waiting. Without the retry, 5 to 14
    of these 240 openings failed, in every one of 5 runs."""
    context = multiprocessing.get_context("fork")
    for trial in range(40):
        path = tmp_path / str(trial) / "embeddings.sqlite"
        barrier = context.Barrier(6)
        workers = [context.Process(target=_open_and_write, args=(str(path), barrier, f"key {n}")) for n in range(6)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert [worker.exitcode for worker in workers] == [0] * 6, f"trial {trial}"
        cache = EmbeddingCache(path)
        try:
            assert len(cache.get_many([f"key {n}" for n in range(6)])) == 6
        finally:
            cache.close()
