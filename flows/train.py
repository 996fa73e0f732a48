"""The train_tagger flow: fit on the labelled passages, compare with the model it would replace
on the same folds, save with the model card unless that comparison says no, publish metrics."""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.artifacts import create_table_artifact
from pydantic import BaseModel

from flows.tasks import run_fit_save_criteria, run_fit_tagger, run_save_labelled_vectors, run_save_tagger
from pipeline.criteria_card import CriteriaCard
from pipeline.embed import seed_cache
from pipeline.explain import labelled_vectors_path
from pipeline.model_card import ModelCard, read_previous_card
from pipeline.settings import Settings, get_settings
from pipeline.taxonomy import load_taxonomy
from pipeline.train import refusal


class TrainResult(BaseModel):
    """The new model's card, and whether it was saved (``refused`` says why not)."""

    card: ModelCard
    saved: bool
    refused: str | None = None
    criteria: CriteriaCard | None = None


@flow(name="train-tagger")
def train_tagger(
    labels_path: Path,
    output: Path,
    settings: Settings | None = None,
    folds: int = 5,
    force: bool = False,
) -> TrainResult:
    """Refit the tagger, and the criterion model beside it; a model already at ``output`` is
    replaced only if the new tagger's macro-F1 is no lower on the same folds, or when ``force``."""
    settings = settings or get_settings()
    taxonomy = load_taxonomy(settings.taxonomy_path)
    seed_cache(labelled_vectors_path(settings.tagger_path), settings)
    tagger, card = run_fit_tagger(labels_path, taxonomy, settings, folds, read_previous_card(output))
    _publish_metrics(card)
    refused = refusal(card)
    if refused and not force:
        return TrainResult(card=card, saved=False, refused=refused)
    saved = run_save_tagger(tagger, card, output)
    criteria = run_fit_save_criteria(labels_path, taxonomy, settings, folds, output)
    run_save_labelled_vectors(labels_path, taxonomy, settings, labelled_vectors_path(output))
    return TrainResult(card=saved, saved=True, criteria=criteria)


def _publish_metrics(card: ModelCard) -> None:
    metrics = card.cv_metrics
    before = card.before.cv_metrics if card.before else None
    rows = [
        {"measure": measure, **values, **({"f1 before review": before["per_measure"][measure]["f1"]} if before else {})}
        for measure, values in metrics["per_measure"].items()
    ]
    for label, key in (("macro", "macro_f1"), ("micro", "micro_f1")):
        rows.append({"measure": label, "f1": metrics[key], **({"f1 before review": before[key]} if before else {})})
    create_table_artifact(
        key="tagger-metrics",
        table=rows,
        description=f"Cross-validated ({card.cv_folds} folds grouped by source document) metrics of "
        f"{card.tagger} on {card.n_training_passages} passages"
        + (
            f"; before review: the previous {card.before.n_training_passages} passages on the same folds"
            if card.before
            else ""
        ),
    )
