"""Measure-level precision, recall and F1 of a tagger, in the shape of DESIGN.md contract 2."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel

from pipeline.labels import indicator_matrix, read_labelled

if TYPE_CHECKING:
    from pipeline.classify import Tagger


class MeasureMetrics(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int


class EvaluationReport(BaseModel):
    n: int
    per_measure: dict[str, MeasureMetrics]
    macro_f1: float
    micro_f1: float


def _f1(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def score_predictions(Y_true: np.ndarray, Y_pred: np.ndarray, measure_ids: Sequence[str]) -> EvaluationReport:
    """Per-measure and pooled scores of indicator matrices (one column per measure)."""
    Y_true = np.asarray(Y_true, dtype=bool)
    Y_pred = np.asarray(Y_pred, dtype=bool)
    per_measure = {}
    totals = np.zeros(3)
    for j, measure in enumerate(measure_ids):
        tp = float(np.sum(Y_true[:, j] & Y_pred[:, j]))
        fp = float(np.sum(~Y_true[:, j] & Y_pred[:, j]))
        fn = float(np.sum(Y_true[:, j] & ~Y_pred[:, j]))
        totals += (tp, fp, fn)
        per_measure[measure] = MeasureMetrics(
            precision=round(tp / (tp + fp), 4) if tp + fp else 0.0,
            recall=round(tp / (tp + fn), 4) if tp + fn else 0.0,
            f1=round(_f1(tp, fp, fn), 4),
            support=int(Y_true[:, j].sum()),
        )
    return EvaluationReport(
        n=int(Y_true.shape[0]),
        per_measure=per_measure,
        macro_f1=round(float(np.mean([m.f1 for m in per_measure.values()])), 4),
        micro_f1=round(_f1(*totals), 4),
    )


class GapMetrics(BaseModel):
    """How well ``no_evidence`` flags match the measures a document really leaves out."""

    precision: float
    recall: float
    flagged: int
    absent: int


class GapReport(BaseModel):
    documents: int
    per_measure: dict[str, GapMetrics]
    precision: float
    recall: float


def score_gaps(flags: dict[str, set[str]], absent: dict[str, set[str]], measure_ids: Sequence[str]) -> GapReport:
    """``flags`` and ``absent`` map a document to the measures flagged, and truly absent."""
    documents = sorted(absent)
    per_measure = {}
    totals = np.zeros(3)
    for measure in measure_ids:
        tp = sum(1 for d in documents if measure in flags[d] and measure in absent[d])
        fp = sum(1 for d in documents if measure in flags[d] and measure not in absent[d])
        fn = sum(1 for d in documents if measure not in flags[d] and measure in absent[d])
        totals += (tp, fp, fn)
        per_measure[measure] = GapMetrics(
            precision=round(tp / (tp + fp), 4) if tp + fp else 1.0,
            recall=round(tp / (tp + fn), 4) if tp + fn else 1.0,
            flagged=tp + fp,
            absent=tp + fn,
        )
    tp, fp, fn = totals
    return GapReport(
        documents=len(documents),
        per_measure=per_measure,
        precision=round(tp / (tp + fp), 4) if tp + fp else 1.0,
        recall=round(tp / (tp + fn), 4) if tp + fn else 1.0,
    )


def evaluate_passages(path: Path, tagger: Tagger) -> EvaluationReport:
    """Contract 2: a fitted tagger scored on a JSONL file of ``{"text", "measures"}`` lines."""
    labelled = read_labelled(path, list(tagger.classes_))
    measure_ids = list(tagger.classes_)
    predicted = tagger.predict([p.text for p in labelled])
    return score_predictions(indicator_matrix(labelled, measure_ids), predicted, measure_ids)
