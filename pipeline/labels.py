"""Labelled passages: the training and evaluation data in ``labels/`` and files like it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from pipeline.taxonomy import MEASURE_IDS

REVIEWED = "reviewed"  # origin of a verdict a peer reviewer gave on a passage of a real strategy
PROVENANCE_FIELDS = ("reviewer", "reviewed_on", "writer")


class LabelledPassage(BaseModel):
    """A passage with the measures it evidences; ``source`` groups it with its document (for a
    reviewer's verdict, the id of the strategy it was read in)."""

    id: str = ""
    text: str = Field(min_length=1)
    measures: list[str]
    criteria: list[str] = []
    origin: str = "written"
    source: str = ""
    reviewer: str = ""
    reviewed_on: str = ""  # ISO date of the verdict
    writer: str = ""  # the writing style of a passage written in the register of real documents
    level: str = ""  # ICS or ORG: the kind of organisation whose document the passage imitates

    def identity_json(self) -> str:
        """The record as JSON, with provenance fields only where given, so adding them to the
        schema did not change the hash of labels written before they existed. ``level`` counts
        only beside a ``writer``: the first 1,721 passages carried a level that their hash never
        covered, and still hash as they did."""
        empty = {name for name in PROVENANCE_FIELDS if not getattr(self, name)}
        if not (self.writer and self.level):
            empty.add("level")
        return self.model_dump_json(exclude=empty)


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


def labels_digest(path: Path) -> str:
    """A short hash of a labels file's bytes: reviews that quote labelled passages as the reason
    for a tag carry it, so changed labels give changed results. Cached by size and mtime."""
    stat = Path(path).stat()
    return _digest(Path(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
