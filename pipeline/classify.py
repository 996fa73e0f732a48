"""Taggers: scikit-learn estimators over passage texts that score each passage against each
WGLL measure (the baselines here, the shipped one in ``pipeline/measure_tagger.py``), the
prompts they compare with, and ``tag_passages`` which turns their scores into Tag records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils.validation import check_is_fitted

from pipeline.embed import Embeddings, embed_texts
from pipeline.models import Passage, Tag
from pipeline.settings import DEFAULT_EMBEDDING_MODEL, Settings, get_settings
from pipeline.taxonomy import Taxonomy


@dataclass(frozen=True)
class Prototypes:
    """Embedded prompts of every measure and criterion: what the zero-shot tagger compares with."""

    ids: list[str]
    measures: list[str]
    vectors: np.ndarray

    def similarity(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float32) @ self.vectors.T

    def best_per_measure(self, X: np.ndarray, measure_ids: Sequence[str]) -> np.ndarray:
        """(n_passages, n_measures): the best cosine to any prompt of each measure."""
        sims = self.similarity(X)
        owner = np.array(self.measures)
        return np.column_stack([sims[:, owner == m].max(axis=1) for m in measure_ids])


def build_prototypes(taxonomy: Taxonomy, settings: Settings) -> Prototypes:
    prompts = [(m.id, m.id, m.prompt) for m in taxonomy.measures] + [
        (c.id, taxonomy.measure_of(c.id), c.prompt) for c in taxonomy.criteria
    ]
    vectors = embed_texts([text for _, _, text in prompts], settings)
    return Prototypes(ids=[p[0] for p in prompts], measures=[p[1] for p in prompts], vectors=vectors)


def best_thresholds(Y: np.ndarray, P: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """Per column, the probability cut that maximises F-beta (F1 by default) on (out-of-fold)
    predictions; a beta under 1 weighs precision more."""
    thresholds = np.full(Y.shape[1], 0.5)
    weight = beta * beta
    for j in range(Y.shape[1]):
        best = -1.0
        for cut in np.unique(np.round(P[:, j], 3)):
            predicted = P[:, j] >= cut
            tp = float(np.sum(predicted & (Y[:, j] == 1)))
            score = (1 + weight) * tp / (predicted.sum() + weight * Y[:, j].sum()) if tp else 0.0
            if score > best:
                best, thresholds[j] = score, float(cut)
    return thresholds


class SentenceEmbedder(TransformerMixin, BaseEstimator):
    """Texts to unit vectors with the configured sentence-transformers model (cached on disk)."""

    def __init__(self, model_name: str = DEFAULT_EMBEDDING_MODEL) -> None:
        self.model_name = model_name

    def fit(self, X: Sequence[str], y: object = None) -> SentenceEmbedder:
        return self

    def transform(self, X: Sequence[str]) -> np.ndarray:
        settings = get_settings().model_copy(update={"embedding_model": self.model_name})
        return embed_texts(list(X), settings)


class _ThresholdedTagger(ClassifierMixin, BaseEstimator):
    """What every tagger shares: X is a sequence of passage texts, Y an indicator matrix with one
    column per measure; one binary model per measure; per-measure thresholds chosen on
    out-of-fold probabilities, so they are not fitted to the passages they cut. ``cv`` is a
    number of folds or a list of (train, test) index pairs, e.g. grouped by source document.
    """

    cv: object
    random_state: int | None

    def _measure_ids(self) -> np.ndarray:
        raise NotImplementedError

    def _features(self, texts: np.ndarray) -> np.ndarray:
        """Features shared by every measure's model, computed once per call."""
        return texts

    def _measure_features(self, F: np.ndarray, j: int) -> np.ndarray:
        return F

    def _new_model(self) -> BaseEstimator:
        raise NotImplementedError

    def fit(self, X: Sequence[str], Y: np.ndarray, sample_weight: Sequence[int] | None = None) -> _ThresholdedTagger:
        """``sample_weight``: whole numbers; a passage of weight k is learnt from as k copies of
        itself (thresholds are still chosen on each passage once)."""
        texts = passage_texts(X)
        Y = np.asarray(Y, dtype=int)
        self.classes_ = self._measure_ids()
        if Y.shape != (len(texts), len(self.classes_)):
            raise ValueError(f"Y must have shape {(len(texts), len(self.classes_))}, got {Y.shape}")
        counts = _copies(sample_weight, len(texts))
        F = self._features(texts)
        out_of_fold = np.zeros(Y.shape, dtype=float)
        for train, test in fold_splits(self.cv, len(texts), self.random_state):
            rows = np.repeat(train, counts[train])
            for j in range(Y.shape[1]):
                model = self._new_model().fit(self._measure_features(F[rows], j), Y[rows, j])
                out_of_fold[test, j] = model.predict_proba(self._measure_features(F[test], j))[:, 1]
        self.thresholds_ = best_thresholds(Y, out_of_fold)
        rows = np.repeat(np.arange(len(texts)), counts)
        self.estimators_ = [
            self._new_model().fit(self._measure_features(F[rows], j), Y[rows, j]) for j in range(Y.shape[1])
        ]
        return self

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """(n_passages, n_measures) probabilities in ``classes_`` order."""
        check_is_fitted(self)
        F = self._features(passage_texts(X))
        return np.column_stack(
            [model.predict_proba(self._measure_features(F, j))[:, 1] for j, model in enumerate(self.estimators_)]
        )

    def predict(self, X: Sequence[str]) -> np.ndarray:
        return (self.predict_proba(X) >= self.thresholds_).astype(int)


