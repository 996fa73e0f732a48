"""The shipped tagger: three scores per passage and measure, combined and calibrated per
measure, then averaged with the vote of the passage's nearest labelled passages.

A passage is scored semantically (its embedding and the embedding's cosine to every measure and
criterion prompt, so paraphrase the labels never used still lands) and lexically (TF-IDF of
words and word pairs: programme names, suppliers, standards, acronyms). Real strategies bundle
several measures in one paragraph, and a whole-passage score blends them away, so each of its
sentences is also scored lexically and the best sentence counts. Per measure, a logistic
regression fitted on out-of-fold scores of every measure weighs them and turns them into a
calibrated probability. That probability is averaged with the vote of the 30 nearest labelled
passages (``pipeline/neighbours.py``): the regressions learn our writers' wording, the vote
carries over to real text better. Combiners and thresholds are fitted on out-of-fold scores and
votes, so neither is fitted to the passages it judges. Scoring sentences semantically as well
(pooled, or as features) measured no better and would double the embedding work of a review
(docs/quality.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from pipeline.classify import (
    Prototypes,
    SentenceEmbedder,
    best_thresholds,
    fold_splits,
    measures_of,
    passage_texts,
)
from pipeline.neighbours import NEIGHBOURS, neighbour_vote
from pipeline.settings import DEFAULT_EMBEDDING_MODEL
from pipeline.windows import max_by_owner, split_windows

SCORES = ("semantic", "lexical", "lexical_window")  # base scores, in column order


@dataclass(frozen=True)
class _Views:
    """A batch of passages as the base models read it: texts, unit vectors, and the texts of
    their windows (``owner`` maps each window to its passage)."""

    texts: np.ndarray
    vectors: np.ndarray
    window_texts: np.ndarray
    owner: np.ndarray

    def take(self, rows: np.ndarray) -> _Views:
        """The passages at ``rows`` (in that order) with their windows."""
        position = np.full(len(self.texts), -1)
        position[rows] = np.arange(len(rows))
        kept = position[self.owner] >= 0
        return _Views(self.texts[rows], self.vectors[rows], self.window_texts[kept], position[self.owner[kept]])


class _BaseScores:
    """The uncalibrated scores (logits) of every measure: a semantic logistic regression per
    measure applied to the passage, a lexical one applied to the passage and to its windows."""

    def __init__(self, prototypes: Prototypes, C: float, lexical_C: float) -> None:
        self.prototypes, self.C, self.lexical_C = prototypes, C, lexical_C

    def _semantic_features(self, vectors: np.ndarray) -> np.ndarray:
        return np.hstack([vectors, self.prototypes.similarity(vectors)])

    def fit(self, views: _Views, Y: np.ndarray, weights: np.ndarray) -> _BaseScores:
        """Solvers chosen for speed (a training run fits these 36 times over): Newton-Cholesky
        for the few hundred dense semantic features, liblinear for the sparse TF-IDF; both reach
        the same optimum as lbfgs (to within 0.999 correlation of the scores) 2-3 times faster."""
        semantic = self._semantic_features(views.vectors)
        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(views.texts)
        lexical = self.vectorizer.transform(views.texts)
        self.semantic = [
            LogisticRegression(C=self.C, solver="newton-cholesky").fit(semantic, y, sample_weight=weights) for y in Y.T
        ]
        self.lexical = [
            LogisticRegression(C=self.lexical_C, solver="liblinear").fit(lexical, y, sample_weight=weights) for y in Y.T
        ]
        return self

    def scores(self, views: _Views) -> np.ndarray:
        """(n_passages, n_measures * 3): the columns of ``SCORES`` for the first measure, then
        the second, and so on."""
        n = len(views.texts)
        semantic = self._semantic_features(views.vectors)
        lexical = self.vectorizer.transform(views.texts)
        windows = self.vectorizer.transform(views.window_texts)
        columns = [
            np.column_stack([m.decision_function(semantic) for m in self.semantic]),
            np.column_stack([m.decision_function(lexical) for m in self.lexical]),
            max_by_owner(np.column_stack([m.decision_function(windows) for m in self.lexical]), views.owner, n),
        ]
        return np.stack(columns, axis=2).reshape(n, -1)


class MeasureTagger(ClassifierMixin, BaseEstimator):
    """X: passage texts; Y: an indicator matrix with a column per measure. ``window_size``: the
    longest run of sentences scored as a window (0: whole passages only). ``cross_measure``:
    each measure's combiner also sees the other measures' scores (a passage about board
    governance is less likely to be about something else as well). ``neighbour_weight``: the share
    of the probability given by the vote of the ``neighbours`` nearest labelled passages (0: the
    regressions alone). ``cv``: folds for the out-of-fold scores, a number or a list of (train,
    test) index pairs (grouped by source)."""

    def __init__(
        self,
        *,
        prototypes: Prototypes | None = None,
        embedding_model: str = DEFAULT_EMBEDDING_MODEL,
        C: float = 4.0,
        lexical_C: float = 16.0,
        window_size: int = 1,
        cross_measure: bool = True,
        neighbour_weight: float = 0.5,
        neighbours: int = NEIGHBOURS,
        cv: object = 5,
        random_state: int | None = None,
    ) -> None:
        self.prototypes = prototypes
        self.embedding_model = embedding_model
        self.C = C
        self.lexical_C = lexical_C
        self.window_size = window_size
        self.cross_measure = cross_measure
        self.neighbour_weight = neighbour_weight
        self.neighbours = neighbours
        self.cv = cv
        self.random_state = random_state

    def _views(self, texts: np.ndarray) -> _Views:
        vectors = SentenceEmbedder(self.embedding_model).transform(list(texts))
        if self.window_size:
            window_texts, owner = split_windows(list(texts), self.window_size)
            return _Views(texts, vectors, np.asarray(window_texts, dtype=object), owner)
        return _Views(texts, vectors, texts, np.arange(len(texts)))

    def _base(self) -> _BaseScores:
        assert self.prototypes is not None
        return _BaseScores(self.prototypes, self.C, self.lexical_C)

    def _inputs(self, Z: np.ndarray, j: int) -> np.ndarray:
        if self.cross_measure:
            return Z
        width = len(SCORES)
        return Z[:, j * width : (j + 1) * width]

    def _combine(self, Z: np.ndarray) -> np.ndarray:
        return np.column_stack([m.predict_proba(self._inputs(Z, j))[:, 1] for j, m in enumerate(self.estimators_)])

    def _blend(self, combined: np.ndarray, votes: np.ndarray) -> np.ndarray:
        return (1 - self.neighbour_weight) * combined + self.neighbour_weight * votes

    def _vote(self, vectors: np.ndarray, among: np.ndarray, Y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return neighbour_vote(vectors, among, Y, weights, self.neighbours)

    def fit(self, X: Sequence[str], Y: np.ndarray, sample_weight: Sequence[float] | None = None) -> MeasureTagger:
        """``sample_weight``: how much each passage counts in every model (a reviewer's verdict
        more than a written passage); thresholds still judge each passage once."""
        self.classes_ = measures_of(self.prototypes, "MeasureTagger")
        texts = passage_texts(X)
        Y = np.asarray(Y, dtype=int)
        if Y.shape != (len(texts), len(self.classes_)):
            raise ValueError(f"Y must have shape {(len(texts), len(self.classes_))}, got {Y.shape}")
        weights = _weights(sample_weight, len(Y))
        views = self._views(texts)
        out_of_fold = np.zeros((len(Y), len(SCORES) * Y.shape[1]))
        votes = np.zeros(Y.shape)
        for train, test in fold_splits(self.cv, len(Y), self.random_state):
            train = train[weights[train] > 0]
            base = self._base().fit(views.take(train), Y[train], weights[train])
            out_of_fold[test] = base.scores(views.take(test))
            votes[test] = self._vote(views.vectors[test], views.vectors[train], Y[train], weights[train])
        self.estimators_ = [
            LogisticRegression(C=1.0, max_iter=2000).fit(self._inputs(out_of_fold, j), Y[:, j], sample_weight=weights)
            for j in range(Y.shape[1])
        ]
        blended = self._blend(self._combine(out_of_fold), votes)
        self.thresholds_ = best_thresholds(Y[weights > 0], blended[weights > 0])
        kept = np.flatnonzero(weights > 0)
        self.base_ = self._base().fit(views.take(kept), Y[kept], weights[kept])
        # The neighbours in half precision: a ranking by cosine loses nothing that matters, and the
        # fitted tagger stays half the size.
        self.neighbour_vectors_ = views.vectors[kept].astype(np.float16)
        self.neighbour_labels_ = Y[kept].astype(np.int8)
        self.neighbour_weights_ = weights[kept]
        return self

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """(n_passages, n_measures) calibrated probabilities in ``classes_`` order."""
        check_is_fitted(self)
        texts = passage_texts(X)
        if not len(texts):
            return np.zeros((0, len(self.classes_)))
        views = self._views(texts)
        combined = self._combine(self.base_.scores(views))
        if not hasattr(self, "neighbour_vectors_"):  # fitted before the vote: its thresholds are the regressions'
            return combined
        votes = self._vote(views.vectors, self.neighbour_vectors_, self.neighbour_labels_, self.neighbour_weights_)
        return self._blend(combined, votes)

    def predict(self, X: Sequence[str]) -> np.ndarray:
        return (self.predict_proba(X) >= self.thresholds_).astype(int)


def _weights(sample_weight: Sequence[float] | None, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    weights = np.asarray(sample_weight, dtype=float)
    if weights.shape != (n,) or np.any(weights < 0) or not np.any(weights > 0):
        raise ValueError(f"sample_weight must be {n} numbers >= 0, not all 0")
    return weights
