"""The train_tagger flow: fit on the labelled passages, save with the model card, publish metrics."""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.artifacts import create_table_artifact

from flows.tasks import run_fit_tagger, run_save_tagger
from pipeline.model_card import ModelCard
from pipeline.settings import Settings, get_settings
from pipeline.taxonomy import load_taxonomy


@flow(name="train-tagger")
def train_tagger(labels_path: Path, output: Path, settings: Settings | None = None) -> ModelCard:
    settings = settings or get_settings()
    taxonomy = load_taxonomy(settings.taxonomy_path)
    tagger, card = run_fit_tagger(labels_path, taxonomy, settings)
    card = run_save_tagger(tagger, card, output)
    metrics = card.cv_metrics
    create_table_artifact(
        key="tagger-metrics",
        table=[
            {"measure": measure, **values} for measure, values in metrics["per_measure"].items()
        ]
        + [{"measure": "macro", "f1": metrics["macro_f1"]}, {"measure": "micro", "f1": metrics["micro_f1"]}],
        description=f"Cross-validated (grouped by source document) metrics of {card.tagger} "
        f"on {card.n_training_passages} passages",
    )
    return card
