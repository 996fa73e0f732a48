"""The passages most worth a reviewer's look, written as a CSV and as Label Studio tasks.

Uncertainty sampling over a reviewed document's passages: scores close to a measure's threshold,
passages where the zero-shot tagger (which knows only the taxonomy's wording) and the trained
tagger disagree, and every evidence passage behind a ``weak`` verdict, where one wrong tag
decides the status. Each row leaves empty columns for the reviewer's verdict.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from pipeline.document_facts import criteria_level
from pipeline.store import StoredReview
from pipeline.taxonomy import Taxonomy

NO_MEASURE = "none"  # the verdict that a passage evidences no measure
LIST_SEPARATOR = ";"
VERDICT_COLUMNS = ("verdict_measures", "verdict_criteria", "reviewer", "comment")
LABEL_STUDIO_CHOICES = "measures"  # the Choices tag name in the labelling config
LABEL_STUDIO_CRITERIA = "criteria"  # the Choices tag of the criterion verdicts


class QueueRow(BaseModel):
    """One passage for review: where it is, what the taggers said, and why it was chosen."""

    passage_id: str
    document_id: str
    file: str
    pages: list[int]
    heading: str | None
    text: str
    predicted_measures: list[str]
    predicted_criteria: list[str]
    scores: dict[str, float]
    zero_shot: dict[str, float]
    reasons: list[str]


def select_for_review(
    stored: Sequence[StoredReview],
    zero_shot: Mapping[str, Mapping[str, float]],
    zero_shot_thresholds: Mapping[str, float],
    margin: float,
    limit: int,
    taxonomy: Taxonomy | None = None,
) -> list[QueueRow]:
    """Every evidence passage of a weak measure, then up to ``limit`` others ranked by how close
    a score is to its threshold (passages flagged for both closeness and disagreement first).
    ``zero_shot`` maps passage ids to the zero-shot tagger's probabilities. With the
    ``taxonomy``, predicted criteria are named in the wording of the document's level."""
    ranked: list[tuple[tuple[int, int, float], QueueRow]] = []
    for item in stored:
        thresholds = item.review.model.thresholds
        level = criteria_level(item.review.document.organisation_level)
        weak = {e.passage_id: m.id for m in item.review.measures if m.status == "weak" for e in m.evidence}
        passages = {p.passage_id: p for p in item.passages}
        for tag in item.tags:
            passage = passages[tag.passage_id]
            second = zero_shot[tag.passage_id]
            predicted = [m for m, p in tag.scores.items() if p >= thresholds[m]]
            near = [m for m, p in tag.scores.items() if abs(p - thresholds[m]) <= margin]
            disagree = [
                m for m, p in tag.scores.items() if (p >= thresholds[m]) != (second[m] >= zero_shot_thresholds[m])
            ]
            reasons = (
                ([f"weak {weak[tag.passage_id]}"] if tag.passage_id in weak else [])
                + [f"near threshold {m} ({tag.scores[m]:.2f} vs {thresholds[m]:.2f})" for m in near]
                + [f"zero-shot disagrees on {m} ({second[m]:.2f})" for m in disagree]
            )
            if not reasons:
                continue
            closest = min(abs(p - thresholds[m]) for m, p in tag.scores.items())
            key = (0 if tag.passage_id in weak else 1, 0 if near and disagree else 1, closest)
            ranked.append(
                (
                    key,
                    QueueRow(
                        passage_id=passage.passage_id,
                        document_id=passage.document_id,
                        file=item.review.document.file,
                        pages=passage.pages,
                        heading=passage.heading,
                        text=passage.text,
                        predicted_measures=predicted,
                        predicted_criteria=[
                            taxonomy.shown_as(c, level) if taxonomy else c
                            for m in predicted
                            for c in tag.criteria.get(m, [])
                        ],
                        scores=tag.scores,
                        zero_shot={m: round(float(p), 4) for m, p in second.items()},
                        reasons=reasons,
                    ),
                )
            )
    ranked.sort(key=lambda pair: pair[0])
    weak_rows = [row for key, row in ranked if key[0] == 0]
    return weak_rows + [row for key, row in ranked if key[0] == 1][:limit]


def zero_shot_scores(
    passage_ids: Sequence[str], probabilities: np.ndarray, measure_ids: Sequence[str]
) -> dict[str, dict[str, float]]:
    return {
        pid: dict(zip(measure_ids, map(float, row), strict=False))
        for pid, row in zip(passage_ids, probabilities, strict=False)
    }


def _joined(values: Sequence[object]) -> str:
    return LIST_SEPARATOR.join(str(v) for v in values)


