"""The sample strategies come out of ingest as their authors wrote them."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from pipeline.ingest import read_document
from pipeline.models import Document
from tests.conftest import SAMPLE_DIR
from tests.sources import plain, source_of

SAMPLES = sorted(SAMPLE_DIR.glob("*.pdf"))


@pytest.fixture(scope="module", params=SAMPLES, ids=lambda p: p.stem)
def sample(request: pytest.FixtureRequest) -> tuple[Path, Document]:
    return request.param, read_document(request.param)


def test_every_page_is_read_with_its_number(sample: tuple[Path, Document]) -> None:
    path, document = sample
    expected = len(pdfium.PdfDocument(path))
    assert 8 <= expected <= 30
    assert document.page_count == expected
    assert [page.number for page in document.pages] == list(range(1, expected + 1))


def test_headings_are_found_at_their_levels(sample: tuple[Path, Document]) -> None:
    path, document = sample
    found = {plain(h.text): h.level for page in document.pages for h in page.headings}
    blocks = source_of(path).blocks
    h1 = [plain(b.lines[0]) for b in blocks if b.kind == "h1"]
    h2 = [plain(b.lines[0]) for b in blocks if b.kind == "h2"]
    assert set(h1 + h2) <= set(found), sorted(set(h1 + h2) - set(found))
    assert max(found[h] for h in h1) < min(found[h] for h in h2)


def test_paragraphs_read_whole_and_in_order(sample: tuple[Path, Document]) -> None:
    """Columns read one after the other, hyphenated words mended, nothing from a running
    header or footer dropped into the middle of a paragraph."""
    path, document = sample
    text = " ".join(document.text.split())
    position = 0
    for block in source_of(path).blocks:
        if block.kind == "paragraph":
            paragraph = plain(" ".join(block.lines))
            found = text.find(paragraph, position)
            assert found >= 0, f"{path.name}: paragraph not found whole or in order: {paragraph[:80]}"
            position = found + len(paragraph)


def test_running_headers_footers_and_page_numbers_are_removed(sample: tuple[Path, Document]) -> None:
    path, document = sample
    meta = source_of(path).meta
    for page in document.pages:
        assert meta["running_header"] not in page.text
        assert f"Page {page.number}" not in page.text
        assert not any(line.strip() == str(page.number) for line in page.text.splitlines())


def test_title_comes_from_the_pdf(sample: tuple[Path, Document]) -> None:
    path, document = sample
    assert document.title == source_of(path).meta["title"]
