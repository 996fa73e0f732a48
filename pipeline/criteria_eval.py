"""How well criteria are credited: per criterion on labelled passages, and per document against
a criterion gold (which criteria a strategy covers). Twins are scored as one criterion, by the
id that names their substance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel

from pipeline.evaluate import MeasureMetrics, score_predictions
from pipeline.models import DocumentReview

TARGET_FLAG_PRECISION = 0.85  # a "no evidence" flag worth a question must be right this often


class CriteriaReport(BaseModel):
    """``macro_*`` average over the criteria with labelled passages (support > 0)."""

    n: int
    per_criterion: dict[str, MeasureMetrics]
    macro_precision: float
    macro_recall: float
    macro_f1: float
    micro_f1: float
    criteria_with_support: int


def score_criteria(Y_true: np.ndarray, Y_pred: np.ndarray, ids: Sequence[str]) -> CriteriaReport:
    report = score_predictions(Y_true, Y_pred, ids)
    supported = [m for m in report.per_measure.values() if m.support > 0]

    def mean(values: list[float]) -> float:
        return round(float(np.mean(values)), 4) if values else 0.0

    return CriteriaReport(
        n=report.n,
        per_criterion=report.per_measure,
        macro_precision=mean([m.precision for m in supported]),
        macro_recall=mean([m.recall for m in supported]),
        macro_f1=mean([m.f1 for m in supported]),
        micro_f1=report.micro_f1,
        criteria_with_support=len(supported),
    )


def cross_fitted(
    Y: np.ndarray, P: np.ndarray, gate: np.ndarray, folds: Sequence[tuple[np.ndarray, np.ndarray]], choose: object
) -> np.ndarray:
    """Predictions from out-of-fold probabilities ``P`` where each fold's thresholds are chosen
    (by ``choose(Y, P, gate) -> thresholds``) on the other folds only: honest thresholds at no
    cost of refitting. ``gate``: 1 where the passage is in the criterion's measure."""
    predicted = np.zeros_like(Y)
    for train, test in folds:
        thresholds = choose(Y[train], P[train], gate[train])  # type: ignore[operator]
        predicted[test] = (P[test] >= thresholds) & (gate[test] == 1)
    return predicted


class DocumentCriteriaReport(BaseModel):
    """Criterion verdicts of whole documents against a gold of covered criteria. Detection: a
    criterion ``evidenced`` or ``weak`` where the gold says covered. Flags: ``no_evidence``
    where the gold says not covered; ``inside_covered_measures`` counts only the flags under
    measures the document does cover (where a wrong flag wastes a reviewer's question)."""

    documents: int
    pairs: int
    detection_precision: float
    detection_recall: float
    detection_f1: float
    flags: int
    flag_precision: float
    flag_recall: float
    flags_inside_covered_measures: int
    flag_precision_inside_covered_measures: float
    confident_flags: int = 0
    confident_flag_precision: float = 0.0
    confident_flags_inside_covered_measures: int = 0
    confident_flag_precision_inside_covered_measures: float = 0.0


def _ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b else 0.0


def score_documents(
    detected: Mapping[str, set[str]],
    flagged: Mapping[str, set[str]],
    covered: Mapping[str, set[str]],
    universe: Mapping[str, set[str]],
    covered_measures: Mapping[str, set[str]],
    confident: Mapping[str, set[str]] | None = None,
) -> DocumentCriteriaReport:
    """All maps are by document; ``universe`` is the criteria judged in each (all of them, or
    one id per twin pair); ``covered_measures`` the measures the gold says each covers."""
    tp = fp = fn = flags = right_flags = inner = right_inner = sure = right_sure = pairs = sure_in = right_sure_in = 0
    for doc, judged in universe.items():
        gold = covered[doc] & judged
        found = detected[doc] & judged
        pairs += len(judged)
        tp += len(found & gold)
        fp += len(found - gold)
        fn += len(gold - found)
        flags_here = flagged[doc] & judged
        flags += len(flags_here)
        right_flags += len(flags_here - gold)
        inside = {c for c in flags_here if c.split(".")[0] in covered_measures[doc]}
        inner += len(inside)
        right_inner += len(inside - gold)
        if confident is not None:
            sure_here = confident[doc] & flags_here
            sure += len(sure_here)
            right_sure += len(sure_here - gold)
            sure_in += len(sure_here & inside)
            right_sure_in += len((sure_here & inside) - gold)
    absent = sum(len(judged - covered[doc]) for doc, judged in universe.items())
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return DocumentCriteriaReport(
        documents=len(universe),
        pairs=pairs,
        detection_precision=precision,
        detection_recall=recall,
        detection_f1=_ratio(2 * precision * recall, precision + recall),
        flags=flags,
        flag_precision=_ratio(right_flags, flags),
        flag_recall=_ratio(right_flags, absent),
        flags_inside_covered_measures=inner,
        flag_precision_inside_covered_measures=_ratio(right_inner, inner),
        confident_flags=sure,
        confident_flag_precision=_ratio(right_sure, sure),
        confident_flags_inside_covered_measures=sure_in,
        confident_flag_precision_inside_covered_measures=_ratio(right_sure_in, sure_in),
    )


