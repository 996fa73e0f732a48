"""Why a passage was tagged with a measure: the taxonomy's evidence terms it contains and the
labelled passages of that measure it most resembles, so a reviewer can judge a tag, not just
read its score."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.embed import EmbeddingCache, Embeddings, embed_texts, read_shipped_vectors
from pipeline.encoder import embedding_identity
from pipeline.labels import LabelledPassage
from pipeline.models import LabelledNeighbour, MeasureCoverage, Why
from pipeline.settings import Settings
from pipeline.taxonomy import Measure, Taxonomy


@dataclass(frozen=True)
class LabelledIndex:
    """The labelled passages with their unit embeddings (shipped with the tagger, or embedded
    once per process), so finding neighbours is one matrix product."""

    passages: list[LabelledPassage]
    vectors: np.ndarray

    def nearest(self, vector: np.ndarray, measure_id: str, k: int) -> list[LabelledNeighbour]:
        """The ``k`` labelled passages of ``measure_id`` closest to ``vector`` by cosine."""
        rows = [i for i, p in enumerate(self.passages) if measure_id in p.measures]
        if not rows or k == 0:
            return []
        similarity = self.vectors[rows] @ np.asarray(vector, dtype=np.float32)
        best = np.argsort(-similarity, kind="stable")[:k]
        return [
            LabelledNeighbour(
                id=self.passages[rows[i]].id,
                text=self.passages[rows[i]].text,
                measures=self.passages[rows[i]].measures,
                origin=self.passages[rows[i]].origin,
                similarity=round(float(similarity[i]), 4),
            )
            for i in best
        ]


def labelled_vectors_path(tagger_path: Path) -> Path:
    """Where ``wgll train`` keeps the labelled passages' embeddings: next to the tagger."""
    return tagger_path.with_name("labelled-embeddings.npz")


def save_labelled_vectors(labelled: Sequence[LabelledPassage], settings: Settings, path: Path) -> Path:
    """Ship the labelled passages' embeddings with the tagger, keyed like the embedding cache
    (model, runtime and text): without them every new process or worker with an empty cache would
    embed all ~1,700 passages (close to a minute on 2 cores) before its first review."""
    texts = [p.text for p in labelled]
    vectors = embed_texts(texts, settings)
    identity = embedding_identity(settings)  # after embedding: PyTorch's if the runtime failed
    keys = [EmbeddingCache.key(identity, text) for text in texts]
    np.savez_compressed(path, keys=np.array(keys), vectors=vectors)
    return path


def build_labelled_index(
    labelled: Sequence[LabelledPassage], settings: Settings, stored: Path | None = None
) -> LabelledIndex:
    """The index, taking each passage's embedding from the ``stored`` file when it holds that
    model's vector of that text (a passage added since, e.g. a reviewer verdict, is embedded)."""
    passages = list(labelled)
    if not passages:
        return LabelledIndex(passages=passages, vectors=np.zeros((0, 0), np.float32))
    known = read_shipped_vectors(stored)
    identity = embedding_identity(settings)
    keys = [EmbeddingCache.key(identity, p.text) for p in passages]
    missing = [i for i, key in enumerate(keys) if key not in known]
    if missing:
        computed = embed_texts([passages[i].text for i in missing], settings)
        known.update({keys[i]: vector for i, vector in zip(missing, computed, strict=False)})
    vectors = np.vstack([known[key] for key in keys]).astype(np.float32)
    return LabelledIndex(passages=passages, vectors=vectors)


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    """Whole words only; acronyms (SRO, DMA) must keep their case so ordinary words do not match."""
    flags = 0 if term.isupper() else re.IGNORECASE
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", flags)


def matched_terms(text: str, measure: Measure) -> dict[str, list[str]]:
    """The evidence terms of the measure and of each of its criteria that occur in ``text``."""
    found: dict[str, list[str]] = {}
    for owner, terms in [(measure.id, measure.terms)] + [(c.id, c.terms) for c in measure.criteria]:
        hits = [term for term in terms if term_pattern(term).search(text)]
        if hits:
            found[owner] = hits
    return found


def explain_coverage(
    measures: Sequence[MeasureCoverage],
    embeddings: Embeddings,
    index: LabelledIndex,
    taxonomy: Taxonomy,
    neighbours: int,
) -> list[MeasureCoverage]:
    """The same verdicts with a ``why`` on every evidence passage."""
    row = {passage_id: i for i, passage_id in enumerate(embeddings.ids)}
    explained = []
    for coverage in measures:
        measure = taxonomy.measure(coverage.id)
        evidence = [
            e.model_copy(
                update={
                    "why": Why(
                        terms=matched_terms(e.text, measure),
                        nearest=index.nearest(embeddings.vectors[row[e.passage_id]], coverage.id, neighbours),
                    )
                }
            )
            for e in coverage.evidence
        ]
        explained.append(coverage.model_copy(update={"evidence": evidence}))
    return explained
