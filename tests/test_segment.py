"""Passages stay inside a section, keep their pages and offsets, and are never navigation."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ingest import read_document
from pipeline.models import Document, Passage
from pipeline.segment import split_passages
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy
from tests.conftest import SAMPLE_DIR

SAMPLES = sorted(SAMPLE_DIR.glob("*.pdf"))
MEASURE_NAMES = [m.name for m in load_taxonomy(Settings().taxonomy_path).measures]


@pytest.fixture(scope="module", params=SAMPLES, ids=lambda p: p.stem)
def segmented(request: pytest.FixtureRequest) -> tuple[Path, Document, list[Passage]]:
    document = read_document(request.param)
    return request.param, document, split_passages(document, Settings(), listing_names=MEASURE_NAMES)


def test_passages_carry_pages_offsets_and_heading(segmented: tuple[Path, Document, list[Passage]]) -> None:
    _, document, passages = segmented
    assert len(passages) >= 30
    for passage in passages:
        assert passage.pages and all(1 <= p <= document.page_count for p in passage.pages)
        assert " ".join(document.text[passage.start_char : passage.end_char].split()) == passage.text
        start_page = max(i for i, s in enumerate(document.page_starts) if s <= passage.start_char)
        assert passage.pages[0] == document.pages[start_page].number
        assert passage.heading


def test_passages_fit_the_embedding_window(segmented: tuple[Path, Document, list[Passage]]) -> None:
    _, _, passages = segmented
    settings = Settings()
    assert all(len(p.text.split()) <= settings.passage_max_words for p in passages)
    assert sum(len(p.text.split()) for p in passages) / len(passages) >= 30


def test_passages_stay_inside_their_section(segmented: tuple[Path, Document, list[Passage]]) -> None:
    _, document, passages = segmented
    heading_starts = sorted(
        start + h.start_char
        for page, start in zip(document.pages, document.page_starts, strict=False)
        for h in page.headings
    )
    for passage in passages:
        assert not any(passage.start_char < h < passage.end_char for h in heading_starts), passage.text[:80]


def test_contents_glossary_and_framework_lists_are_not_passages(
    segmented: tuple[Path, Document, list[Passage]],
) -> None:
    path, _, passages = segmented
    for passage in passages:
        heading = (passage.heading or "").lower()
        assert not any(word in heading for word in ("contents", "glossary", "acronyms")), heading
    assert not any(". . . . ." in p.text for p in passages)
    for passage in passages:
        named = sum(1 for name in MEASURE_NAMES if name.lower() in passage.text.lower())
        assert named < 4, f"{path.name}: framework listing kept: {passage.text[:80]}"


def test_framework_listing_is_dropped() -> None:
    listing = "This strategy follows the seven measures: " + ", ".join(MEASURE_NAMES) + "."
    from pipeline.models import Page

    document = Document(id="d", file="f.pdf", title="t", page_count=1, pages=[Page(number=1, text=listing)])
    assert split_passages(document, Settings(), listing_names=MEASURE_NAMES) == []
    assert split_passages(document, Settings(), listing_names=[])


def test_building_the_segmenter_does_not_import_pytorch() -> None:
    """spaCy's thinc would import PyTorch (about 1.4 s of CPU) though a blank pipeline never uses it."""
    import subprocess
    import sys

    probe = (
        "import sys; from pipeline.segment import build_segmenter, split_passages; build_segmenter(); "
        "print(sorted(m for m in ('torch', 'spacy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "['spacy']"
