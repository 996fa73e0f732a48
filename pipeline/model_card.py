"""Saving and loading a fitted tagger with the JSON model card that says what produced it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import joblib
from pydantic import BaseModel

from pipeline.errors import ModelCardMismatch
from pipeline.settings import Settings
from pipeline.taxonomy import Taxonomy


class BeforeReview(BaseModel):
    """The previous model's training set, cross-validated on the same folds in the same run as
    the model this card describes: the "before" of a before/after comparison. ``exact`` says
    whether the rebuilt set hashes to the previous card's training data."""

    training_data_hash: str
    n_training_passages: int
    cv_metrics: dict[str, Any]
    exact: bool


class ModelCard(BaseModel):
    tagger: str
    tagger_hash: str = ""
    taxonomy_version: str
    embedding_model: str
    training_data_hash: str
    n_training_passages: int
    thresholds: dict[str, float]
    cv_metrics: dict[str, Any]
    created: str
    cv_folds: int = 5
    reviewed_weight: int = 1
    reviewed_ids: list[str] = []  # the reviewer verdicts this model was trained on
    before: BeforeReview | None = None


def read_previous_card(tagger_path: Path) -> ModelCard | None:
    """The card of the model a training run would replace, or None when there is none."""
    try:
        return ModelCard.model_validate_json(card_path(tagger_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def card_path(tagger_path: Path) -> Path:
    return tagger_path.with_suffix(".json")


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_tagger(tagger: object, card: ModelCard, tagger_path: Path) -> ModelCard:
    """Write the estimator with joblib and its card beside it; the card records the file's hash."""
    tagger_path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(tagger, tagger_path, compress=3)
    card = card.model_copy(update={"tagger_hash": file_hash(tagger_path)})
    card_path(tagger_path).write_text(json.dumps(card.model_dump(), indent=2) + "\n", encoding="utf-8")
    return card


def load_tagger(tagger_path: Path, taxonomy: Taxonomy, settings: Settings) -> tuple[Any, ModelCard]:
    """Load a tagger, refusing one built for another taxonomy or embedding model."""
    card = read_card(tagger_path, taxonomy, settings)
    return joblib.load(tagger_path), card


def read_card(tagger_path: Path, taxonomy: Taxonomy, settings: Settings) -> ModelCard:
    """The model card of a saved tagger, checked against the running taxonomy, embedding model
    and the tagger file itself; cheap, so cache keys can carry the versions without loading it."""
    try:
        card = ModelCard.model_validate_json(card_path(tagger_path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelCardMismatch(f"{card_path(tagger_path)}: no model card; run `wgll train`") from exc
    if card.taxonomy_version != taxonomy.version:
        raise ModelCardMismatch(
            f"{tagger_path}: built for taxonomy version {card.taxonomy_version}, but "
            f"{settings.taxonomy_path} is version {taxonomy.version}; run `wgll train`"
        )
    if card.embedding_model != settings.embedding_model:
        raise ModelCardMismatch(
            f"{tagger_path}: built on embedding model {card.embedding_model!r}, but the "
            f"configured model is {settings.embedding_model!r}; run `wgll train`"
        )
    if file_hash(tagger_path) != card.tagger_hash:
        raise ModelCardMismatch(f"{tagger_path}: file does not match its model card's hash")
    return card
