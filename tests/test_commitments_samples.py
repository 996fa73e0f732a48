"""The register of commitments of every sample strategy scored against its written gold
(corpora/sample/commitments, docs/commitments.md): real PDFs, real ingest and segmenter. Text, due
date and owner do not depend on the tagger, so the passages are not tagged here; the full review
is scored by benchmarks/commitments_eval.py. Measured when written: precision 0.986, recall 0.991,
due dates right for 99.8% and owners for 95.2% of the commitments found; the floors leave room
for small changes in how PDFs are read, not for a broken extractor."""

from __future__ import annotations

import pytest

from pipeline.commitments import find_commitments
from pipeline.commitments_eval import CommitmentScores, normalise, read_gold, score
from pipeline.ingest import read_document
from pipeline.manifest import collect_items
from pipeline.models import Commitment, Document
from pipeline.segment import split_passages
from pipeline.settings import Settings
from tests.conftest import SAMPLE_DIR

GOLD = read_gold(SAMPLE_DIR / "commitments")
Samples = dict[str, tuple[Document, list[Commitment]]]


@pytest.fixture(scope="module")
def samples() -> Samples:
    settings = Settings()
    read = {}
    for item in collect_items([SAMPLE_DIR]):
        if item.path.name in GOLD:
            document = read_document(item.path, settings, source=item.source)
            read[item.path.name] = (document, find_commitments(document, split_passages(document, settings)))
    return read


def test_every_sample_has_a_gold_register_whose_texts_are_in_its_pdf(samples: Samples) -> None:
    assert set(samples) == set(GOLD) and len(GOLD) == len(list(SAMPLE_DIR.glob("*.pdf")))
    for file, (document, _) in samples.items():
        text = normalise(document.text)
        for entry in GOLD[file]["commitments"]:  # type: ignore[union-attr]
            assert text.count(normalise(entry["text"])) == 1, f"{file}: {entry['text']!r} is not once in the PDF's text"


def test_samples_meet_the_targets(samples: Samples) -> None:
    scores: CommitmentScores = score({file: found for file, (_, found) in samples.items()}, GOLD)
    assert scores.gold == 547
    assert scores.precision >= 0.95 and scores.recall >= 0.95, scores.model_dump(exclude={"documents"})
    assert scores.due_share >= 0.95 and scores.owner_share >= 0.85, scores.model_dump(exclude={"documents"})
    for document in scores.documents:
        assert document.matched >= 0.9 * document.gold and document.matched >= 0.9 * document.found, document.file


def test_register_entries_point_at_real_pages(samples: Samples) -> None:
    for document, found in samples.values():
        for commitment in found:
            assert commitment.pages and all(1 <= p <= document.page_count for p in commitment.pages)
            assert commitment.passage_id.startswith(document.id)
