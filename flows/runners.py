"""The task runner a batch runs on, chosen by settings: moving from a laptop to a cluster is
configuration (``WGLL_TASK_RUNNER``, ``WGLL_DASK_ADDRESS``, ``WGLL_WORKERS``), not code."""

from __future__ import annotations

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from pipeline.settings import Settings


def task_runner_for(settings: Settings) -> TaskRunner:
    """Threads in this process by default. With Dask: the scheduler at ``dask_address`` if given,
    else a temporary local cluster of ``workers`` single-threaded processes, each loading the
    embedding model and tagger once, that listens on loopback only."""
    if settings.task_runner == "threads" and settings.dask_address is None:
        return ThreadPoolTaskRunner(max_workers=settings.workers)
    from prefect_dask import DaskTaskRunner

    if settings.dask_address is not None:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": settings.workers,
            "threads_per_worker": 1,
            "processes": True,
            "host": "127.0.0.1",
            "dashboard_address": None,
        }
    )
