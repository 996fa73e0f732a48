"""The task runner a batch runs on, chosen by settings: moving from a laptop to a cluster is
configuration (``WGLL_TASK_RUNNER``, ``WGLL_DASK_ADDRESS``, ``WGLL_WORKERS``), not code."""

from __future__ import annotations

from typing import Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from pipeline.settings import Settings


def task_runner_for(settings: Settings) -> TaskRunner[Any]:
    """Threads in this process by default. With Dask: the scheduler at ``dask_address`` if given,
    else a temporary local cluster of ``workers`` single-threaded processes, each loading the
    embedding model and tagger once, that listens on loopback only."""
    if settings.task_runner == "threads" and settings.dask_address is None:
        return ThreadPoolTaskRunner(max_workers=settings.workers)
    from prefect_dask import DaskTaskRunner

    if settings.dask_address is not None:
        return DaskTaskRunner(address=settings.dask_address)
    _quiet_local_workers()
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": settings.workers,
            "threads_per_worker": 1,
            "processes": True,
            "host": "127.0.0.1",
            "dashboard_address": None,
            "env": _prefect_api_for_workers(),
        }
    )


def _quiet_local_workers() -> None:
    """Dask's workers sample every thread's stack 100 times a second for a dashboard that the
    local cluster does not serve: about 4% of a worker's time here. The setting reaches the
    workers because each nanny hands its configuration to the process it starts."""
    import dask

    dask.config.set({"distributed.worker.profile.enabled": False})


def _prefect_api_for_workers() -> dict[str, str]:
    """Without a Prefect server configured, this process runs Prefect's temporary one; started
    now, its address goes to the local workers, which would otherwise each start a server of their
    own (about 220 MiB and a start-up each, with their task runs recorded apart from the flow's)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return {}
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the instance Prefect's own client uses in this process
    server.start()
    return {"PREFECT_API_URL": server.api_url}
