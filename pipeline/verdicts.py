"""Reviewers' verdicts back into ``labels/``: read a filled-in review CSV or a Label Studio
export, check every row, and append the verdicts as labelled passages with their provenance.

Nothing is written unless the whole file is sound, and an earlier label is never overwritten:
a verdict that contradicts one is listed as a conflict and left out.
"""

from __future__ import annotations

import csv
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pipeline.errors import ReviewFileError
from pipeline.labels import REVIEWED, LabelledPassage, read_labelled
from pipeline.review_queue import LABEL_STUDIO_CHOICES, LABEL_STUDIO_CRITERIA, LIST_SEPARATOR, NO_MEASURE
from pipeline.taxonomy import Taxonomy


class Verdict(BaseModel):
    """What a reviewer said of one passage; ``where`` names its row in the file."""

    where: str
    passage_id: str
    text: str
    measures: list[str]
    criteria: list[str] = []
    reviewer: str = ""
    document_id: str = ""


class LabelConflict(BaseModel):
    """A verdict that contradicts an earlier label of the same passage (same id or same text)."""

    where: str
    passage_id: str
    verdict: list[str]
    earlier_id: str
    earlier: list[str]
    earlier_origin: str


class MergeReport(BaseModel):
    added: list[LabelledPassage]
    unchanged: int
    conflicts: list[LabelConflict]


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", LIST_SEPARATOR).split(LIST_SEPARATOR) if part.strip()]


def _verdict_problems(where: str, measures: list[str], criteria: list[str], taxonomy: Taxonomy) -> list[str]:
    problems = []
    unknown = [m for m in measures if m not in taxonomy.measure_ids and m != NO_MEASURE]
    if unknown:
        problems.append(
            f"{where}: unknown measure id(s) {unknown}; use {', '.join(taxonomy.measure_ids)} or '{NO_MEASURE}'"
        )
    if NO_MEASURE in measures and len(measures) > 1:
        problems.append(f"{where}: '{NO_MEASURE}' given together with measures {measures}")
    known_criteria = {c.id for c in taxonomy.criteria}
    for criterion in criteria:
        if criterion not in known_criteria:
            problems.append(f"{where}: unknown criterion id {criterion!r}")
        elif taxonomy.measure_of(criterion) not in measures:
            problems.append(
                f"{where}: criterion {criterion} belongs to {taxonomy.measure_of(criterion)}, "
                "which the verdict does not name"
            )
    return problems


def _csv_verdicts(path: Path, taxonomy: Taxonomy, reviewer: str) -> tuple[list[Verdict], list[str]]:
    """Rows are numbered as a spreadsheet shows them: the header is row 1."""
    verdicts, problems = [], []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"passage_id", "text", "verdict_measures"} - set(reader.fieldnames or [])
        if missing:
            return [], [f"header (row 1): missing column(s) {sorted(missing)}"]
        for number, row in enumerate(reader, start=2):
            where = f"row {number}"
            measures = _split(row.get("verdict_measures") or "")
            criteria = _split(row.get("verdict_criteria") or "")
            if not measures:
                if criteria:
                    problems.append(f"{where}: criteria given but no verdict_measures")
                continue  # not reviewed
            if not (row.get("passage_id") or "").strip():
                problems.append(f"{where}: no passage_id")
                continue
            problems += _verdict_problems(where, measures, criteria, taxonomy)
            verdicts.append(
                Verdict(
                    where=where,
                    passage_id=row["passage_id"].strip(),
                    text=row.get("text") or "",
                    measures=measures,
                    criteria=criteria,
                    reviewer=(row.get("reviewer") or "").strip() or reviewer,
                )
            )
    return verdicts, problems


def _annotator(annotation: Mapping[str, Any]) -> str:
    who = annotation.get("completed_by", "")
    if isinstance(who, Mapping):
        who = who.get("email") or who.get("id", "")
    return str(who)


def _choices(annotation: Mapping[str, Any], control: str) -> list[str]:
    """The values chosen in one Choices control of a Label Studio annotation."""
    return sorted(
        {
            choice
            for result in annotation.get("result") or []
            if result.get("from_name") == control and result.get("type") == "choices"
            for choice in (result.get("value") or {}).get("choices") or []
        }
    )