def write_csv(rows: Sequence[QueueRow], path: Path, measure_ids: Sequence[str]) -> Path:
    """One row per passage; the verdict columns are left empty for the reviewer."""
    columns = [
        "passage_id",
        "document_id",
        "file",
        "pages",
        "heading",
        "text",
        "reasons",
        "predicted_measures",
        "predicted_criteria",
        *(f"score_{m}" for m in measure_ids),
        *(f"zero_shot_{m}" for m in measure_ids),
        *VERDICT_COLUMNS,
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    "passage_id": row.passage_id,
                    "document_id": row.document_id,
                    "file": row.file,
                    "pages": _joined(row.pages),
                    "heading": row.heading or "",
                    "text": row.text,
                    "reasons": _joined(row.reasons),
                    "predicted_measures": _joined(row.predicted_measures),
                    "predicted_criteria": _joined(row.predicted_criteria),
                    **{f"score_{m}": f"{row.scores[m]:.4f}" for m in measure_ids},
                    **{f"zero_shot_{m}": f"{row.zero_shot[m]:.4f}" for m in measure_ids},
                    **dict.fromkeys(VERDICT_COLUMNS, ""),
                }
            )
    return path


def label_studio_tasks(rows: Sequence[QueueRow], model_version: str) -> list[dict[str, object]]:
    """Label Studio import tasks: the passage in ``data`` and the tagger's measures and criteria
    as a pre-annotation (``predictions``), which the reviewer accepts or corrects."""
    return [
        {
            "data": {
                "text": row.text,
                "passage_id": row.passage_id,
                "document_id": row.document_id,
                "file": row.file,
                "pages": ", ".join(map(str, row.pages)),
                "heading": row.heading or "",
                "reasons": "; ".join(row.reasons),
                "predicted_criteria": ", ".join(row.predicted_criteria),
            },
            "predictions": [
                {
                    "model_version": model_version,
                    "score": round(max(row.scores.values()), 4),
                    "result": [
                        {
                            "from_name": LABEL_STUDIO_CHOICES,
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": row.predicted_measures or [NO_MEASURE]},
                        }
                    ]
                    + (
                        [
                            {
                                "from_name": LABEL_STUDIO_CRITERIA,
                                "to_name": "text",
                                "type": "choices",
                                "value": {"choices": row.predicted_criteria},
                            }
                        ]
                        if row.predicted_criteria
                        else []
                    ),
                }
            ],
        }
        for row in rows
    ]


def label_studio_config(taxonomy: Taxonomy) -> str:
    """The labelling interface the tasks are meant for: choice values are the measure ids, and
    the criterion ids of each measure the passage evidences (the wording of the document's level
    for a twin; either is read as the pair)."""
    choices = "\n".join(f'    <Choice value="{m.id}" hint="{_attribute(m.name)}"/>' for m in taxonomy.measures)
    criteria = "\n".join(f'    <Choice value="{c.id}" hint="{_attribute(c.title)}"/>' for c in taxonomy.criteria)
    return (
        "<View>\n"
        '  <Header value="Which WGLL measures does this passage evidence?"/>\n'
        '  <Text name="text" value="$text"/>\n'
        '  <Text name="where" value="$file, pages $pages: $heading"/>\n'
        f'  <Choices name="{LABEL_STUDIO_CHOICES}" toName="text" choice="multiple" required="true">\n'
        f"{choices}\n"
        f'    <Choice value="{NO_MEASURE}" hint="evidences no measure"/>\n'
        "  </Choices>\n"
        '  <Header value="Which criteria of those measures does it evidence? (all that apply)"/>\n'
        f'  <Choices name="{LABEL_STUDIO_CRITERIA}" toName="text" choice="multiple" required="false">\n'
        f"{criteria}\n"
        "  </Choices>\n"
        "</View>\n"
    )


def _attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def write_queue(rows: Sequence[QueueRow], out: Path, taxonomy: Taxonomy, model_version: str) -> list[Path]:
    """``out`` as CSV, with the Label Studio tasks (``.json``) and labelling config
    (``.label-config.xml``) beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    csv_path = write_csv(rows, out.with_suffix(".csv"), taxonomy.measure_ids)
    tasks_path = out.with_suffix(".json")
    tasks_path.write_text(
        json.dumps(label_studio_tasks(rows, model_version), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    config_path = out.with_suffix(".label-config.xml")
    config_path.write_text(label_studio_config(taxonomy), encoding="utf-8")
    return [csv_path, tasks_path, config_path]
