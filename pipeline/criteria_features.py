"""What the criterion model knows of a (passage, criterion) pair: the passage's similarity to the
criterion's wording and to the labelled passages that evidence it, the criterion's evidence terms
in the passage, and where it ranks among its measure's criteria. Twins are one substance here
(``Taxonomy.substance_of``): a pair is (passage, substance), scored once for both wordings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.embed import embed_texts
from pipeline.explain import term_pattern
from pipeline.settings import Settings
from pipeline.taxonomy import Taxonomy

NEIGHBOURS = 3  # labelled passages averaged for the "similar to its examples" feature
FEATURE_NAMES = (
    "prompt_cosine",
    "title_cosine",
    "cosine_below_best_in_measure",
    "rank_in_measure",
    "terms_matched",
    "any_term",
    "nearest_example",
    "mean_nearest_examples",
    "example_contrast",
    "nearest_example_of_measure",
)


@dataclass(frozen=True)
class CriterionSpace:
    """The substances (twins folded) with the embedded wording and evidence terms of their
    member criteria: everything about the taxonomy a pair's features need."""

    ids: list[str]  # one id per substance, the ICS member's for a twin pair
    measures: list[str]
    members: list[list[str]]
    prompts: np.ndarray  # (n_members_total, dim) unit vectors
    titles: np.ndarray
    owner: np.ndarray  # substance index of each row of prompts and titles
    terms: list[list[str]]

    def fold(self, criteria_lists: Sequence[Sequence[str]], taxonomy: Taxonomy) -> np.ndarray:
        """(n, n_substances) indicator of labelled criteria, twins folded together."""
        column = {s: j for j, s in enumerate(self.ids)}
        Y = np.zeros((len(criteria_lists), len(self.ids)), dtype=int)
        for i, criteria in enumerate(criteria_lists):
            for criterion in criteria:
                Y[i, column[taxonomy.substance_of(criterion)]] = 1
        return Y

    def measure_columns(self) -> dict[str, np.ndarray]:
        owner = np.array(self.measures)
        return {m: np.flatnonzero(owner == m) for m in dict.fromkeys(self.measures)}


def build_space(taxonomy: Taxonomy, settings: Settings) -> CriterionSpace:
    ids = taxonomy.substances
    index = {s: j for j, s in enumerate(ids)}
    members: list[list[str]] = [[] for _ in ids]
    for criterion in taxonomy.criteria:
        members[index[taxonomy.substance_of(criterion.id)]].append(criterion.id)
    known = {c.id: c for c in taxonomy.criteria}
    flat = [(j, known[c]) for j, group in enumerate(members) for c in group]
    return CriterionSpace(
        ids=ids,
        measures=[taxonomy.measure_of(s) for s in ids],
        members=members,
        prompts=embed_texts([c.prompt for _, c in flat], settings),
        titles=embed_texts([c.title for _, c in flat], settings),
        owner=np.array([j for j, _ in flat]),
        terms=[sorted({t for c in group for t in known[c].terms}) for group in members],
    )


def _best_per_substance(sims: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    out = np.full((sims.shape[0], n), -1.0, dtype=np.float32)
    for row, j in enumerate(owner):
        out[:, j] = np.maximum(out[:, j], sims[:, row])
    return out


# Characters a case-blind regular expression matches to an ASCII letter that ``str.lower`` does
# not turn into that letter: folded first, so a term absent from the lowered text is surely absent.
_CASE_FOLDS = str.maketrans({"İ": "i", "ı": "i", "ſ": "s"})


def term_hits(texts: Sequence[str], space: CriterionSpace) -> np.ndarray:
    """How many of each substance's evidence terms occur in each text (whole words). A term is
    looked for with its word-boundary pattern only where it occurs as a plain substring: the
    same counts as searching every pattern in every text (700 terms x 270 passages took 2.5 s of
    a 60-page review), in a twentieth of the time."""
    hits = np.zeros((len(texts), len(space.ids)), dtype=np.float32)
    for i, text in enumerate(texts):
        lowered = text.translate(_CASE_FOLDS).lower()
        for j, terms in enumerate(space.terms):
            hits[i, j] = sum(1 for term in terms if _occurs(term, text, lowered))
    return hits


def _occurs(term: str, text: str, lowered: str) -> bool:
    if term.isupper():  # matched with its case (``term_pattern``)
        if term not in text:
            return False
    elif term.isascii() and term.lower() not in lowered:
        return False
    return term_pattern(term).search(text) is not None


@dataclass(frozen=True)
class Examples:
    """Labelled passages the neighbour features compare with: their vectors, folded criterion
    labels, measures (as substance-aligned indicator) and source documents."""

    vectors: np.ndarray
    Y: np.ndarray
    measure_Y: np.ndarray  # (n, n_substances): 1 where the passage evidences the substance's measure
    sources: np.ndarray


def neighbour_features(
    V: np.ndarray, sources: Sequence[str] | np.ndarray | None, examples: Examples
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per substance: the best and mean-of-3 cosine to labelled passages evidencing it, the best
    cosine to it minus the best to passages of its measure that do not, and the best cosine to
    any passage of its measure. Passages of the same source never count as neighbours, so the
    features of a training passage look like those of a new document's."""
    sims = V @ examples.vectors.T
    if sources is not None:
        sims[np.asarray(sources)[:, None] == examples.sources[None, :]] = -1.0
    n, S = V.shape[0], examples.Y.shape[1]
    best, mean3, contrast, of_measure = (np.full((n, S), -1.0, dtype=np.float32) for _ in range(4))
    for j in range(S):
        positive = examples.Y[:, j] == 1
        sibling = (examples.measure_Y[:, j] == 1) & ~positive
        if positive.any():
            top = -np.sort(-sims[:, positive], axis=1)[:, :NEIGHBOURS]
            best[:, j], mean3[:, j] = top[:, 0], top.mean(axis=1)
        if sibling.any():
            contrast[:, j] = best[:, j] - sims[:, sibling].max(axis=1)
        in_measure = examples.measure_Y[:, j] == 1
        if in_measure.any():
            of_measure[:, j] = sims[:, in_measure].max(axis=1)
    return best, mean3, contrast, of_measure


def pair_features(
    texts: Sequence[str],
    V: np.ndarray,
    space: CriterionSpace,
    examples: Examples,
    sources: Sequence[str] | np.ndarray | None = None,
) -> np.ndarray:
    """(n, n_substances, len(FEATURE_NAMES)) features of every (passage, substance) pair."""
    S = len(space.ids)
    prompt = _best_per_substance(V @ space.prompts.T, space.owner, S)
    title = _best_per_substance(V @ space.titles.T, space.owner, S)
    below_best = np.zeros_like(prompt)
    rank = np.zeros_like(prompt)
    for columns in space.measure_columns().values():
        block = prompt[:, columns]
        below_best[:, columns] = block.max(axis=1, keepdims=True) - block
        rank[:, columns] = np.argsort(np.argsort(-block, axis=1), axis=1) / max(len(columns) - 1, 1)
    hits = term_hits(texts, space)
    best, mean3, contrast, of_measure = neighbour_features(V, sources, examples)
    return np.stack(
        [
            prompt,
            title,
            below_best,
            rank,
            np.minimum(hits, 3),
            (hits > 0).astype(np.float32),
            best,
            mean3,
            contrast,
            of_measure,
        ],
        axis=2,
    )
