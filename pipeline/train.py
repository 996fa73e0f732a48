"""Fits a tagger on the labelled passages and measures it by cross-validation grouped by
source document, so no document's passages sit on both sides of a split."""

from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GroupKFold

from pipeline.classify import MeasureTagger, Tagger, TfidfTagger, ZeroShotTagger, build_prototypes
from pipeline.evaluate import EvaluationReport, score_predictions
from pipeline.labels import LabelledPassage, indicator_matrix
from pipeline.model_card import ModelCard
from pipeline.settings import Settings
from pipeline.taxonomy import Taxonomy



def data_hash(labelled: list[LabelledPassage]) -> str:
    digest = hashlib.sha256()
    for passage in labelled:
        digest.update(passage.model_dump_json().encode())
    return digest.hexdigest()


def grouped_splits(groups: list[str], n_splits: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds that keep every source document's passages together."""
    return list(GroupKFold(n_splits=n_splits).split(np.zeros(len(groups)), groups=groups))


def cross_validate_tagger(
    tagger: Tagger | TfidfTagger,
    texts: list[str],
    Y: np.ndarray,
    groups: list[str],
    measure_ids: list[str],
    n_splits: int = 5,
) -> EvaluationReport:
    """Out-of-fold predictions; each fold's tagger, thresholds included, never sees that fold."""
    predicted = np.zeros_like(Y)
    for train, test in grouped_splits(groups, n_splits):
        inner = grouped_splits([groups[i] for i in train], n_splits)
        fold_tagger = clone(tagger).set_params(cv=inner).fit([texts[i] for i in train], Y[train])
        predicted[test] = fold_tagger.predict([texts[i] for i in test])
    return score_predictions(Y, predicted, measure_ids)


def training_arrays(labelled: list[LabelledPassage], measure_ids: list[str]) -> tuple[list[str], np.ndarray, list[str]]:
    """Texts, the indicator matrix of their measures, and their source documents (CV groups)."""
    return [p.text for p in labelled], indicator_matrix(labelled, measure_ids), [p.source for p in labelled]


MIN_POSITIVES = 20  # nested, calibrated cross-validation needs positives in every fold


def _require_enough(Y: np.ndarray, measure_ids: list[str]) -> None:
    thin = {m: int(n) for m, n in zip(measure_ids, Y.sum(axis=0)) if n < MIN_POSITIVES}
    if thin:
        raise ValueError(
            f"too few labelled passages to train: {thin} positive(s); each measure needs at least {MIN_POSITIVES}"
        )


def fit_tagger(
    labelled: list[LabelledPassage], taxonomy: Taxonomy, settings: Settings, random_state: int = 0
) -> tuple[Tagger, ModelCard]:
    """Fit on all labelled passages and describe the result in a model card."""
    measure_ids = taxonomy.measure_ids
    texts, Y, groups = training_arrays(labelled, measure_ids)
    _require_enough(Y, measure_ids)
    tagger = MeasureTagger(
        prototypes=build_prototypes(taxonomy, settings),
        embedding_model=settings.embedding_model,
        random_state=random_state,
    )
    report = cross_validate_tagger(tagger, texts, Y, groups, measure_ids)
    tagger.set_params(cv=grouped_splits(groups)).fit(texts, Y)
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


def compare_taggers(
    labelled: list[LabelledPassage], taxonomy: Taxonomy, settings: Settings, random_state: int = 0
) -> dict[str, EvaluationReport]:
    """The two baselines and the trained tagger, cross-validated on the same grouped folds."""
    measure_ids = taxonomy.measure_ids
    texts, Y, groups = training_arrays(labelled, measure_ids)
    prototypes = build_prototypes(taxonomy, settings)
    model = settings.embedding_model
    candidates: list[tuple[str, Tagger | TfidfTagger]] = [
        ("tfidf-logreg", TfidfTagger(measure_ids=measure_ids, random_state=random_state)),
        ("zero-shot", ZeroShotTagger(prototypes=prototypes, embedding_model=model, random_state=random_state)),
        ("trained", MeasureTagger(prototypes=prototypes, embedding_model=model, random_state=random_state)),
    ]
    return {name: cross_validate_tagger(tagger, texts, Y, groups, measure_ids) for name, tagger in candidates}
