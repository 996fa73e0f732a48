"""The train_tagger flow fits, saves a loadable tagger with its card, and publishes its metrics."""

from __future__ import annotations

import json
from pathlib import Path

from prefect.artifacts import Artifact

from flows.train import train_tagger
from pipeline.model_card import card_path, load_tagger
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy


def test_train_flow_saves_tagger_card_and_metrics_artifact(tmp_path: Path) -> None:
    settings = Settings()
    lines = settings.labels_path.read_text().splitlines()
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(lines[::8]) + "\n")
    output = tmp_path / "tagger.joblib"

    card = train_tagger(small, output, settings)

    saved = json.loads(card_path(output).read_text())
    assert saved["n_training_passages"] == len(lines[::8])
    assert set(saved["thresholds"]) == {f"M{n}" for n in range(1, 8)}
    assert 0.0 < saved["cv_metrics"]["macro_f1"] <= 1.0
    tagger, loaded = load_tagger(output, load_taxonomy(settings.taxonomy_path), settings)
    assert loaded.tagger_hash == card.tagger_hash
    assert tagger.predict_proba(["We will retire every fax machine by March."]).shape == (1, 7)

    artifact = Artifact.get("tagger-metrics")
    assert artifact is not None
    rows = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
    assert {row["measure"] for row in rows} >= {"M1", "M7", "macro"}
