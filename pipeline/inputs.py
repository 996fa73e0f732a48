"""Checks the paths a batch is asked to review before anything starts: a path that does not exist, a
folder without a PDF or a manifest that cannot be read is the caller's mistake, reported at once and
by name, not a document failing minutes later under an invented id. Cheap to import (no models)."""

from __future__ import annotations

import csv
from pathlib import Path

from pydantic import BaseModel

from pipeline.manifest import BatchItem, items_from, manifest_of


class InputProblem(BaseModel):
    """One unusable path and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class Inputs(BaseModel):
    """The documents the good paths stand for, and every path that could not be used."""

    items: list[BatchItem] = []
    problems: list[InputProblem] = []


def gather_inputs(paths: list[Path]) -> Inputs:
    """Every path checked: each must exist, a folder must hold a PDF or a manifest, a manifest must
    be readable CSV with the expected columns and name files that exist. Rows refused for pointing
    outside their manifest's folder stay in the batch (listed as ``refused``, never opened)."""
    gathered = Inputs()
    for path in paths:
        items, problems = _check(path)
        gathered.items.extend(items)
        gathered.problems.extend(problems)
    return gathered


def _check(path: Path) -> tuple[list[BatchItem], list[InputProblem]]:
    if not path.exists():
        return [], [InputProblem(path=str(path), reason="no such file or folder")]
    manifest = manifest_of(path)
    try:
        items = items_from(path)
    except (OSError, ValueError, csv.Error) as error:  # UnicodeDecodeError is a ValueError
        where, text = manifest or path, str(error)
        named = text.startswith(f"{where}: ")  # read_manifest's own errors name the file already
        return [], [
            InputProblem(
                path=str(where), reason=text.removeprefix(f"{where}: ") if named else f"cannot be read ({text})"
            )
        ]
    if not items:
        reason = "manifest lists no documents" if manifest else "folder holds no PDF (*.pdf) and no manifest.csv"
        return [], [InputProblem(path=str(manifest or path), reason=reason)]
    if manifest is None:
        return items, []
    found: list[BatchItem] = []
    problems: list[InputProblem] = []
    for item in items:
        if item.refusal is None and not item.path.exists():
            problems.append(InputProblem(path=str(item.path), reason=f"listed in {manifest} but not found"))
        else:
            found.append(item)
    return found, problems
