"""Choosing the passages worth a reviewer's look, and writing them as CSV and Label Studio tasks."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pipeline.review_queue import NO_MEASURE, VERDICT_COLUMNS, select_for_review, write_queue
from pipeline.settings import get_settings
from pipeline.store import StoredReview, save_review, start_run, stored_reviews
from pipeline.store_schema import open_store
from pipeline.taxonomy import load_taxonomy
from tests.test_store import MODEL, reviewed

AGREEING = {"M1": 0.9, "M2": 0.1}
ZERO_SHOT_THRESHOLDS = {"M1": 0.5, "M2": 0.5}


@pytest.fixture()
def stored(tmp_path: Path) -> StoredReview:
    """One stored review: M1 weak on passages 0 and 1; passage 2 scores M1 0.08, M2 0.31
    against thresholds 0.41 and 0.38."""
    engine = open_store(None, tmp_path)
    review, passages, tags = reviewed("anyshire")
    run_id = start_run(engine, MODEL, tmp_path)
    save_review(engine, run_id, review, passages, tags)
    (item,) = stored_reviews(engine, run_id=run_id)
    assert (
        [p.passage_id for p in item.passages] == [t.passage_id for t in item.tags] == [p.passage_id for p in passages]
    )
    return item


def _zero_shot(item: StoredReview, last: dict[str, float]) -> dict[str, dict[str, float]]:
    ids = [p.passage_id for p in item.passages]
    return {ids[0]: AGREEING, ids[1]: AGREEING, ids[2]: last}


def test_weak_evidence_comes_first_then_uncertain_and_disputed(stored: StoredReview) -> None:
    rows = select_for_review([stored], _zero_shot(stored, {"M1": 0.6, "M2": 0.1}), ZERO_SHOT_THRESHOLDS, 0.1, 10)
    ids = [p.passage_id for p in stored.passages]
    assert [r.passage_id for r in rows] == ids
    assert rows[0].reasons[0] == "weak M1" and rows[1].reasons[0] == "weak M1"
    assert rows[2].reasons == ["near threshold M2 (0.31 vs 0.38)", "zero-shot disagrees on M1 (0.60)"]
    assert rows[0].predicted_measures == ["M1"] and rows[0].predicted_criteria == ["M1.ICS.1", "M1.ICS.2"]
    assert rows[2].predicted_measures == [] and rows[2].file == "anyshire.pdf"


def test_confident_agreed_passages_are_left_out_and_limit_spares_weak_evidence(stored: StoredReview) -> None:
    confident = select_for_review([stored], _zero_shot(stored, {"M1": 0.1, "M2": 0.1}), ZERO_SHOT_THRESHOLDS, 0.01, 10)
    assert [r.reasons for r in confident] == [["weak M1"], ["weak M1"]]
    limited = select_for_review([stored], _zero_shot(stored, {"M1": 0.6, "M2": 0.1}), ZERO_SHOT_THRESHOLDS, 0.1, 0)
    assert len(limited) == 2


def test_queue_files_carry_every_column_and_empty_verdicts(stored: StoredReview, tmp_path: Path) -> None:
    taxonomy = load_taxonomy(get_settings().taxonomy_path)
    rows = select_for_review([stored], _zero_shot(stored, {"M1": 0.6, "M2": 0.1}), ZERO_SHOT_THRESHOLDS, 0.1, 10)
    # the review's measures are M1 and M2 only; the queue writes every taxonomy measure's score
    rows = [
        r.model_copy(
            update={
                "scores": {m: r.scores.get(m, 0.0) for m in taxonomy.measure_ids},
                "zero_shot": {m: r.zero_shot.get(m, 0.0) for m in taxonomy.measure_ids},
            }
        )
        for r in rows
    ]
    csv_path, tasks_path, config_path = write_queue(rows, tmp_path / "queue.csv", taxonomy, "062d86d8b43f")

    with csv_path.open(newline="", encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert [r["passage_id"] for r in written] == [r.passage_id for r in rows]
    assert written[0]["pages"] == "3" and written[1]["pages"] == "3;4"
    assert written[0]["text"] == rows[0].text and written[0]["score_M1"] == "0.9100"
    assert all(r[column] == "" for r in written for column in VERDICT_COLUMNS)

    tasks = json.loads(tasks_path.read_text())
    assert [t["data"]["passage_id"] for t in tasks] == [r.passage_id for r in rows]
    assert tasks[0]["data"]["text"] == rows[0].text
    (prediction,) = tasks[0]["predictions"]
    assert prediction["model_version"] == "062d86d8b43f"
    assert prediction["result"][0]["value"]["choices"] == ["M1"]
    assert tasks[2]["predictions"][0]["result"][0]["value"]["choices"] == [NO_MEASURE]

    config = ET.fromstring(config_path.read_text())
    choices = config.find("Choices")
    assert choices is not None and choices.get("name") == prediction["result"][0]["from_name"]
    assert [c.get("value") for c in choices] == [*taxonomy.measure_ids, NO_MEASURE]
    criteria = config.findall("Choices")[1]
    assert criteria.get("name") == prediction["result"][1]["from_name"] == "criteria"
    assert [c.get("value") for c in criteria] == [c.id for c in taxonomy.criteria]
    assert prediction["result"][1]["value"]["choices"] == rows[0].predicted_criteria
