"""Reviewers' verdicts into labels/: sound files merge with provenance; every kind of faulty file
is refused with the row named and the labels left byte for byte as they were."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from pipeline.errors import ReviewFileError
from pipeline.labels import REVIEWED, read_labelled
from pipeline.settings import get_settings
from pipeline.store import save_review, start_run, stored_passage_texts
from pipeline.store_schema import open_store
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.verdicts import merge_verdicts, read_verdicts
from tests.test_store import MODEL, reviewed

REVIEW, PASSAGES, _ = reviewed("anyshire")
P0, P1, P2 = PASSAGES
COLUMNS = ["passage_id", "document_id", "file", "text", "reasons", "verdict_measures", "verdict_criteria", "reviewer"]


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(get_settings().taxonomy_path)


@pytest.fixture()
def reviews_dir(tmp_path: Path) -> Path:
    """A results store holding one review of three passages, as `wgll review` leaves it."""
    folder = tmp_path / "out"
    engine = open_store(None, folder)
    review, passages, tags = reviewed("anyshire")
    save_review(engine, start_run(engine, MODEL, folder), review, passages, tags)
    return folder


@pytest.fixture()
def labels(tmp_path: Path) -> Path:
    """A copy of the first 30 real labelled passages."""
    path = tmp_path / "labels" / "passages.jsonl"
    path.parent.mkdir()
    lines = get_settings().labels_path.read_text(encoding="utf-8").splitlines()[:30]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _lookup(reviews_dir: Path) -> Callable[..., dict[str, list[tuple[str, str]]]]:
    engine = open_store(None, reviews_dir)
    return lambda ids: stored_passage_texts(engine, list(ids))


def _row(passage: object, measures: str, criteria: str = "", reviewer: str = "") -> dict[str, str]:
    return {
        "passage_id": passage.passage_id,
        "document_id": passage.document_id,
        "file": "anyshire.pdf",  # type: ignore[attr-defined]
        "text": passage.text,
        "reasons": "weak M1",
        "verdict_measures": measures,  # type: ignore[attr-defined]
        "verdict_criteria": criteria,
        "reviewer": reviewer,
    }


def _csv(path: Path, rows: list[dict[str, str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _task(passage: object, *annotations: list[str], task_id: int = 41, **data: str) -> dict[str, object]:
    return {
        "id": task_id,
        "data": {"text": passage.text, "passage_id": passage.passage_id, **data},  # type: ignore[attr-defined]
        "annotations": [
            {
                "id": 900 + i,
                "completed_by": {"id": 3, "email": "reviewer@example.org"},
                "was_cancelled": False,
                "result": [
                    {"from_name": "measures", "to_name": "text", "type": "choices", "value": {"choices": choices}}
                ],
            }
            for i, choices in enumerate(annotations)
        ],
    }


def test_csv_verdicts_are_appended_with_provenance(
    tmp_path: Path, reviews_dir: Path, labels: Path, taxonomy: Taxonomy
) -> None:
    before = labels.read_text(encoding="utf-8")
    filled = _csv(
        tmp_path / "review.csv",
        [
            _row(P0, "M1;M3", "M1.ICS.2", "peer-7"),
            _row(P1, ""),
            _row(P2, "none"),
        ],
    )
    verdicts = read_verdicts(filled, taxonomy, _lookup(reviews_dir), reviewer="fallback")
    report = merge_verdicts(verdicts, labels, taxonomy, today=date(2026, 11, 23))

    assert [p.id for p in report.added] == [P0.passage_id, P2.passage_id]  # the empty verdict is skipped
    assert report.conflicts == [] and report.unchanged == 0
    after = labels.read_text(encoding="utf-8")
    assert after.startswith(before)  # earlier labels untouched, byte for byte
    added = [json.loads(line) for line in after[len(before) :].splitlines()]
    assert added[0] == {
        "id": P0.passage_id,
        "text": P0.text,
        "measures": ["M1", "M3"],
        "criteria": ["M1.ICS.2"],
        "origin": REVIEWED,
        "source": REVIEW.document.id,
        "reviewer": "peer-7",
        "reviewed_on": "2026-11-23",
    }
    assert added[1]["measures"] == [] and added[1]["reviewer"] == "fallback"
    assert len(read_labelled(labels)) == 32


def test_label_studio_export_is_read(tmp_path: Path, reviews_dir: Path, labels: Path, taxonomy: Taxonomy) -> None:
    cancelled = _task(P2, ["M7"], task_id=43)
    cancelled["annotations"][0]["was_cancelled"] = True  # type: ignore[index]
    export = tmp_path / "export.json"
    export.write_text(json.dumps([_task(P0, ["M2", "M1"], ["M1", "M2"]), _task(P1, task_id=42), cancelled]))
    (verdict,) = read_verdicts(export, taxonomy, _lookup(reviews_dir))
    assert verdict.passage_id == P0.passage_id and verdict.measures == ["M1", "M2"]
    assert verdict.reviewer == "reviewer@example.org" and verdict.document_id == REVIEW.document.id


def test_label_studio_criterion_verdicts_are_read_and_checked(
    tmp_path: Path, reviews_dir: Path, taxonomy: Taxonomy
) -> None:
    task = _task(P0, ["M2"])
    task["annotations"][0]["result"].append(  # type: ignore[index]
        {"from_name": "criteria", "to_name": "text", "type": "choices", "value": {"choices": ["M2.ORG.2", "M2.ICS.6"]}}
    )
    export = tmp_path / "export.json"
    export.write_text(json.dumps([task]))
    (verdict,) = read_verdicts(export, taxonomy, _lookup(reviews_dir))
    assert verdict.measures == ["M2"] and verdict.criteria == ["M2.ICS.6", "M2.ORG.2"]

    task["annotations"][0]["result"][-1]["value"]["choices"] = ["M3.ICS.1"]  # type: ignore[index]
    export.write_text(json.dumps([task]))
    with pytest.raises(ReviewFileError, match=r"task 1 \(id 41\): criterion M3\.ICS\.1 belongs to M3"):
        read_verdicts(export, taxonomy, _lookup(reviews_dir))


def test_a_verdict_contradicting_an_earlier_label_is_listed_not_written(
    tmp_path: Path, reviews_dir: Path, labels: Path, taxonomy: Taxonomy
) -> None:
    earlier = {"id": "x-0001", "text": P0.text, "measures": ["M2"], "criteria": [], "origin": "written", "source": "x"}
    labels.write_text(labels.read_text() + json.dumps(earlier) + "\n")
    first = merge_verdicts(
        read_verdicts(_csv(tmp_path / "a.csv", [_row(P1, "M1")]), taxonomy, _lookup(reviews_dir)), labels, taxonomy
    )
    assert len(first.added) == 1
    before = labels.read_bytes()

    filled = _csv(tmp_path / "b.csv", [_row(P0, "M1"), _row(P1, "M3"), _row(P2, "M4")])
    report = merge_verdicts(read_verdicts(filled, taxonomy, _lookup(reviews_dir)), labels, taxonomy)

    assert [(c.where, c.earlier_id, c.earlier, c.verdict) for c in report.conflicts] == [
        ("row 2", "x-0001", ["M2"], ["M1"]),  # same text, another id
        ("row 3", P1.passage_id, ["M1"], ["M3"]),  # reviewed before, now judged otherwise
    ]
    assert [p.id for p in report.added] == [P2.passage_id]
    assert labels.read_bytes().startswith(before)
    again = merge_verdicts(read_verdicts(filled, taxonomy, _lookup(reviews_dir))[2:], labels, taxonomy)
    assert again.unchanged == 1 and again.added == []


MALFORMED_CSV = {
    "unknown measure": ([_row(P0, "M1"), _row(P1, "M9")], "row 3: unknown measure id(s) ['M9']"),
    "unknown criterion": ([_row(P0, "M1", "M1.ICS.99")], "row 2: unknown criterion id 'M1.ICS.99'"),
    "criterion of another measure": ([_row(P0, "M1", "M4.ICS.1")], "row 2: criterion M4.ICS.1 belongs to M4"),
    "none with measures": ([_row(P0, "none;M2")], "row 2: 'none' given together with measures"),
    "missing passage": (
        [_row(P0, "M1"), {**_row(P1, "M2"), "passage_id": "f00d-3"}],
        "row 3: passage f00d-3 is not in the results store",
    ),
    "no passage id": ([{**_row(P0, "M1"), "passage_id": " "}], "row 2: no passage_id"),
    "edited text": (
        [{**_row(P0, "M1"), "text": "Something the strategy never said."}],
        f"row 2: the text given for passage {P0.passage_id} is not the stored passage's text",
    ),
    "conflicting verdicts": (
        [_row(P0, "M1"), _row(P1, "M2"), _row(P0, "M2")],
        f"row 4: conflicting verdicts on passage {P0.passage_id}: row 2 says ['M1']",
    ),
}


@pytest.mark.parametrize("kind", MALFORMED_CSV)
def test_malformed_csv_is_refused_naming_the_row(
    kind: str, tmp_path: Path, reviews_dir: Path, labels: Path, taxonomy: Taxonomy
) -> None:
    rows, message = MALFORMED_CSV[kind]
    before, listing = labels.read_bytes(), sorted(labels.parent.iterdir())
    filled = _csv(tmp_path / "review.csv", rows)
    with pytest.raises(ReviewFileError) as raised:
        merge_verdicts(read_verdicts(filled, taxonomy, _lookup(reviews_dir)), labels, taxonomy)
    assert message in str(raised.value) and str(filled) in str(raised.value)
    assert labels.read_bytes() == before and sorted(labels.parent.iterdir()) == listing


def test_csv_without_verdict_column_is_refused(tmp_path: Path, reviews_dir: Path, taxonomy: Taxonomy) -> None:
    filled = _csv(tmp_path / "review.csv", [_row(P0, "M1")], [c for c in COLUMNS if c != "verdict_measures"])
    with pytest.raises(ReviewFileError, match=r"header \(row 1\): missing column\(s\) \['verdict_measures'\]"):
        read_verdicts(filled, taxonomy, _lookup(reviews_dir))


MALFORMED_EXPORTS = {
    "annotators disagree": (
        json.dumps([_task(P0, ["M1"], ["M2"])]),
        "task 1 (id 41): conflicting verdicts from its annotations",
    ),
    "unknown choice": (
        json.dumps([_task(P0, ["M1"]), _task(P1, ["M8"], task_id=42)]),
        "task 2 (id 42): unknown measure id(s) ['M8']",
    ),
    "missing passage": (
        json.dumps([_task(P0, ["M1"], passage_id="nowhere-1")]),
        "task 1 (id 41): passage nowhere-1 is not in the results store",
    ),
    "no data": (json.dumps([{"id": 5, "annotations": []}]), "task 1 (id 5): no 'data' object"),
    "not a list": (json.dumps({"data": {}}), "expected a list of Label Studio tasks"),
    "not JSON": ('[{"data": ', "not valid JSON"),
}


@pytest.mark.parametrize("kind", MALFORMED_EXPORTS)
def test_malformed_label_studio_export_is_refused_naming_the_task(
    kind: str, tmp_path: Path, reviews_dir: Path, labels: Path, taxonomy: Taxonomy
) -> None:
    content, message = MALFORMED_EXPORTS[kind]
    export = tmp_path / "export.json"
    export.write_text(content)
    before = labels.read_bytes()
    with pytest.raises(ReviewFileError) as raised:
        read_verdicts(export, taxonomy, _lookup(reviews_dir))
    assert message in str(raised.value)
    assert labels.read_bytes() == before


def test_import_review_command_refuses_a_bad_file_and_leaves_labels_alone(
    tmp_path: Path, reviews_dir: Path, labels: Path
) -> None:
    before, listing = labels.read_bytes(), sorted(labels.parent.iterdir())
    filled = _csv(tmp_path / "review.csv", [_row(P0, "M1"), _row(P1, "M0")])
    result = CliRunner().invoke(
        app, ["import-review", str(filled), "--reviews", str(reviews_dir), "--labels", str(labels)]
    )
    assert result.exit_code == 1
    assert "row 3: unknown measure id(s) ['M0']" in result.output and "nothing imported" in result.output
    assert labels.read_bytes() == before and sorted(labels.parent.iterdir()) == listing

    good = _csv(tmp_path / "good.csv", [_row(P0, "M1")])
    result = CliRunner().invoke(
        app,
        ["import-review", str(good), "--reviews", str(reviews_dir), "--labels", str(labels), "--reviewer", "peer-2"],
    )
    assert result.exit_code == 0, result.output
    assert "1 verdict(s) added" in result.output
    assert read_labelled(labels)[-1].reviewer == "peer-2"

    contradicting = _csv(tmp_path / "second-opinion.csv", [_row(P0, "M2"), _row(P2, "M4")])
    result = CliRunner().invoke(
        app, ["import-review", str(contradicting), "--reviews", str(reviews_dir), "--labels", str(labels)]
    )
    assert result.exit_code == 1, result.output  # one verdict was not written
    assert "1 verdict(s) added" in result.output and "1 verdict(s) contradict an earlier label" in result.output
