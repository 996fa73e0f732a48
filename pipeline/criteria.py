"""The criterion model in a review and in training: fit it on the labelled passages with its
card, save and load it beside the measure tagger, and credit criteria to tagged passages.

A passage credits a criterion when its probability clears the criterion's threshold and the
measure tagger tags the passage with the criterion's measure: criteria never outrun measures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from pipeline.criteria_card import CriteriaCard, criteria_model_path, read_criteria_card, write_criteria_card
from pipeline.criteria_eval import (
    CriteriaReport,
    choose_flag_ratio,
    cross_fitted,
    expected_calibration_error,
    score_criteria,
    score_documents,
)
from pipeline.criteria_features import CriterionSpace, build_space
from pipeline.criteria_model import CriterionModel
from pipeline.labels import LabelledPassage, read_labelled
from pipeline.models import Passage, Tag
from pipeline.settings import Settings
from pipeline.taxonomy import Taxonomy


def criterion_labels(
    labelled: Sequence[LabelledPassage], taxonomy: Taxonomy, settings: Settings
) -> list[LabelledPassage]:
    """The passages the criterion model learns from: the ``labelled`` passages and every passage
    of the whole strategies in ``settings.document_labels_path``. Passages written one by one rarely
    set a criterion beside its siblings, a problem or a recital the way a whole strategy does;
    with these, credits judged right on the six strategies of corpora/test-strategies/check rose
    from 82% to 85% (docs/quality.md, "Criteria")."""
    return [*labelled, *read_labelled(settings.document_labels_path, taxonomy.measure_ids)]


def criterion_training_set(labelled: Sequence[LabelledPassage], taxonomy: Taxonomy) -> list[LabelledPassage]:
    """The passages that name a criterion for every measure they evidence (and those that
    evidence none): a passage of a measure without its criteria would teach that it evidences
    none of them. Reviewer verdicts given without criteria are left out this way."""
    return [p for p in labelled if set(p.measures) <= {taxonomy.measure_of(c) for c in p.criteria}]


def measure_gate(space: CriterionSpace, measures: Sequence[Sequence[str]]) -> np.ndarray:
    """(n, n_substances): 1 where the passage evidences (or is tagged with) the criterion's measure."""
    owner = np.array(space.measures)
    return np.array([[int(m in set(ms)) for m in owner] for ms in measures], dtype=int).reshape(
        len(measures), len(owner)
    )


def fit_criterion_model(
    labelled: Sequence[LabelledPassage],
    taxonomy: Taxonomy,
    settings: Settings,
    data_hash: str,
    n_splits: int = 5,
    random_state: int = 0,
) -> tuple[CriterionModel, CriteriaCard]:
    """Fit on every labelled passage with criteria, folds grouped by source document. The card's
    metrics come from the fit's own out-of-fold probabilities with thresholds cross-fitted
    (each fold cut by thresholds chosen on the others), per criterion and per source document."""
    kept = criterion_training_set(labelled, taxonomy)
    space = build_space(taxonomy, settings)
    texts = [p.text for p in kept]
    Y = space.fold([p.criteria for p in kept], taxonomy)
    groups = np.array([p.source or p.id for p in kept])
    model = CriterionModel(
        space=space, embedding_model=settings.embedding_model, cv=n_splits, random_state=random_state
    )
    model.fit(texts, Y, groups=groups)
    gate = measure_gate(space, [p.measures for p in kept])
    folds = model.splits(groups)
    predicted = cross_fitted(Y, model.out_of_fold_, gate, folds, lambda y, p, g: model.choose_thresholds(y, p, g))
    passages = score_criteria(Y, predicted, space.ids)
    documents, ratio = _by_source(Y, predicted, model.out_of_fold_, gate, groups, space, model.fold_thresholds_)
    inside = gate == 1
    calibration = expected_calibration_error(Y[inside], model.out_of_fold_[inside])
    card = CriteriaCard(
        method=model.method,
        window_size=model.window_size,
        threshold_beta=model.threshold_beta,
        min_threshold=model.min_threshold,
        taxonomy_version=taxonomy.version,
        embedding_model=settings.embedding_model,
        training_data_hash=data_hash,
        n_training_passages=len(kept),
        thresholds={s: round(float(t), 4) for s, t in zip(space.ids, model.thresholds_, strict=False)},
        fold_thresholds={s: round(float(t), 4) for s, t in zip(space.ids, model.fold_thresholds_, strict=False)},
        flag_ratio=ratio,
        cv_metrics={
            **passages.model_dump(),
            "per_source_document": documents,
            "expected_calibration_error": calibration,
        },
        created=date.today().isoformat(),
        cv_folds=n_splits,
    )
    return model, card


