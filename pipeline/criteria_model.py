"""Scores every (passage, criterion) pair on its own: a calibrated probability per criterion, so
one passage may evidence several criteria and none has to beat its neighbours to count.

``CriterionModel`` is a scikit-learn estimator over passage texts. Its default ``pairwise``
method is one logistic regression over (passage, criterion) pairs: the features of
``criteria_features`` (similarity to the criterion's wording and to its labelled examples, its
evidence terms, its rank in its measure), the out-of-fold score of a per-criterion logistic
regression over the passage embedding, and a bias per criterion. One model for all criteria lets a
criterion with few labelled passages borrow what the others teach about what evidence looks like.
``one-vs-rest`` (the per-criterion regressions alone) is the alternative it was measured against.
Twins are one class (``Taxonomy.substance_of``). Thresholds are chosen per criterion on
out-of-fold probabilities, grouped by source document, pooled per measure where a criterion has
too few labelled passages to set its own (``fold_thresholds_``); a passage credits a criterion
only from ``min_threshold`` up (``thresholds_``).

A passage's probability for a criterion is the higher of the whole passage's and its best
sentence's (``window_size``): a passage naming five cyber controls, or one sentence on the
Technology Code of Practice beside one on fax removal, scored whole credits only the criterion
that dominates it (the second got 0.02 in its passage, 0.74 alone).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from pipeline.classify import SentenceEmbedder, best_thresholds
from pipeline.criteria_features import FEATURE_NAMES, CriterionSpace, Examples, pair_features
from pipeline.settings import DEFAULT_EMBEDDING_MODEL
from pipeline.windows import max_by_owner, split_windows

METHODS = ("pairwise", "one-vs-rest")


class CriterionModel(ClassifierMixin, BaseEstimator):
    """X: passage texts; Y: (n, n_substances) indicator of the criteria each passage evidences,
    twins folded (``CriterionSpace.fold``). ``groups``: each passage's source document, so a
    passage's neighbours never come from its own document and threshold folds keep documents
    whole. Every passage should carry the criteria of each measure it evidences: a passage of a
    measure with none named would teach that it evidences none of them."""

    def __init__(
        self,
        *,
        space: CriterionSpace | None = None,
        embedding_model: str = DEFAULT_EMBEDDING_MODEL,
        method: str = "pairwise",
        C: float = 1.0,
        ovr_C: float = 4.0,
        min_support: int = 8,
        window_size: int = 1,
        threshold_beta: float = 0.7,
        min_threshold: float = 0.8,
        cv: object = 5,
        random_state: int | None = None,
    ) -> None:
        self.space = space
        self.embedding_model = embedding_model
        self.method = method
        self.C = C
        self.ovr_C = ovr_C
        self.min_support = min_support
        self.window_size = window_size
        self.threshold_beta = threshold_beta
        self.min_threshold = min_threshold
        self.cv = cv
        self.random_state = random_state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A model saved before ``window_size`` existed scored whole passages only, and its
        thresholds were chosen for that: it keeps doing so. One saved before ``min_threshold``
        keeps the thresholds it was given, which were its fold thresholds."""
        state.setdefault("window_size", 0)
        state.setdefault("threshold_beta", 1.0)
        state.setdefault("min_threshold", 0.0)
        if "thresholds_" in state:
            state.setdefault("fold_thresholds_", state["thresholds_"])
        super().__setstate__(state)

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, X: Sequence[str], Y: np.ndarray, groups: Sequence[str] | np.ndarray | None = None) -> CriterionModel:
        if self.space is None:
            raise ValueError("CriterionModel needs a CriterionSpace (see criteria_features.build_space)")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        texts = _texts(X)
        Y = np.asarray(Y, dtype=int)
        if Y.shape != (len(texts), len(self.space.ids)):
            raise ValueError(f"Y must have shape {(len(texts), len(self.space.ids))}, got {Y.shape}")
        sources = np.asarray(groups if groups is not None else [str(i) for i in range(len(texts))])
        self.classes_ = np.array(self.space.ids)
        V = self._embed(texts)
        splits = self.splits(sources)
        examples = self._examples(V, Y, sources)
        windows = self._windows(texts)
        ovr_oof = np.zeros(Y.shape, dtype=np.float32)
        window_ovr = np.zeros((len(windows.texts), Y.shape[1]), dtype=np.float32)
        for train, test in splits:
            models = _fit_ovr(V[train], Y[train], self.ovr_C)
            ovr_oof[test] = _predict_ovr(models, V[test])
            windows.fill(window_ovr, test, partial(_predict_ovr, models), windows.vectors)
        self.ovr_ = _fit_ovr(V, Y, self.ovr_C)
        if self.method == "one-vs-rest":
            out_of_fold = ovr_oof
            window_oof = window_ovr
        else:
            F = self._pairs(texts, V, examples, ovr_oof, sources)
            F_windows = (
                self._pairs(windows.texts, windows.vectors, examples, window_ovr, sources[windows.owner])
                if len(windows.texts)
                else None
            )
            out_of_fold = np.zeros(Y.shape, dtype=np.float32)
            window_oof = np.zeros(window_ovr.shape, dtype=np.float32)
            for train, test in splits:
                scaler, model = self._fit_pairs(F[train], Y[train])
                out_of_fold[test] = _predict_pairs(scaler, model, F[test])
                windows.fill(window_oof, test, partial(_predict_pairs, scaler, model), F_windows)
            self.scaler_, self.pair_model_ = self._fit_pairs(F, Y)
        out_of_fold = np.maximum(out_of_fold, windows.best(window_oof, len(texts)))
        self.examples_ = examples
        self.out_of_fold_ = out_of_fold
        self.fold_thresholds_ = self.fold_thresholds(Y, out_of_fold, examples.measure_Y)
        self.thresholds_ = np.maximum(self.fold_thresholds_, self.min_threshold)
        return self

    def _embed(self, texts: np.ndarray) -> np.ndarray:
        return SentenceEmbedder(self.embedding_model).transform(list(texts))

    def _windows(self, texts: np.ndarray, among: Sequence[bool] | None = None) -> _Windows:
        """The sentences of passages (``among`` them, if given) that have more than one; none when
        ``window_size`` is 0."""
        rows = np.arange(len(texts)) if among is None else np.flatnonzero(np.asarray(among, dtype=bool))
        if not self.window_size or not len(rows):
            return _Windows(np.zeros(0, dtype=object), np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=int))
        found, owner = split_windows(list(texts[rows]), self.window_size)
        owner = rows[owner]
        keep = np.array([i for i, window in enumerate(found) if window != texts[owner[i]]], dtype=int)
        kept = np.array([found[i] for i in keep], dtype=object)
        vectors = self._embed(kept) if len(kept) else np.zeros((0, 0), dtype=np.float32)
        return _Windows(kept, vectors, owner[keep])

    def splits(self, sources: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        if not isinstance(self.cv, int):
            return list(self.cv)  # type: ignore[call-overload]
        if len(set(sources)) >= self.cv:
            return list(GroupKFold(self.cv).split(sources, groups=sources))
        return list(KFold(self.cv, shuffle=True, random_state=self.random_state).split(sources))

    def _examples(self, V: np.ndarray, Y: np.ndarray, sources: np.ndarray) -> Examples:
        assert self.space is not None
        measure_Y = np.zeros_like(Y)
        for columns in self.space.measure_columns().values():
            measure_Y[:, columns] = Y[:, columns].max(axis=1, keepdims=True)
        return Examples(vectors=V, Y=Y, measure_Y=measure_Y, sources=sources)

    def _pairs(
        self, texts: np.ndarray, V: np.ndarray, examples: Examples, ovr: np.ndarray, sources: np.ndarray | None
    ) -> np.ndarray:
        """(n, n_substances, n_features): the shared features, the per-criterion regression's
        score, and a one-hot of the criterion (its own bias)."""
        assert self.space is not None
        n, S = len(texts), len(self.space.ids)
        shared = pair_features(list(texts), V, self.space, examples, sources)
        score = np.log(np.clip(ovr, 1e-4, 1 - 1e-4) / (1 - np.clip(ovr, 1e-4, 1 - 1e-4)))[:, :, None]
        bias = np.broadcast_to(np.eye(S, dtype=np.float32)[None, :, :], (n, S, S))
        return np.concatenate([shared, score, bias], axis=2).astype(np.float32)

    def _fit_pairs(self, F: np.ndarray, Y: np.ndarray) -> tuple[StandardScaler, LogisticRegression]:
        rows = F.reshape(-1, F.shape[2])
        scaler = StandardScaler().fit(rows)
        model = LogisticRegression(C=self.C, max_iter=2000).fit(scaler.transform(rows), Y.reshape(-1))
        return scaler, model

    def choose_thresholds(self, Y: np.ndarray, P: np.ndarray, measure_Y: np.ndarray) -> np.ndarray:
        """The probability at which a passage credits each criterion: its ``fold_thresholds``,
        never below ``min_threshold``. On strategies written apart from the labels, credits under
        0.7 were mostly a sibling criterion's substance, a problem or a recital, and those from
        0.7 to 0.9 right about half the time, though the labels' own folds put many cuts lower."""
        return np.maximum(self.fold_thresholds(Y, P, measure_Y), self.min_threshold)

    def fold_thresholds(self, Y: np.ndarray, P: np.ndarray, measure_Y: np.ndarray) -> np.ndarray:
        """Per criterion, the cut among the passages of its measure (a criterion is only ever
        credited inside its measure) that maximises F-beta, ``threshold_beta`` (0.7: precision
        weighs more, as a wrong credit is what a reviewer sees; a criterion needs only one right
        credit in a document); criteria with fewer than ``min_support`` labelled passages take
        their measure's pooled cut. What the probabilities themselves separate at: a "no
        evidence" flag is confident by how far its closest passage stays below this cut."""
        assert self.space is not None
        thresholds = np.zeros(Y.shape[1])
        beta = self.threshold_beta
        for columns in self.space.measure_columns().values():
            rows = measure_Y[:, columns[0]] == 1
            pooled = best_thresholds(Y[rows][:, columns].reshape(-1, 1), P[rows][:, columns].reshape(-1, 1), beta)[0]
            own = best_thresholds(Y[rows][:, columns], P[rows][:, columns], beta)
            for k, j in enumerate(columns):
                thresholds[j] = own[k] if Y[:, j].sum() >= self.min_support else pooled
        return thresholds

    # -- predicting -------------------------------------------------------------------------
    def predict_proba(self, X: Sequence[str], *, sentences_of: Sequence[bool] | None = None) -> np.ndarray:
        """(n_passages, n_substances) probabilities in ``classes_`` order. ``sentences_of``: the
        passages whose sentences are scored too (default all); a review passes those tagged with
        a measure, the only ones that can credit a criterion, and saves embedding the others'."""
        check_is_fitted(self)
        texts = _texts(X)
        if not len(texts):
            return np.zeros((0, len(self.classes_)))
        whole = self._passage_proba(texts, self._embed(texts))
        windows = self._windows(texts, sentences_of)
        if not len(windows.texts):
            return whole
        return np.maximum(whole, windows.best(self._passage_proba(windows.texts, windows.vectors), len(texts)))

    def _passage_proba(self, texts: np.ndarray, V: np.ndarray) -> np.ndarray:
        ovr = _predict_ovr(self.ovr_, V)
        if self.method == "one-vs-rest":
            return ovr
        return _predict_pairs(self.scaler_, self.pair_model_, self._pairs(texts, V, self.examples_, ovr, None))

    def predict(self, X: Sequence[str]) -> np.ndarray:
        return (self.predict_proba(X) >= self.thresholds_).astype(int)

    @property
    def feature_names(self) -> list[str]:
        return [*FEATURE_NAMES, "criterion_regression", *(f"bias {s}" for s in self.classes_)]


@dataclass(frozen=True)
class _Windows:
    """Sentences of a batch of passages: ``owner`` maps each to its passage."""

    texts: np.ndarray
    vectors: np.ndarray
    owner: np.ndarray

    def fill(
        self,
        target: np.ndarray,
        passages: np.ndarray,
        score: Callable[[np.ndarray], np.ndarray],
        features: np.ndarray | None,
    ) -> None:
        """``target``'s rows for the windows of ``passages``: ``score`` of their ``features``."""
        rows = np.flatnonzero(np.isin(self.owner, passages))
        if len(rows) and features is not None:
            target[rows] = score(features[rows])

    def best(self, scores: np.ndarray, n: int) -> np.ndarray:
        """(n, columns): each passage's best window score, 0 for a passage without windows."""
        return np.maximum(max_by_owner(scores, self.owner, n), 0.0).astype(np.float32)


def _texts(X: Sequence[str]) -> np.ndarray:
    texts = np.asarray(X, dtype=object)
    if texts.ndim != 1 or not all(isinstance(t, str) for t in texts):
        raise ValueError("X must be a sequence of passage texts")
    return texts


def _fit_ovr(V: np.ndarray, Y: np.ndarray, C: float) -> list[LogisticRegression | float]:
    """One regression per criterion; a criterion without positives here is a constant 0."""
    models: list[LogisticRegression | float] = []
    for j in range(Y.shape[1]):
        if 0 < Y[:, j].sum() < len(Y):
            models.append(LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(V, Y[:, j]))
        else:
            models.append(float(Y[:, j].mean()) if len(Y) else 0.0)
    return models


def _predict_ovr(models: list[LogisticRegression | float], V: np.ndarray) -> np.ndarray:
    return np.column_stack(
        [m.predict_proba(V)[:, 1] if isinstance(m, LogisticRegression) else np.full(len(V), m) for m in models]
    ).astype(np.float32)


def _predict_pairs(scaler: StandardScaler, model: LogisticRegression, F: np.ndarray) -> np.ndarray:
    rows = scaler.transform(F.reshape(-1, F.shape[2]))
    return model.predict_proba(rows)[:, 1].reshape(F.shape[0], F.shape[1])
