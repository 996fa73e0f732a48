"""Why a passage was tagged with a measure: the taxonomy's evidence terms it contains and the
labelled passages of that measure it most resembles, so a reviewer can judge a tag, not just
read its score."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pipeline.embed import Embeddings, embed_texts
from pipeline.labels import LabelledPassage
from pipeline.models import LabelledNeighbour, MeasureCoverage, Why
from pipeline.settings import Settings
from pipeline.taxonomy import Measure, Taxonomy


@dataclass(frozen=True)
class LabelledIndex:
    """The labelled passages with their unit embeddings, embedded once per process (and cached
    on disk by the embedding cache), so finding neighbours is one matrix product."""

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


def build_labelled_index(labelled: Sequence[LabelledPassage], settings: Settings) -> LabelledIndex:
    passages = list(labelled)
    vectors = embed_texts([p.text for p in passages], settings) if passages else np.zeros((0, 0), np.float32)
    return LabelledIndex(passages=passages, vectors=vectors)


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str]:
    """Whole words only; acronyms (SRO, DMA) must keep their case so ordinary words do not match."""
    flags = 0 if term.isupper() else re.IGNORECASE
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", flags)


def matched_terms(text: str, measure: Measure) -> dict[str, list[str]]:
    """The evidence terms of the measure and of each of its criteria that occur in ``text``."""
    found: dict[str, list[str]] = {}
    for owner, terms in [(measure.id, measure.terms)] + [(c.id, c.terms) for c in measure.criteria]:
        hits = [term for term in terms if _term_pattern(term).search(text)]
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
            e.model_copy(update={"why": Why(
                terms=matched_terms(e.text, measure),
                nearest=index.nearest(embeddings.vectors[row[e.passage_id]], coverage.id, neighbours),
            )})
            for e in coverage.evidence
        ]
        explained.append(coverage.model_copy(update={"evidence": evidence}))
    return explained
