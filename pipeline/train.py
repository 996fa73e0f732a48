"""Fits a tagger on the labelled passages and measures it by cross-validation grouped by
source document, so no document's passages sit on both sides of a split."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field
from sklearn.base import clone
from sklearn.model_selection import GroupKFold

from pipeline.classify import MeasureTagger, Tagger, build_prototypes
from pipeline.embed import embed_texts
from pipeline.evaluate import EvaluationReport, score_predictions
from pipeline.model_card import ModelCard
from pipeline.settings import Settings
from pipeline.taxonomy import Taxonomy


class LabelledPassage(BaseModel):
    id: str
    text: str = Field(min_length=1)
    measures: list[str]
    criteria: list[str] = []
    origin: str = "written"
    source: str


def read_labelled(path: Path) -> list[LabelledPassage]:
    """Read labels/passages.jsonl, naming the line of any malformed record."""
    records = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                records.append(LabelledPassage.model_validate(json.loads(line)))
            except ValueError as exc:
                raise ValueError(f"{path}, line {number}: {exc}") from exc
    return records


def indicator_matrix(labelled: list[LabelledPassage], measure_ids: list[str]) -> np.ndarray:
    return np.array([[int(m in p.measures) for m in measure_ids] for p in labelled], dtype=int)


def data_hash(labelled: list[LabelledPassage]) -> str:
    digest = hashlib.sha256()
    for passage in labelled:
        digest.update(passage.model_dump_json().encode())
    return digest.hexdigest()


def grouped_splits(groups: list[str], n_splits: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds that keep every source document's passages together."""
    return list(GroupKFold(n_splits=n_splits).split(np.zeros(len(groups)), groups=groups))


def cross_validate_tagger(
    tagger: Tagger, X: np.ndarray, Y: np.ndarray, groups: list[str], measure_ids: list[str], n_splits: int = 5
) -> EvaluationReport:
    """Out-of-fold predictions; each fold's tagger, thresholds included, never sees that fold."""
    predicted = np.zeros_like(Y)
    for train, test in grouped_splits(groups, n_splits):
        inner = grouped_splits([groups[i] for i in train], n_splits)
        fold_tagger = clone(tagger).set_params(cv=inner).fit(X[train], Y[train])
        predicted[test] = fold_tagger.predict(X[test])
    return score_predictions(Y, predicted, measure_ids)


def fit_tagger(
    labelled: list[LabelledPassage], taxonomy: Taxonomy, settings: Settings, random_state: int = 0
) -> tuple[Tagger, ModelCard]:
    """Fit on all labelled passages and describe the result in a model card."""
    measure_ids = taxonomy.measure_ids
    X = embed_texts([p.text for p in labelled], settings)
    Y = indicator_matrix(labelled, measure_ids)
    groups = [p.source for p in labelled]
    tagger = MeasureTagger(prototypes=build_prototypes(taxonomy, settings), random_state=random_state)
    report = cross_validate_tagger(tagger, X, Y, groups, measure_ids)
    tagger.set_params(cv=grouped_splits(groups)).fit(X, Y)
    card = ModelCard(
        tagger=type(tagger).__name__,
        taxonomy_version=taxonomy.version,
        embedding_model=settings.embedding_model,
        training_data_hash=data_hash(labelled),
        n_training_passages=len(labelled),
        thresholds={m: round(float(t), 4) for m, t in zip(measure_ids, tagger.thresholds_)},
        cv_metrics=report.model_dump(),
        created=date.today().isoformat(),
    )
    return tagger, card