def _by_source(
    Y: np.ndarray,
    predicted: np.ndarray,
    P: np.ndarray,
    gate: np.ndarray,
    groups: np.ndarray,
    space: CriterionSpace,
    thresholds: np.ndarray,
) -> tuple[dict[str, Any], float]:
    """Each source document of the labels read as a small strategy: the criteria its passages
    evidence against those credited out of fold, and the share of a criterion's threshold its
    closest passage may reach for a flag to stay confident (flags inside covered measures)."""
    detected, flagged, covered, universe, measures = {}, {}, {}, {}, {}
    closest, absent = [], []
    for source in np.unique(groups):
        rows = groups == source
        ids = np.array(space.ids)
        covered[source] = set(ids[Y[rows].max(axis=0) == 1])
        detected[source] = set(ids[predicted[rows].max(axis=0) == 1])
        universe[source] = set(space.ids)
        flagged[source] = universe[source] - detected[source]
        measures[source] = {space.measures[j] for j in np.flatnonzero(gate[rows].max(axis=0))}
        best = P[rows].max(axis=0)
        for j, substance in enumerate(space.ids):
            if substance in flagged[source] and space.measures[j] in measures[source]:
                closest.append(float(best[j]) / max(float(thresholds[j]), 1e-6))
                absent.append(substance not in covered[source])
    ratio = choose_flag_ratio(closest, absent)
    report = score_documents(detected, flagged, covered, universe, measures)
    return report.model_dump(), ratio


def save_criterion_model(model: CriterionModel, card: CriteriaCard, tagger_path: Path) -> CriteriaCard:
    path = criteria_model_path(tagger_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path, compress=3)
    return write_criteria_card(card, path)


def load_criterion_model(
    tagger_path: Path, taxonomy: Taxonomy, settings: Settings
) -> tuple[CriterionModel, CriteriaCard]:
    path = criteria_model_path(tagger_path)
    card = read_criteria_card(path, taxonomy.version, settings.embedding_model)
    return joblib.load(path), card


def flag_cuts(model: CriterionModel, ratio: float) -> dict[str, float]:
    """Per criterion (by substance id), the closest-passage score from which a "no evidence"
    flag is doubtful: ``ratio`` times the cut its out-of-fold probabilities chose, before the
    floor on credits (a passage at 0.6 is not a credit, yet it is no sign of absence either)."""
    return {str(s): round(float(t) * ratio, 4) for s, t in zip(model.classes_, model.fold_thresholds_, strict=False)}


def credit_criteria(
    passages: Sequence[Passage], tags: Sequence[Tag], model: CriterionModel, measure_thresholds: dict[str, float]
) -> list[Tag]:
    """The tags with every criterion's probability, and the criteria each passage credits under
    the measures it is tagged with (twins as the id naming their substance)."""
    if not passages:
        return []
    tagged_by = [{m for m, s in tag.scores.items() if s >= measure_thresholds[m]} for tag in tags]
    probabilities = model.predict_proba([p.text for p in passages], sentences_of=[bool(t) for t in tagged_by])
    owner = model.space.measures if model.space else []
    credited = []
    for tag, tagged, row in zip(tags, tagged_by, probabilities, strict=False):
        by_measure: dict[str, list[str]] = {}
        for j, (substance, p) in enumerate(zip(model.classes_, row, strict=False)):
            if owner[j] in tagged and p >= model.thresholds_[j]:
                by_measure.setdefault(owner[j], []).append(str(substance))
        credited.append(
            tag.model_copy(
                update={
                    "criteria": by_measure,
                    "criterion_scores": {str(s): round(float(p), 4) for s, p in zip(model.classes_, row, strict=False)},
                }
            )
        )
    return credited


