"""Measure-level precision, recall and F1 of a tagger, in the shape of DESIGN.md contract 2; how
they split by training set, writing style and number of measures per passage; calibration; and
the gold strategies and gap scores behind ``wgll evaluate --cv``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from pipeline.labels import LabelledPassage, indicator_matrix, read_labelled

if TYPE_CHECKING:
    from pipeline.classify import Tagger
    from pipeline.models import DocumentReview


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
    totals = np.zeros(3, dtype=int)
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
    tp, fp, fn = (int(count) for count in totals)
    return GapReport(
        documents=len(documents),
        per_measure=per_measure,
        precision=round(tp / (tp + fp), 4) if tp + fp else 1.0,
        recall=round(tp / (tp + fn), 4) if tp + fn else 1.0,
    )


def evaluate_passages(path: Path, tagger: Tagger) -> DetailedReport:
    """Contract 2: a fitted tagger scored on a JSONL file of ``{"text", "measures"}`` lines, with
    recall by measures per passage, negatives tagged and calibration (issue 15's figures)."""
    labelled = read_labelled(path, list(tagger.classes_))
    measure_ids = list(tagger.classes_)
    texts = [p.text for p in labelled]
    probabilities = tagger.predict_proba(texts)
    predicted = probabilities >= tagger.thresholds_  # what predict() gives, without tagging twice
    return detailed_report(indicator_matrix(labelled, measure_ids), predicted, probabilities, labelled, measure_ids)


OLD_SET = "old set"  # passages without a writer: the first 1,721, short, in one voice
NEW_SET = "new set"  # passages with a writer: written in the register of real documents (issue 15)


class ReliabilityBin(BaseModel):
    """Passage-measure pairs whose probability fell in [lower, upper): how many, their mean
    probability, and how often the measure was really evidenced."""

    lower: float
    upper: float
    n: int
    mean_probability: float
    observed: float


class Calibration(BaseModel):
    ece: float  # expected calibration error over every passage-measure pair, 10 equal bins
    reliability: list[ReliabilityBin]


class RecallByCount(BaseModel):
    passages: int
    labels: int
    recall: float


class DetailedReport(EvaluationReport):
    """An EvaluationReport of out-of-fold or held-out predictions, with the same scores split by
    training set (when both are there) and by writer, recall by how many measures a passage
    evidences, the share of passages that evidence none yet got a tag, and calibration."""

    by_set: dict[str, EvaluationReport] = {}
    by_writer: dict[str, EvaluationReport] = {}
    recall_by_count: dict[str, RecallByCount] = {}
    negatives: int = 0
    negatives_tagged: int = 0
    calibration: Calibration | None = None


def calibration(Y: np.ndarray, P: np.ndarray, bins: int = 10) -> Calibration:
    y, p = np.asarray(Y, dtype=float).ravel(), np.asarray(P, dtype=float).ravel()
    which = np.minimum((p * bins).astype(int), bins - 1)
    table, error = [], 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            mean, observed = float(p[inside].mean()), float(y[inside].mean())
            error += inside.mean() * abs(mean - observed)
            table.append(
                ReliabilityBin(
                    lower=b / bins,
                    upper=(b + 1) / bins,
                    n=int(inside.sum()),
                    mean_probability=round(mean, 4),
                    observed=round(observed, 4),
                )
            )
    return Calibration(ece=round(error, 4), reliability=table)


def detailed_report(
    Y: np.ndarray,
    predicted: np.ndarray,
    probabilities: np.ndarray,
    labelled: list[LabelledPassage],
    measure_ids: Sequence[str],
) -> DetailedReport:
    """Predictions scored overall and split by set, writer and number of measures."""
    Y, predicted = np.asarray(Y, dtype=bool), np.asarray(predicted, dtype=bool)
    writers = np.array([p.writer for p in labelled])
    sets = {OLD_SET: writers == "", NEW_SET: writers != ""}
    counts = Y.sum(axis=1)
    by_count = {}
    for label, rows in (("1", counts == 1), ("2", counts == 2), ("3", counts == 3), ("4+", counts >= 4)):
        if rows.any():
            labels = int(Y[rows].sum())
            by_count[label] = RecallByCount(
                passages=int(rows.sum()),
                labels=labels,
                recall=round(float((Y[rows] & predicted[rows]).sum()) / labels, 4),
            )
    return DetailedReport(
        **score_predictions(Y, predicted, measure_ids).model_dump(),
        by_set={name: score_predictions(Y[rows], predicted[rows], measure_ids) for name, rows in sets.items()}
        if all(rows.any() for rows in sets.values())
        else {},
        by_writer={
            writer: score_predictions(Y[writers == writer], predicted[writers == writer], measure_ids)
            for writer in sorted(set(writers) - {""})
        },
        recall_by_count=by_count,
        negatives=int((counts == 0).sum()),
        negatives_tagged=int((predicted[counts == 0].sum(axis=1) > 0).sum()),
        calibration=calibration(Y, probabilities),
    )


def read_gold(gold_dir: Path) -> dict[str, dict[str, Any]]:
    """The ``<name>.gold.json`` records of ``gold_dir`` whose PDF is there, by file name: the
    measures each strategy truly leaves out (``absent``) and, where a reader judged them, its
    criteria."""
    found = (json.loads(path.read_text(encoding="utf-8")) for path in sorted(gold_dir.glob("*.gold.json")))
    return {gold["file"]: gold for gold in found if (gold_dir / gold["file"]).is_file()}


def score_review_gaps(
    reviews: Sequence[DocumentReview], absent: dict[str, set[str]], measure_ids: Sequence[str]
) -> GapReport:
    """The reviews' ``no_evidence`` flags against the measures truly absent."""
    flags = {r.document.file: {m.id for m in r.measures if m.status == "no_evidence"} for r in reviews}
    return score_gaps(flags, absent, measure_ids)
