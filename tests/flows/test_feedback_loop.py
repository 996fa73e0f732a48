"""The reviewer feedback loop for real: review a strategy, export the passages worth a look,
answer them as a reviewer would, import the verdicts, retrain, and check that the corrected
passages are now tagged as the reviewer said. Labels and models live in temporary copies; the
shipped tagger is never touched."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from pipeline.criteria_card import criteria_card_path, criteria_model_path
from pipeline.explain import labelled_vectors_path
from pipeline.labels import REVIEWED, read_labelled
from pipeline.model_card import card_path, load_tagger
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy
from tests.conftest import SAMPLE_DIR

pytestmark = [pytest.mark.slow, pytest.mark.loop]

SHIPPED = Settings()
VERDICTS = 8  # passages the reviewer corrects


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _correct(rows: list[dict[str, str]], measure_ids: list[str]) -> dict[str, set[str]]:
    """The reviewer's answers: on the passages where the tagger was least sure, they take the
    opposite view on the measure closest to its threshold and agree with the rest."""
    answers = {}
    for row in rows:
        if "near threshold" not in row["reasons"] or len(answers) == VERDICTS:
            continue
        disputed = row["reasons"].split("near threshold ", 1)[1].split(" ", 1)[0]
        measures = set(filter(None, row["predicted_measures"].split(";"))) ^ {disputed}
        row["verdict_measures"] = ";".join(sorted(measures)) or "none"
        row["reviewer"] = "peer-reviewer-7"
        answers[row["passage_id"]] = measures
    return answers


def test_verdicts_are_learnt_after_export_import_and_retraining(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    labels = tmp_path / "labels" / "passages.jsonl"
    labels.parent.mkdir()
    shutil.copy(SHIPPED.labels_path, labels)
    model = tmp_path / "model" / "tagger.joblib"
    model.parent.mkdir()
    shutil.copy(SHIPPED.tagger_path, model)
    shutil.copy(card_path(SHIPPED.tagger_path), card_path(model))
    for shipped in (
        criteria_model_path(SHIPPED.tagger_path),
        criteria_card_path(criteria_model_path(SHIPPED.tagger_path)),
        labelled_vectors_path(SHIPPED.tagger_path),
    ):
        shutil.copy(shipped, model.parent / shipped.name)  # all that `wgll train` writes beside the tagger
    shipped_hash = _digest(SHIPPED.tagger_path)
    monkeypatch.setenv("WGLL_LABELS_PATH", str(labels))
    monkeypatch.setenv("WGLL_TAGGER_PATH", str(model))
    out = tmp_path / "out"
    measure_ids = load_taxonomy(SHIPPED.taxonomy_path).measure_ids

    _invoke("review", str(SAMPLE_DIR / "marlshire-ics-2023.pdf"), "--out", str(out))
    _invoke("export-review", "marlshire-ics-2023.pdf", "--reviews", str(out), "--out", str(tmp_path / "queue.csv"))

    with (tmp_path / "queue.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    answers = _correct(rows, measure_ids)
    assert len(answers) == VERDICTS
    filled = tmp_path / "filled.csv"
    with filled.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    imported = _invoke("import-review", str(filled), "--reviews", str(out))
    assert f"{VERDICTS} verdict(s) added" in imported
    reviewed = {p.id: p for p in read_labelled(labels) if p.origin == REVIEWED}
    assert {pid: set(p.measures) for pid, p in reviewed.items()} == answers
    assert all(p.reviewer == "peer-reviewer-7" and p.reviewed_on and len(p.source) == 64 for p in reviewed.values())

    trained = _invoke("train", "--folds", "2", "--force")
    print(trained)  # the before/after table, shown with pytest -s or -rP
    assert "before review" in trained and "after review" in trained and "macro-F1" in trained

    settings = Settings()
    tagger, card = load_tagger(model, load_taxonomy(settings.taxonomy_path), settings)
    assert card.reviewed_ids and set(card.reviewed_ids) == set(answers)
    assert card.before is not None and card.before.exact
    assert card.before.n_training_passages + VERDICTS == card.n_training_passages
    predicted = tagger.predict([reviewed[pid].text for pid in answers])
    for (pid, wanted), row in zip(answers.items(), predicted, strict=False):
        assert {m for m, on in zip(measure_ids, row, strict=False) if on} == wanted, pid
    assert _digest(SHIPPED.tagger_path) == shipped_hash
