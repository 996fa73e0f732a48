"""Features that the tagger's many models compute from the same passages, computed once per call.

The shipped tagger averages, for each of 7 measures, a semantic and a lexical model, each
calibrated on 3 folds: 42 pipelines that each start from the raw passage texts. Left alone, one
``predict_proba`` looks up the embeddings 21 times, compares them with the prompts 21 times and
tokenises every passage into words and word pairs 21 times (70% of tagging time). Inside
``shared_features(texts, models)``, the first pipeline's result is kept for the others: the
embedding lookup and prompt similarity outright, and for TF-IDF the word and word-pair counts of
the batch, which each fitted vocabulary then selects its own columns from. The results are the
same numbers; outside the context everything runs as before.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import repeat
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

T = TypeVar("T")
# The vectorizer settings that decide how a text is cut into features (not which are kept).
ANALYSIS_PARAMS = (
    "input",
    "encoding",
    "decode_error",
    "strip_accents",
    "lowercase",
    "preprocessor",
    "tokenizer",
    "stop_words",
    "token_pattern",
    "ngram_range",
    "analyzer",
)


class _Batch:
    """Results computed for one batch of texts, keyed by what computed them and on what input."""

    def __init__(self, texts: Any) -> None:
        self.texts = texts
        self.results: dict[Hashable, tuple[object, Any]] = {}


_batch: ContextVar[_Batch | None] = ContextVar("wgll_batch_features", default=None)


@contextmanager
def shared_features(texts: Any, models: Iterable[object]) -> Iterator[None]:
    """Within this context (in this thread), features of ``texts`` are computed once for all of
    ``models`` (the fitted estimators of a tagger)."""
    for vectorizer in _vectorizers(models):
        if type(vectorizer) is TfidfVectorizer:
            vectorizer.__class__ = BatchTfidfVectorizer  # same state, one method more
    token = _batch.set(_Batch(texts))
    try:
        yield
    finally:
        _batch.reset(token)


def computed_once(kind: str, source: object, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` the first time ``kind``/``key`` is asked for on this very ``source`` object
    within ``shared_features``; the kept result afterwards. Outside the context, just ``compute()``."""
    batch = _batch.get()
    if batch is None:
        return compute()
    slot = (kind, id(source), key)
    kept = batch.results.get(slot)
    if kept is not None and kept[0] is source:
        return kept[1]
    result = compute()
    batch.results[slot] = (source, result)  # holding ``source`` keeps its id from being reused
    return result


class _Counts:
    """How often each feature of a batch occurs in each text: rows are texts, columns the
    batch's own features in order of first appearance."""

    def __init__(self, texts: Iterable[str], analyze: Callable[[str], list[str]]) -> None:
        columns: dict[str, int] = {}
        indices: list[int] = []
        indptr = [0]
        for text in texts:
            indices.extend(columns.setdefault(feature, len(columns)) for feature in analyze(text))
            indptr.append(len(indices))
        self.features = list(columns)
        self.matrix = sp.csr_array((np.ones(len(indices)), indices, indptr), shape=(len(indptr) - 1, len(columns)))
        self.matrix.sum_duplicates()

    def for_vocabulary(self, vocabulary: dict[str, int], dtype: type) -> sp.csr_array:
        """The count matrix a vectorizer with this vocabulary builds: its columns, in its order."""
        found = np.fromiter(map(vocabulary.get, self.features, repeat(-1)), dtype=np.int64, count=len(self.features))
        kept = np.flatnonzero(found >= 0)
        select = sp.csr_array((np.ones(len(kept)), (kept, found[kept])), shape=(len(self.features), len(vocabulary)))
        counts = sp.csr_array(self.matrix @ select, dtype=dtype)
        counts.sort_indices()
        return counts


class BatchTfidfVectorizer(TfidfVectorizer):
    """A fitted TfidfVectorizer that, within ``shared_features``, takes its counts from the batch's
    counts instead of tokenising the texts again; anywhere else, the plain vectorizer."""

    def transform(self, raw_documents: Any) -> Any:
        batch = _batch.get()
        if batch is None or raw_documents is not batch.texts:
            return super().transform(raw_documents)
        key = tuple(repr(getattr(self, name)) for name in ANALYSIS_PARAMS)
        shared = computed_once("counts", raw_documents, key, lambda: _Counts(raw_documents, self.build_analyzer()))
        counts = shared.for_vocabulary(self.vocabulary_, self.dtype)
        if self.binary:
            counts.data.fill(1)
        return self._tfidf.transform(counts, copy=False)


def _vectorizers(models: Iterable[object]) -> Iterator[TfidfVectorizer]:
    """Every TF-IDF vectorizer inside fitted ensembles, calibrated models and pipelines."""
    for model in models:
        if isinstance(model, TfidfVectorizer):
            yield model
        elif isinstance(model, Pipeline):
            yield from _vectorizers(step for _, step in model.steps)
        else:
            inner = [*getattr(model, "estimators_", []), *getattr(model, "calibrated_classifiers_", [])]
            if hasattr(model, "estimator"):
                inner.append(model.estimator)
            yield from _vectorizers(inner)
