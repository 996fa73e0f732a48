"""The model card of the criterion model, read without loading it (no scikit-learn): what a
review records about the model that credited its criteria, and the checks that refuse a model
built for another taxonomy, embedding model or tagger."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pipeline.errors import ModelCardMismatch


class CriteriaCard(BaseModel):
    """``thresholds``: the probability at which a passage credits each criterion (by the id
    naming its substance; twins share one). ``flag_ratio``: a criterion found without evidence
    is a confident flag (the pack asks its questions) when no passage scored it this share of its
    fold threshold or more, measured on out-of-fold predictions. ``window_size``: the longest run of
    sentences also scored on its own (0 for cards of models that scored whole passages only).
    ``threshold_beta``: the F-beta the thresholds maximise (1 for cards of earlier models);
    ``min_threshold``: the lowest threshold any criterion may have (0 for cards of earlier models);
    ``fold_thresholds``: each criterion's cut before that floor, which ``flag_ratio`` scales
    (empty for cards of earlier models, whose thresholds were these)."""

    model: str = "CriterionModel"
    method: str
    window_size: int = 0
    threshold_beta: float = 1.0
    min_threshold: float = 0.0
    model_hash: str = ""
    taxonomy_version: str
    embedding_model: str
    training_data_hash: str
    n_training_passages: int
    thresholds: dict[str, float]
    fold_thresholds: dict[str, float] = {}
    flag_ratio: float
    cv_metrics: dict[str, Any]
    created: str
    cv_folds: int = 5


def criteria_model_path(tagger_path: Path) -> Path:
    """The criterion model lives beside the measure tagger: ``wgll train`` writes both."""
    return tagger_path.with_name("criteria.joblib")


def criteria_card_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def write_criteria_card(card: CriteriaCard, model_path: Path) -> CriteriaCard:
    card = card.model_copy(update={"model_hash": hashlib.sha256(model_path.read_bytes()).hexdigest()})
    criteria_card_path(model_path).write_text(json.dumps(card.model_dump(), indent=2) + "\n", encoding="utf-8")
    return card


def read_criteria_card(
    model_path: Path, taxonomy_version: str, embedding_model: str, check_file: bool = True
) -> CriteriaCard:
    """The card of the criterion model at ``model_path``, checked against the running taxonomy
    and embedding model (and, with ``check_file``, the model file's hash)."""
    try:
        card = CriteriaCard.model_validate_json(criteria_card_path(model_path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelCardMismatch(f"{criteria_card_path(model_path)}: no criterion model card; run `wgll train`") from exc
    if card.taxonomy_version != taxonomy_version:
        raise ModelCardMismatch(
            f"{model_path}: built for taxonomy version {card.taxonomy_version}, not {taxonomy_version}; "
            "run `wgll train`"
        )
    if card.embedding_model != embedding_model:
        raise ModelCardMismatch(
            f"{model_path}: built on embedding model {card.embedding_model!r}, not {embedding_model!r}; "
            "run `wgll train`"
        )
    if check_file and hashlib.sha256(model_path.read_bytes()).hexdigest() != card.model_hash:
        raise ModelCardMismatch(f"{model_path}: file does not match its model card's hash")
    return card
