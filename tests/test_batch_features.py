"""The shipped tagger computes each feature once per batch (pipeline/batch_features.py) and gives
exactly the probabilities its 42 pipelines give when each computes its own."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.batch_features import BatchTfidfVectorizer, shared_features
from pipeline.labels import read_labelled
from pipeline.review import load_components
from pipeline.settings import Settings

SETTINGS = Settings()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [p.text for p in read_labelled(SETTINGS.labels_path)[::3]]


def _pipeline_by_pipeline(tagger, texts: list[str]) -> np.ndarray:  # type: ignore[no-untyped-def]
    """What ``predict_proba`` computed before: every model on its own, outside any shared batch."""
    features = tagger._features(tagger._texts(texts))
    return np.column_stack(
        [model.predict_proba(tagger._measure_features(features, j))[:, 1] for j, model in enumerate(tagger.estimators_)]
    )


def test_shared_features_give_the_same_probabilities_as_each_pipeline_alone(texts: list[str]) -> None:
    tagger = load_components(SETTINGS).tagger
    shared = tagger.predict_proba(texts)
    alone = _pipeline_by_pipeline(tagger, texts)
    assert shared.shape == (len(texts), 7)
    assert np.array_equal(shared, alone), f"largest difference {np.abs(shared - alone).max()}"
    assert np.array_equal(tagger.predict_proba(texts[:40]), shared[:40]), "a batch's features never leak into the next"


def test_the_vectorizer_counts_from_the_batch_as_it_would_from_the_texts(texts: list[str]) -> None:
    fitted = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts[::2])
    plain = fitted.transform(texts).toarray()
    fitted.__class__ = BatchTfidfVectorizer
    batch = np.asarray(texts, dtype=object)
    with shared_features(batch, [fitted]):
        from_batch = fitted.transform(batch).toarray()
        other = fitted.transform(texts[:3]).toarray()  # not the batch's texts: counted as usual
    assert np.array_equal(from_batch, plain)
    assert np.array_equal(other, plain[:3])
