"""The train_tagger flow fits, saves a loadable tagger with its card, and publishes its metrics."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from prefect.artifacts import Artifact
from typer.testing import CliRunner

from flows.cli import app
from flows.train import train_tagger
from pipeline.explain import labelled_vectors_path
from pipeline.labels import MEASURE_IDS as MEASURES
from pipeline.labels import REVIEWED
from pipeline.model_card import card_path, load_tagger
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy


def test_train_flow_saves_tagger_card_and_metrics_artifact(tmp_path: Path) -> None:
    lines = Settings().labels_path.read_text().splitlines()
    documents = Settings().document_labels_path.read_text().splitlines()
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(lines[::8]) + "\n")
    small_documents = tmp_path / "documents.jsonl"
    small_documents.write_text("\n".join(documents[::8]) + "\n")
    settings = Settings(document_labels_path=small_documents)
    output = tmp_path / "tagger.joblib"

    result = train_tagger(small, output, settings, folds=2)
    card = result.card

    assert result.saved and card.before is None  # nothing was at output: nothing to compare with

    saved = json.loads(card_path(output).read_text())
    assert saved["n_training_passages"] == len(lines[::8])  # the tagger learns from the labels alone
    # the criterion model from the labels and the whole strategies' passages
    assert result.criteria is not None
    assert result.criteria.n_training_passages == len(lines[::8]) + len(documents[::8])
    assert set(saved["thresholds"]) == {f"M{n}" for n in range(1, 8)}
    assert 0.0 < saved["cv_metrics"]["macro_f1"] <= 1.0
    tagger, loaded = load_tagger(output, load_taxonomy(settings.taxonomy_path), settings)
    assert loaded.tagger_hash == card.tagger_hash
    assert tagger.predict_proba(["We will retire every fax machine by March."]).shape == (1, 7)
    assert labelled_vectors_path(output).is_file(), "the labelled passages' embeddings ship with the tagger"

    artifact = Artifact.get("tagger-metrics")
    assert artifact is not None
    rows = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
    assert {row["measure"] for row in rows} >= {"M1", "M7", "macro"}


def _careless_verdicts(lines: list[str], count: int) -> list[str]:
    """Reviewer verdicts that are all wrong: each passage gets one measure it does not evidence."""
    rng = random.Random(7)
    verdicts = []
    for number, line in enumerate(lines[:count]):
        record = json.loads(line)
        wrong = [m for m in MEASURES if m not in record["measures"]]
        verdicts.append(
            json.dumps(
                {
                    "id": f"careless-{number}",
                    "text": record["text"],
                    "measures": [rng.choice(wrong)],
                    "criteria": [],
                    "origin": REVIEWED,
                    "source": f"careless-doc-{number % 10}",
                    "reviewer": "careless",
                    "reviewed_on": "2026-11-23",
                }
            )
        )
    return verdicts


@pytest.mark.slow
def test_a_model_whose_macro_f1_drops_replaces_the_previous_one_only_when_forced(tmp_path: Path) -> None:
    settings = Settings()
    lines = settings.labels_path.read_text().splitlines()
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(lines[::8] + _careless_verdicts(lines[1::8], 60)) + "\n")
    output = tmp_path / "tagger.joblib"
    shutil.copy(settings.tagger_path, output)
    shutil.copy(card_path(settings.tagger_path), card_path(output))
    previous = output.read_bytes(), card_path(output).read_bytes()
    command = ["train", "--labels", str(labels), "--output", str(output), "--folds", "2"]

    refused = CliRunner().invoke(app, command, catch_exceptions=False)

    assert refused.exit_code == 1, refused.output
    assert "before review" in refused.output and "macro-F1 fell from" in refused.output and "--force" in refused.output
    assert (output.read_bytes(), card_path(output).read_bytes()) == previous

    forced = CliRunner().invoke(app, [*command, "--force"], catch_exceptions=False)

    assert forced.exit_code == 0, forced.output
    tagger, card = load_tagger(output, load_taxonomy(settings.taxonomy_path), settings)
    assert card.before is not None and card.before.n_training_passages == len(lines[::8])
    assert card.before.cv_metrics["macro_f1"] > card.cv_metrics["macro_f1"] and card.cv_folds == 2
    assert len(card.reviewed_ids) == 60
