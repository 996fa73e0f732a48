"""Fits a tagger on the labelled passages and measures it by cross-validation grouped by
source document, so no document's passages sit on both sides of a split."""

from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GroupKFold

from pipeline.classify import Tagger, TfidfTagger, ZeroShotTagger, build_prototypes
from pipeline.evaluate import DetailedReport, detailed_report
from pipeline.labels import REVIEWED, LabelledPassage, indicator_matrix
from pipeline.measure_tagger import MeasureTagger
from pipeline.model_card import BeforeReview, ModelCard
from pipeline.settings import Settings
from pipeline.taxonomy import Taxonomy


def data_hash(labelled: list[LabelledPassage]) -> str:
    digest = hashlib.sha256()
    for passage in labelled:
        digest.update(passage.identity_json().encode())
    return digest.hexdigest()


def grouped_splits(groups: list[str], n_splits: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds that keep every source document's passages together."""
    return list(GroupKFold(n_splits=n_splits).split(np.zeros(len(groups)), groups=groups))


def cross_validate_tagger(
    tagger: Tagger | TfidfTagger,
    labelled: list[LabelledPassage],
    measure_ids: list[str],
    n_splits: int = 5,
    trained_on: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> DetailedReport:
    """Out-of-fold predictions; each fold's tagger, thresholds and calibration included, never
    sees that fold. ``trained_on`` (a boolean mask) limits what every fold may learn from while
    the test folds stay the same, so two training sets can be compared on identical passages.
    ``weights``: how much each passage counts in training (see ``training_weights``)."""
    texts, Y, groups = training_arrays(labelled, measure_ids)
    predicted = np.zeros_like(Y)
    probabilities = np.zeros(Y.shape)
    counts = np.ones(len(texts), dtype=int) if weights is None else np.asarray(weights)
    allowed = np.ones(len(texts), dtype=bool) if trained_on is None else np.asarray(trained_on, dtype=bool)
    for train, test in grouped_splits(groups, n_splits):
        train = train[allowed[train]]
        inner = grouped_splits([groups[i] for i in train], n_splits)
        fold_tagger = (
            clone(tagger).set_params(cv=inner).fit([texts[i] for i in train], Y[train], sample_weight=counts[train])
        )
        probabilities[test] = fold_tagger.predict_proba([texts[i] for i in test])
        predicted[test] = probabilities[test] >= fold_tagger.thresholds_
    return detailed_report(Y, predicted, probabilities, labelled, measure_ids)


def training_arrays(labelled: list[LabelledPassage], measure_ids: list[str]) -> tuple[list[str], np.ndarray, list[str]]:
    """Texts, the indicator matrix of their measures, and their source documents (CV groups)."""
    return [p.text for p in labelled], indicator_matrix(labelled, measure_ids), [p.source for p in labelled]


def training_weights(labelled: list[LabelledPassage], reviewed_weight: int) -> np.ndarray:
    """How many times each passage counts when fitting: a reviewer's verdict, given by an expert
    on a real strategy, outweighs a passage written to imitate one."""
    return np.array([reviewed_weight if p.origin == REVIEWED else 1 for p in labelled], dtype=int)


MIN_POSITIVES = 20  # nested, calibrated cross-validation needs positives in every fold


def _require_enough(Y: np.ndarray, measure_ids: list[str]) -> None:
    thin = {m: int(n) for m, n in zip(measure_ids, Y.sum(axis=0), strict=False) if n < MIN_POSITIVES}
    if thin:
        raise ValueError(
            f"too few labelled passages to train: {thin} positive(s); each measure needs at least {MIN_POSITIVES}"
        )


def previous_training_set(labelled: list[LabelledPassage], previous: ModelCard) -> np.ndarray:
    """Which of today's labelled passages the previous model learnt from: all but the reviewer
    verdicts its card does not list (written labels change only by hand, under version control)."""
    seen = set(previous.reviewed_ids)
    return np.array([p.origin != REVIEWED or p.id in seen for p in labelled], dtype=bool)


def _before_review(
    tagger: MeasureTagger,
    labelled: list[LabelledPassage],
    previous: ModelCard | None,
    measure_ids: list[str],
    n_splits: int,
    weights: np.ndarray,
) -> BeforeReview | None:
    """The previous training set cross-validated on this run's folds; None when nothing is new."""
    if previous is None:
        return None
    mask = previous_training_set(labelled, previous)
    if mask.all():
        return None
    kept = [p for p, keep in zip(labelled, mask, strict=False) if keep]
    report = cross_validate_tagger(tagger, labelled, measure_ids, n_splits, trained_on=mask, weights=weights)
    return BeforeReview(
        training_data_hash=data_hash(kept),
        n_training_passages=len(kept),
        cv_metrics=report.model_dump(),
        exact=data_hash(kept) == previous.training_data_hash,
    )


def fit_tagger(
    labelled: list[LabelledPassage],
    taxonomy: Taxonomy,
    settings: Settings,
    random_state: int = 0,
    n_splits: int = 5,
    previous: ModelCard | None = None,
) -> tuple[Tagger, ModelCard]:
    """Fit on all labelled passages and describe the result in a model card. With the card of
    the ``previous`` model, the card also holds that model's training set cross-validated on the
    same ``n_splits`` folds (``before``), so the two can be compared fairly."""
    measure_ids = taxonomy.measure_ids
    texts, Y, groups = training_arrays(labelled, measure_ids)
    _require_enough(Y, measure_ids)
    tagger = MeasureTagger(
        prototypes=build_prototypes(taxonomy, settings),
        embedding_model=settings.embedding_model,
        random_state=random_state,
    )
    weights = training_weights(labelled, settings.reviewed_weight)
    report = cross_validate_tagger(tagger, labelled, measure_ids, n_splits, weights=weights)
    before = _before_review(tagger, labelled, previous, measure_ids, n_splits, weights)
    tagger.set_params(cv=grouped_splits(groups, n_splits)).fit(texts, Y, sample_weight=weights)
    card = ModelCard(
        tagger=type(tagger).__name__,
        taxonomy_version=taxonomy.version,
        embedding_model=settings.embedding_model,
        training_data_hash=data_hash(labelled),
        n_training_passages=len(labelled),
        thresholds={m: round(float(t), 4) for m, t in zip(measure_ids, tagger.thresholds_, strict=False)},
        cv_metrics=report.model_dump(),
        created=date.today().isoformat(),
        cv_folds=n_splits,
        reviewed_weight=settings.reviewed_weight,
        reviewed_ids=[p.id for p in labelled if p.origin == REVIEWED],
        before=before,
    )
    return tagger, card


def refusal(card: ModelCard) -> str | None:
    """Why a freshly trained model must not replace the previous one (its macro-F1 dropped on
    the same folds), or None when it may."""
    if card.before is None:
        return None
    before, after = card.before.cv_metrics["macro_f1"], card.cv_metrics["macro_f1"]
    if after < before:
        return (
            f"cross-validated macro-F1 fell from {before:.4f} (previous training set) to {after:.4f} "
            f"on the same {card.cv_folds} folds"
        )
    return None


def fit_zero_shot(
    labelled: list[LabelledPassage], taxonomy: Taxonomy, settings: Settings, random_state: int = 0
) -> ZeroShotTagger:
    """The zero-shot tagger fitted on the labels: a second opinion that knows only the taxonomy's
    wording, so where it and the trained tagger disagree a reviewer's verdict is most useful."""
    texts, Y, _ = training_arrays(labelled, taxonomy.measure_ids)
    return ZeroShotTagger(
        prototypes=build_prototypes(taxonomy, settings),
        embedding_model=settings.embedding_model,
        random_state=random_state,
    ).fit(texts, Y)


BEFORE_REVIEW = "trained, before review"


def compare_taggers(
    labelled: list[LabelledPassage],
    taxonomy: Taxonomy,
    settings: Settings,
    random_state: int = 0,
    previous: ModelCard | None = None,
) -> dict[str, DetailedReport]:
    """The two baselines and the trained tagger, cross-validated on the same grouped folds; with
    the ``previous`` model's card, also the trained tagger limited to that model's training set
    (``BEFORE_REVIEW``) when reviewer verdicts have been added since."""
    measure_ids = taxonomy.measure_ids
    prototypes = build_prototypes(taxonomy, settings)
    model = settings.embedding_model
    trained = MeasureTagger(prototypes=prototypes, embedding_model=model, random_state=random_state)
    candidates: list[tuple[str, Tagger | TfidfTagger, np.ndarray | None]] = [
        ("tfidf-logreg", TfidfTagger(measure_ids=measure_ids, random_state=random_state), None),
        ("zero-shot", ZeroShotTagger(prototypes=prototypes, embedding_model=model, random_state=random_state), None),
    ]
    before = None if previous is None else previous_training_set(labelled, previous)
    if before is not None and not before.all():
        candidates.append((BEFORE_REVIEW, trained, before))
    candidates.append(("trained", trained, None))
    weights = training_weights(labelled, settings.reviewed_weight)
    return {
        name: cross_validate_tagger(tagger, labelled, measure_ids, trained_on=mask, weights=weights)
        for name, tagger, mask in candidates
    }