def choose_flag_ratio(
    ratios: Sequence[float], truly_absent: Sequence[bool], target: float = TARGET_FLAG_PRECISION
) -> float:
    """The highest closest-passage score, as a share of the criterion's threshold, below which
    "no evidence" flags are right at least ``target`` of the time (on out-of-fold predictions),
    at most 1: a flag whose nearest passage would have credited the criterion is never confident.
    Flags below it are confident enough to ask about; the others need that passage read first."""
    closest = ratios
    order = np.argsort(closest)
    scores, right = np.asarray(closest)[order], np.asarray(truly_absent, dtype=float)[order]
    precision = np.cumsum(right) / np.arange(1, len(right) + 1)
    meeting = [
        i for i in range(len(scores)) if precision[i] >= target and (i + 1 == len(scores) or scores[i + 1] > scores[i])
    ]
    if not meeting:
        return 0.0
    best = meeting[-1]
    return round(min(float(scores[best + 1]) if best + 1 < len(scores) else 1.0, 1.0), 4)


def nearest_criteria(
    similarity: np.ndarray,
    prompt_ids: Sequence[str],
    prompt_measures: Sequence[str],
    substance_of: Mapping[str, str],
    substances: Sequence[str],
    margin: float = 0.03,
) -> np.ndarray:
    """The ranking the criterion model replaced, kept as the baseline it is measured against:
    in each measure, the criterion whose description is nearest to the passage, and any within
    ``margin`` of it. (n, n_substances) indicator, not yet gated by measure."""
    column = {s: j for j, s in enumerate(substances)}
    by_measure: dict[str, list[int]] = {}
    for k, (pid, owner) in enumerate(zip(prompt_ids, prompt_measures, strict=False)):
        if pid != owner:
            by_measure.setdefault(owner, []).append(k)
    ranked = np.zeros((similarity.shape[0], len(substances)), dtype=int)
    for columns in by_measure.values():
        block = similarity[:, columns]
        near = block >= block.max(axis=1, keepdims=True) - margin
        for position, k in enumerate(columns):
            ranked[near[:, position], column[substance_of[prompt_ids[k]]]] = 1
    return ranked


def document_verdicts(review: DocumentReview) -> tuple[set[str], set[str], set[str]]:
    """From a review: criteria detected (evidenced or weak), flagged (no_evidence), and the
    flags confident enough to ask about (``flag_confident``)."""
    detected: set[str] = set()
    flagged: set[str] = set()
    confident: set[str] = set()
    for measure in review.measures:
        for criterion in measure.criteria:
            if criterion.status in ("evidenced", "weak"):
                detected.add(criterion.id)
            elif criterion.status == "no_evidence":
                flagged.add(criterion.id)
                if criterion.flag_confident is not False:
                    confident.add(criterion.id)
    return detected, flagged, confident


def score_reviews(
    reviews: Sequence[DocumentReview], gold: Mapping[str, Mapping[str, Any]], all_criteria: Sequence[str]
) -> DocumentCriteriaReport | None:
    """Reviews of documents whose gold (``<name>.gold.json``) lists ``criteria_covered``."""
    detected, flagged, covered, universe, measures, confident = {}, {}, {}, {}, {}, {}
    for review in reviews:
        entry = gold.get(review.document.file)
        if not entry or "criteria_covered" not in entry:
            continue
        name = review.document.file
        detected[name], flagged[name], confident[name] = document_verdicts(review)
        covered[name] = set(entry["criteria_covered"])
        universe[name] = set(all_criteria)
        measures[name] = set(entry.get("covered", []))
    if not universe:
        return None
    return score_documents(detected, flagged, covered, universe, measures, confident)


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean gap between predicted probability and observed frequency over equal-width bins,
    weighted by how many predictions fall in each: whether a 0.7 means 70%."""
    y, p = np.asarray(y, dtype=float).ravel(), np.asarray(p, dtype=float).ravel()
    if not len(p):
        return 0.0
    edges = np.minimum((p * bins).astype(int), bins - 1)
    gap = sum(
        abs(p[edges == b].mean() - y[edges == b].mean()) * np.sum(edges == b) for b in range(bins) if np.any(edges == b)
    )
    return round(float(gap / len(p)), 4)
