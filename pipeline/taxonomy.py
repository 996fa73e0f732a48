"""Loads and validates the WGLL taxonomy (``labels/wgll.yaml``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import TaxonomyError

# The seven WGLL success measures, in order: the one list every module and every file uses.
MEASURE_IDS = tuple(f"M{n}" for n in range(1, 8))
CRITERION_ID = re.compile(r"^(M\d+)\.(ICS|ORG)\.(\d+)$")


class Criterion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    level: Literal["ICS", "ORG"]
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    terms: list[str] = Field(min_length=1)
    questions: list[str] = Field(default=[], max_length=5)
    twin: str | None = None  # the criterion of the other level that asks for the same substance

    @property
    def prompt(self) -> str:
        """The text the zero-shot tagger compares passages with."""
        return f"{self.title}. {self.description} {', '.join(self.terms)}."


class Measure(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    terms: list[str] = []
    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _criteria_belong_here(self) -> Measure:
        if self.id not in MEASURE_IDS:
            raise ValueError(f"measure id {self.id!r} is not M1 to M7")
        for criterion in self.criteria:
            match = CRITERION_ID.match(criterion.id)
            if not match or match.group(1) != self.id or match.group(2) != criterion.level:
                raise ValueError(
                    f"criterion id {criterion.id!r} does not fit measure {self.id} at level {criterion.level}"
                )
        return self

    @property
    def prompt(self) -> str:
        return f"{self.name}. {self.description} {', '.join(self.terms)}."


class Taxonomy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    version: str = Field(min_length=1)
    measures: list[Measure] = Field(min_length=7, max_length=7)

    @model_validator(mode="after")
    def _ids_unique_and_complete(self) -> Taxonomy:
        ids = [m.id for m in self.measures]
        if ids != list(MEASURE_IDS):
            raise ValueError(f"measures must be M1..M7 in order, found {ids}")
        criterion_ids = [c.id for m in self.measures for c in m.criteria]
        duplicates = {c for c in criterion_ids if criterion_ids.count(c) > 1}
        if duplicates:
            raise ValueError(f"duplicate criterion ids: {sorted(duplicates)}")
        by_id = {c.id: c for c in self.criteria}
        for criterion in self.criteria:
            if criterion.twin is None:
                continue
            other = by_id.get(criterion.twin)
            if (
                other is None
                or other.twin != criterion.id
                or other.level == criterion.level
                or (self.measure_of(other.id) != self.measure_of(criterion.id))
            ):
                raise ValueError(
                    f"criterion {criterion.id}: twin {criterion.twin!r} must be a criterion of the same measure "
                    f"at the other level that names {criterion.id} as its twin"
                )
        return self

    @property
    def measure_ids(self) -> list[str]:
        return [m.id for m in self.measures]

    @property
    def criteria(self) -> list[Criterion]:
        return [c for m in self.measures for c in m.criteria]

    def measure(self, measure_id: str) -> Measure:
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        raise KeyError(measure_id)

    def measure_of(self, criterion_id: str) -> str:
        return criterion_id.split(".", 1)[0]

    def twin_of(self, criterion_id: str) -> str | None:
        return self._twins.get(criterion_id)

    def substance_of(self, criterion_id: str) -> str:
        """The id a criterion is learnt and scored under: twins share one substance, named by
        the ICS member of the pair; a criterion without a twin is its own substance."""
        twin = self._twins.get(criterion_id)
        return twin if twin is not None and ".ICS." in twin else criterion_id

    @property
    def substances(self) -> list[str]:
        """Every substance once, in taxonomy order (45 for 69 criteria with 24 twin pairs)."""
        return list(dict.fromkeys(self.substance_of(c.id) for c in self.criteria))

    def shown_as(self, criterion_id: str, level: str | None) -> str:
        """The wording a verdict shows for a criterion in a document of ``level`` (``ICS`` or
        ``ORG``): the twin of that level when there is one, else the criterion itself."""
        twin = self._twins.get(criterion_id)
        if twin is not None and level is not None and f".{level}." in twin:
            return twin
        return criterion_id

    @property
    def _twins(self) -> dict[str, str]:
        return {c.id: c.twin for c in self.criteria if c.twin is not None}


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and validate the taxonomy, raising TaxonomyError that names the file and the fault."""
    try:
        # libyaml's loader when PyYAML has it: the same data, ten times faster (80 ms a load in
        # Python, and a command loads the taxonomy three or four times)
        raw = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError as exc:
        raise TaxonomyError(f"{path}: taxonomy file not found") from exc
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{path}: expected a mapping with 'version' and 'measures'")
    try:
        return Taxonomy.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise TaxonomyError(f"{path}: malformed taxonomy: {problems}") from exc