def _label_studio_verdicts(path: Path, taxonomy: Taxonomy, reviewer: str) -> tuple[list[Verdict], list[str]]:
    """Tasks are numbered from 1 in file order; Label Studio's own task id is named too."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return [], [f"not valid JSON (line {exc.lineno}: {exc.msg})"]
    if not isinstance(tasks, list):
        return [], ["expected a list of Label Studio tasks (export format JSON)"]
    verdicts, problems = [], []
    for number, task in enumerate(tasks, start=1):
        where = f"task {number}" + (f" (id {task['id']})" if isinstance(task, dict) and "id" in task else "")
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict):
            problems.append(f"{where}: no 'data' object")
            continue
        answers = []
        for annotation in task.get("annotations") or []:
            if annotation.get("was_cancelled"):
                continue
            choices = _choices(annotation, LABEL_STUDIO_CHOICES)
            if choices:
                answers.append((choices, _choices(annotation, LABEL_STUDIO_CRITERIA), _annotator(annotation)))
        if not answers:
            continue  # not annotated
        if len({(tuple(m), tuple(c)) for m, c, _ in answers}) > 1:
            problems.append(f"{where}: conflicting verdicts from its annotations: {[m + c for m, c, _ in answers]}")
            continue
        if not str(data.get("passage_id") or "").strip():
            problems.append(f"{where}: no data.passage_id")
            continue
        measures, criteria = answers[0][0], answers[0][1]
        problems += _verdict_problems(where, measures, criteria, taxonomy)
        who = ",".join(sorted({w for _, _, w in answers if w})) or reviewer
        verdicts.append(
            Verdict(
                where=where,
                passage_id=str(data["passage_id"]).strip(),
                text=str(data.get("text") or ""),
                measures=measures,
                criteria=criteria,
                reviewer=who,
            )
        )
    return verdicts, problems


def _conflicting_rows(verdicts: Sequence[Verdict]) -> list[str]:
    first: dict[str, Verdict] = {}
    problems = []
    for verdict in verdicts:
        earlier = first.setdefault(verdict.passage_id, verdict)
        if earlier is not verdict and (set(earlier.measures), set(earlier.criteria)) != (
            set(verdict.measures),
            set(verdict.criteria),
        ):
            problems.append(
                f"{verdict.where}: conflicting verdicts on passage {verdict.passage_id}: "
                f"{earlier.where} says {earlier.measures}, this row {verdict.measures}"
            )
    return problems


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _check_passages(
    verdicts: Sequence[Verdict], stored: Mapping[str, list[tuple[str, str]]]
) -> tuple[list[Verdict], list[str]]:
    """Each verdict's passage must be one the store holds, with the text the reviewer read."""
    checked, problems = [], []
    for verdict in verdicts:
        versions = stored.get(verdict.passage_id)
        if not versions:
            problems.append(f"{verdict.where}: passage {verdict.passage_id} is not in the results store")
            continue
        match = [(text, doc) for text, doc in versions if _normalised(text) == _normalised(verdict.text)]
        if not match:
            problems.append(
                f"{verdict.where}: the text given for passage {verdict.passage_id} is not the stored passage's text"
            )
            continue
        text, document_id = match[0]
        checked.append(verdict.model_copy(update={"text": text, "document_id": document_id}))
    return checked, problems


READERS: dict[str, Callable[[Path, Taxonomy, str], tuple[list[Verdict], list[str]]]] = {
    ".csv": _csv_verdicts,
    ".json": _label_studio_verdicts,
}


def read_verdicts(
    path: Path,
    taxonomy: Taxonomy,
    stored_texts: Callable[[Iterable[str]], Mapping[str, list[tuple[str, str]]]],
    reviewer: str = "",
) -> list[Verdict]:
    """Every verdict in a review CSV or Label Studio export, checked row by row against the
    taxonomy, each other and the passages ``stored_texts`` finds; raises ReviewFileError listing
    every faulty row. Rows with no verdict are skipped (not reviewed yet)."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ReviewFileError(path, [f"unknown file type {path.suffix!r}: give a .csv or a Label Studio .json export"])
    try:
        verdicts, problems = reader(path, taxonomy, reviewer)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ReviewFileError(path, [f"cannot be read ({exc})"]) from exc
    problems += _conflicting_rows(verdicts)
    checked, missing = _check_passages(verdicts, stored_texts(v.passage_id for v in verdicts))
    problems += missing
    if problems:
        raise ReviewFileError(path, problems)
    unique = {v.passage_id: v for v in reversed(checked)}  # identical repeats: keep the first row
    return [v for v in checked if unique[v.passage_id] is v]


def _as_label(verdict: Verdict, today: date) -> LabelledPassage:
    return LabelledPassage(
        id=verdict.passage_id,
        text=verdict.text,
        measures=[m for m in verdict.measures if m != NO_MEASURE],
        criteria=verdict.criteria,
        origin=REVIEWED,
        source=verdict.document_id,
        reviewer=verdict.reviewer,
        reviewed_on=today.isoformat(),
    )


def merge_verdicts(
    verdicts: Sequence[Verdict], labels_path: Path, taxonomy: Taxonomy, today: date | None = None
) -> MergeReport:
    """Append the verdicts to the labels file as ``reviewed`` passages. A verdict agreeing with
    an earlier label of the same passage (same id, or same text) adds nothing; one contradicting
    it is reported as a conflict and not written. The file is replaced in one step."""
    existing = read_labelled(labels_path, taxonomy.measure_ids)
    by_id = {p.id: p for p in existing if p.id}
    by_text = {_normalised(p.text): p for p in existing}
    added, conflicts, unchanged = [], [], 0
    for verdict in verdicts:
        label = _as_label(verdict, today or date.today())
        earlier = by_id.get(label.id) or by_text.get(_normalised(label.text))
        if earlier is None:
            added.append(label)
            by_id[label.id] = by_text[_normalised(label.text)] = label
        elif set(earlier.measures) == set(label.measures) and (
            not label.criteria or set(earlier.criteria) == set(label.criteria)
        ):
            unchanged += 1
        else:
            conflicts.append(
                LabelConflict(
                    where=verdict.where,
                    passage_id=label.id,
                    verdict=label.measures,
                    earlier_id=earlier.id,
                    earlier=earlier.measures,
                    earlier_origin=earlier.origin,
                )
            )
    if added:
        _append_lines(labels_path, [json.dumps(json.loads(p.identity_json()), ensure_ascii=False) for p in added])
    return MergeReport(added=added, unchanged=unchanged, conflicts=conflicts)


def _append_lines(path: Path, lines: list[str]) -> None:
    """Write the old content plus ``lines`` to a temporary file and swap it in, so a crash
    never leaves a half-written labels file."""
    old = path.read_text(encoding="utf-8")
    if old and not old.endswith("\n"):
        old += "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(old + "\n".join(lines) + "\n")
        os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