def evaluate_criteria_passages(
    labelled: Sequence[LabelledPassage], tagger: Any, model: CriterionModel, taxonomy: Taxonomy
) -> CriteriaReport | None:
    """The shipped models on labelled passages that name criteria: a criterion is credited when
    the tagger tags its measure and its probability clears its threshold, as in a review."""
    with_criteria = [p for p in labelled if p.criteria or not p.measures]
    if not any(p.criteria for p in with_criteria) or model.space is None:
        return None
    texts = [p.text for p in with_criteria]
    tagged = tagger.predict(texts)
    gate = measure_gate(model.space, [[m for m, on in zip(tagger.classes_, row, strict=False) if on] for row in tagged])
    predicted = (model.predict_proba(texts) >= model.thresholds_) & (gate == 1)
    return score_criteria(model.space.fold([p.criteria for p in with_criteria], taxonomy), predicted, model.space.ids)


def compare_criterion_models(
    labelled: Sequence[LabelledPassage], taxonomy: Taxonomy, settings: Settings, n_splits: int = 5
) -> dict[str, dict[str, Any]]:
    """The ranking the criterion model replaced, one regression per criterion, and the pairwise
    model scoring whole passages only and (shipped) their sentences too, on the same folds
    grouped by source document, each criterion credited only inside its labelled measure:
    per-criterion scores on passages and, reading each source document as a small strategy,
    detection and flag precision."""
    from pipeline.classify import build_prototypes
    from pipeline.criteria_eval import nearest_criteria
    from pipeline.embed import embed_texts

    kept = criterion_training_set(labelled, taxonomy)
    space = build_space(taxonomy, settings)
    texts = [p.text for p in kept]
    Y = space.fold([p.criteria for p in kept], taxonomy)
    groups = np.array([p.source or p.id for p in kept])
    gate = measure_gate(space, [p.measures for p in kept])
    prototypes = build_prototypes(taxonomy, settings)
    ranked = (
        nearest_criteria(
            prototypes.similarity(embed_texts(texts, settings)),
            prototypes.ids,
            prototypes.measures,
            {c.id: taxonomy.substance_of(c.id) for c in taxonomy.criteria},
            space.ids,
        )
        & gate
    )
    results: dict[str, dict[str, object]] = {
        "nearest criterion (old ranking)": {"passages": score_criteria(Y, ranked, space.ids).model_dump()}
    }
    variants = [
        ("one-vs-rest", "one-vs-rest", 1),
        ("pairwise, whole passages only", "pairwise", 0),
        ("pairwise", "pairwise", 1),
    ]
    for name, method, window_size in variants:
        model = CriterionModel(
            space=space, embedding_model=settings.embedding_model, method=method, window_size=window_size, cv=n_splits
        )
        model.fit(texts, Y, groups=groups)
        results[name] = _cross_fitted_report(model, Y, gate, groups, space)
    # the shipped model's thresholds chosen for F1 instead: same probabilities, more credits
    results["pairwise, thresholds for F1"] = _cross_fitted_report(
        model.set_params(threshold_beta=1.0), Y, gate, groups, space
    )
    return results


def _cross_fitted_report(
    model: CriterionModel, Y: np.ndarray, gate: np.ndarray, groups: np.ndarray, space: CriterionSpace
) -> dict[str, object]:
    """A fitted model's out-of-fold credits, thresholds cross-fitted by its ``threshold_beta``."""
    folds = model.splits(groups)
    predicted = cross_fitted(Y, model.out_of_fold_, gate, folds, model.choose_thresholds)
    thresholds = model.fold_thresholds(Y, model.out_of_fold_, model.examples_.measure_Y)  # as fit chose them
    documents, ratio = _by_source(Y, predicted, model.out_of_fold_, gate, groups, space, thresholds)
    return {
        "passages": score_criteria(Y, predicted, space.ids).model_dump(),
        "per_source_document": documents,
        "flag_ratio": ratio,
    }
