"""What the ``wgll`` commands share: the exit-status text, the options several commands take, and
the settings they make from the environment and those options."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from pipeline.settings import Settings

EXIT_STATUS = (
    "Exit status: 0 when everything asked for was done; 1 when a command ran but part of it failed (a document "
    "ended in an error code such as corrupt, needs_ocr or encrypted, a model was not saved, a file was not "
    "imported); 2 for a usage error, reported before any work starts (an unknown option, a path that does not "
    "exist, a folder without a PDF, a manifest that cannot be read)."
)
ModelOption = Annotated[str | None, typer.Option(help="sentence-transformers model name or folder.")]
TaggerOption = Annotated[
    Path | None, typer.Option(exists=True, dir_okay=False, help="A fitted tagger (.joblib with its .json card).")
]
LabelsOption = Annotated[
    Path | None,
    typer.Option(exists=True, dir_okay=False, help="Labelled passages (JSONL); default labels/passages.jsonl."),
]


WorkersOption = Annotated[
    int | None,
    typer.Option(min=1, help="Documents reviewed at once: threads, or local Dask worker processes (default 2)."),
]
TaskRunnerOption = Annotated[
    str | None, typer.Option(help="threads (default) or dask (worker processes; see docs/scale-out.md).")
]
DaskAddressOption = Annotated[
    str | None,
    typer.Option(help="Scheduler of a running Dask cluster, e.g. tcp://host:8786 (implies --task-runner dask)."),
]


ReviewsOption = Annotated[
    Path, typer.Option(exists=True, file_okay=False, help="Folder holding the reviews and their store (wgll.sqlite).")
]


def cli_settings(
    embedding_model: str | None = None,
    tagger: Path | None = None,
    cache_dir: Path | None = None,
    workers: int | None = None,
    task_runner: str | None = None,
    dask_address: str | None = None,
) -> Settings:
    """Settings from the environment, with the options given on the command line on top; an invalid
    value is reported as a usage error naming the option."""
    from pydantic import ValidationError

    from pipeline.settings import Settings

    overrides: dict[str, Any] = {
        "embedding_model": embedding_model,
        "tagger_path": tagger,
        "cache_dir": cache_dir,
        "workers": workers,
        "task_runner": "dask" if dask_address and task_runner is None else task_runner,
        "dask_address": dask_address,
    }
    try:
        return Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as error:
        problem = error.errors()[0]
        option = "--" + str(problem["loc"][0]).replace("_", "-")
        raise typer.BadParameter(problem["msg"], param_hint=option) from error
