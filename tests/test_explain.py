"""Why a passage was tagged: the taxonomy's terms it contains and its nearest labelled passages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.embed import EmbeddingCache, embed_passages, embed_texts, seed_cache
from pipeline.encoder import embedding_identity
from pipeline.explain import (
    build_labelled_index,
    explain_coverage,
    labelled_vectors_path,
    matched_terms,
    save_labelled_vectors,
)
from pipeline.labels import LabelledPassage, read_labelled
from pipeline.models import Evidence, MeasureCoverage, Passage
from pipeline.settings import get_settings
from pipeline.taxonomy import Taxonomy, load_taxonomy

LABELLED = [
    LabelledPassage(
        id="a-1",
        text="Every hospital ward now records observations on handheld devices at the bedside.",
        measures=["M2"],
    ),
    LabelledPassage(
        id="a-2", text="Our board approved the digital strategy and named a senior responsible owner.", measures=["M1"]
    ),
    LabelledPassage(
        id="a-3",
        text="Nurses chart vital signs electronically, so early warning scores are calculated automatically.",
        measures=["M2", "M4"],
    ),
    LabelledPassage(
        id="a-4", text="Residents can book appointments and see test results in the NHS App.", measures=["M5"]
    ),
    LabelledPassage(
        id="a-5", text="Paper observation charts were withdrawn from all wards last spring.", measures=["M2"]
    ),
]


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(get_settings().taxonomy_path)


def test_terms_match_whole_words_and_acronyms_keep_their_case(taxonomy: Taxonomy) -> None:
    m1 = taxonomy.measure("M1")
    found = matched_terms("The SRO chairs our digital programme board; the Joint Forward Plan funds it.", m1)
    assert "SRO" in found["M1"] and "digital programme board" in found["M1"]
    assert "Joint Forward Plan" in found["M1.ICS.1"]
    assert "SRO" not in str(matched_terms("Our sro and the Pasro scheme.", m1))
    assert matched_terms("Nothing about governance here at all.", taxonomy.measure("M7")) == {}


def test_nearest_labelled_passages_are_of_the_tagged_measure_closest_first(taxonomy: Taxonomy) -> None:
    settings = get_settings()
    index = build_labelled_index(LABELLED, settings)
    text = "Ward staff record patients' observations electronically at the bedside."
    passage = Passage(
        passage_id="d-0",
        document_id="d",
        ordinal=0,
        text=text,
        heading="Wards",
        pages=[2],
        start_char=0,
        end_char=len(text),
    )
    embeddings = embed_passages([passage], settings)
    evidence = Evidence(passage_id="d-0", pages=[2], heading="Wards", text=text, score=0.9)
    coverage = MeasureCoverage(
        id="M2", name="Ensure smart foundations", status="weak", score=0.5, criteria=[], evidence=[evidence]
    )

    (explained,) = explain_coverage([coverage], embeddings, index, taxonomy, neighbours=2)

    why = explained.evidence[0].why
    assert why is not None
    assert [n.id for n in why.nearest] == ["a-1", "a-3"]  # of M2 only, the closest first
    assert why.nearest[0].similarity >= why.nearest[1].similarity > 0.3
    assert why.nearest[0].text == LABELLED[0].text and why.nearest[0].origin == "written"
    assert explained.evidence[0].score == 0.9 and coverage.evidence[0].why is None


def test_labelled_embeddings_saved_with_the_tagger_are_used_and_new_passages_embedded(tmp_path: Path) -> None:
    """A new worker reads the shipped vectors instead of embedding every labelled passage; a
    passage the file lacks (a reviewer verdict imported since training) is embedded."""
    settings = get_settings()
    stored = save_labelled_vectors(LABELLED[:4], settings, tmp_path / "labelled-embeddings.npz")
    with np.load(stored) as saved:
        keys, vectors = saved["keys"].tolist(), saved["vectors"].copy()
    vectors[0] = -vectors[0]  # a vector no model would compute for that text: proves the file is read
    np.savez_compressed(stored, keys=np.array(keys), vectors=vectors)

    index = build_labelled_index(LABELLED, settings, stored)

    fresh = embed_texts([p.text for p in LABELLED], settings)
    assert np.allclose(index.vectors[0], -fresh[0])
    assert np.allclose(index.vectors[1:], fresh[1:], atol=1e-5)
    assert np.allclose(build_labelled_index(LABELLED, settings, tmp_path / "absent.npz").vectors, fresh, atol=1e-5)


def test_the_shipped_labelled_embeddings_cover_the_shipped_labels(taxonomy: Taxonomy) -> None:
    """Retraining writes them; a labels or embedding runtime change without `wgll train` would
    leave this file stale."""
    settings = get_settings()
    labelled = read_labelled(settings.labels_path, taxonomy.measure_ids)
    with np.load(labelled_vectors_path(settings.tagger_path)) as saved:
        shipped = set(saved["keys"].tolist())
    assert {EmbeddingCache.key(embedding_identity(settings), p.text) for p in labelled} <= shipped


def test_shipped_vectors_seed_an_empty_cache_so_training_embeds_only_what_is_new(tmp_path: Path) -> None:
    settings = get_settings()
    shipped = tmp_path / "labelled-embeddings.npz"
    identity = embedding_identity(settings)
    marked = np.full((1, 384), 0.05, dtype=np.float32)  # no model computes this: proves it came from the file
    np.savez_compressed(shipped, keys=np.array([EmbeddingCache.key(identity, LABELLED[0].text)]), vectors=marked)
    empty = settings.model_copy(update={"cache_dir": tmp_path / "cache"})

    assert seed_cache(shipped, empty) == 1
    assert seed_cache(shipped, empty) == 0, "only what the cache lacks is added"
    assert seed_cache(tmp_path / "absent.npz", empty) == 0
    assert np.array_equal(embed_texts([LABELLED[0].text], empty), marked)