def fold_splits(cv: object, n: int, random_state: int | None) -> list[tuple[np.ndarray, np.ndarray]]:
    """A tagger's ``cv`` as (train, test) index pairs: a number of shuffled folds, or the pairs
    given (e.g. grouped by source document)."""
    if isinstance(cv, int):
        return list(KFold(cv, shuffle=True, random_state=random_state).split(np.zeros(n)))
    return list(cv)  # type: ignore[call-overload]


def passage_texts(X: Sequence[str]) -> np.ndarray:
    """X as a 1-d object array, refusing anything but a sequence of strings."""
    texts = np.asarray(X, dtype=object)
    if texts.ndim != 1 or not all(isinstance(t, str) for t in texts):
        raise ValueError("X must be a sequence of passage texts")
    return texts


def _copies(sample_weight: Sequence[int] | None, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n, dtype=int)
    counts = np.asarray(sample_weight)
    if counts.shape != (n,) or np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError(f"sample_weight must be {n} whole numbers >= 0")
    return counts.astype(int)


def measures_of(prototypes: Prototypes | None, name: str) -> np.ndarray:
    if prototypes is None:
        raise ValueError(f"{name} needs prototypes (see build_prototypes)")
    return np.array(list(dict.fromkeys(prototypes.measures)))


class ZeroShotTagger(_ThresholdedTagger):
    """The cosine of a passage to the closest prompt of each measure, turned into a probability
    by a per-measure sigmoid fitted on labelled passages. Learns nothing about wording: the
    baseline that shows what the taxonomy's descriptions alone can do."""

    def __init__(
        self,
        *,
        prototypes: Prototypes | None = None,
        embedding_model: str = DEFAULT_EMBEDDING_MODEL,
        cv: object = 5,
        random_state: int | None = None,
    ) -> None:
        self.prototypes = prototypes
        self.embedding_model = embedding_model
        self.cv = cv
        self.random_state = random_state

    def _measure_ids(self) -> np.ndarray:
        return measures_of(self.prototypes, "ZeroShotTagger")

    def _features(self, texts: np.ndarray) -> np.ndarray:
        assert self.prototypes is not None
        vectors = SentenceEmbedder(self.embedding_model).transform(list(texts))
        return self.prototypes.best_per_measure(vectors, list(self._measure_ids()))

    def _measure_features(self, F: np.ndarray, j: int) -> np.ndarray:
        return F[:, [j]]

    def _new_model(self) -> BaseEstimator:
        return LogisticRegression(C=100.0)


class TfidfTagger(_ThresholdedTagger):
    """The word-count baseline: TF-IDF of words and word pairs, a logistic regression per measure."""

    def __init__(
        self, *, measure_ids: Sequence[str] = (), C: float = 4.0, cv: object = 5, random_state: int | None = None
    ) -> None:
        self.measure_ids = measure_ids
        self.C = C
        self.cv = cv
        self.random_state = random_state

    def _measure_ids(self) -> np.ndarray:
        if not len(self.measure_ids):
            raise ValueError("TfidfTagger needs measure_ids")
        return np.array(list(self.measure_ids))

    def _new_model(self) -> BaseEstimator:
        return _lexical_model(self.C)


def _lexical_model(C: float) -> Pipeline:
    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        LogisticRegression(C=C, max_iter=3000),
    )


class Tagger(Protocol):
    """What a review asks of a fitted tagger (ZeroShotTagger, MeasureTagger)."""

    prototypes: Prototypes | None
    classes_: np.ndarray
    thresholds_: np.ndarray

    def predict_proba(self, X: Sequence[str]) -> np.ndarray: ...

    def predict(self, X: Sequence[str]) -> np.ndarray: ...


def tag_passages(passages: Sequence[Passage], embeddings: Embeddings, tagger: Tagger) -> list[Tag]:
    """Score every passage against every measure (criteria are credited on their own by
    ``pipeline.criteria.credit_criteria``)."""
    if not passages:
        return []
    if embeddings.ids != [p.passage_id for p in passages]:
        raise ValueError("embeddings do not belong to these passages")
    probabilities = tagger.predict_proba([p.text for p in passages])
    return [
        Tag(
            passage_id=passage.passage_id,
            scores={m: round(float(p), 4) for m, p in zip(tagger.classes_, row, strict=False)},
        )
        for passage, row in zip(passages, probabilities, strict=False)
    ]
