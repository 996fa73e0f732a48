"""Labelled passages: the training and evaluation data in ``labels/`` and files like it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

MEASURE_IDS = tuple(f"M{n}" for n in range(1, 8))


class LabelledPassage(BaseModel):
    """A passage with the measures it evidences; ``source`` groups it with its document."""

    id: str = ""
    text: str = Field(min_length=1)
    measures: list[str]
    criteria: list[str] = []
    origin: str = "written"
    source: str = ""


def read_labelled(path: Path, measure_ids: Sequence[str] = MEASURE_IDS) -> list[LabelledPassage]:
    """Read a JSONL file of labelled passages, naming the line of any malformed record."""
    records = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                record = LabelledPassage.model_validate(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}, line {number}: {exc}") from exc
            unknown = set(record.measures) - set(measure_ids)
            if unknown:
                raise ValueError(f"{path}, line {number}: unknown measure id(s) {sorted(unknown)}")
            records.append(record)
    return records


def indicator_matrix(labelled: list[LabelledPassage], measure_ids: list[str]) -> np.ndarray:
    return np.array([[int(m in p.measures) for m in measure_ids] for p in labelled], dtype=int)
