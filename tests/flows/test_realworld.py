"""The whole real-world corpus (../shared/corpora/realworld-pdfs: scans, encrypted, corrupt, rotated,
multi-column, forms, non-ASCII, up to 400 pages) in one batch: every file gets a review or a clear
error, no page is lost silently, scans are read by OCR, known passwords open their files.

Selected with ``-m realworld``; the corpus is looked for in ``$WGLL_REALWORLD_PDFS``, else next to the
checkout; skipped, saying so, where it is absent."""

from __future__ import annotations

import csv
import os
import shutil
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from flows.review import review_batch
from pipeline.ingest import read_document
from pipeline.manifest import collect_items
from pipeline.models import DocumentReview
from pipeline.settings import Settings, get_settings
from tests.conftest import ROOT

CORPUS = Path(os.environ.get("WGLL_REALWORLD_PDFS", ROOT.parent / "shared" / "corpora" / "realworld-pdfs"))
# pdfplumber returns fewer pages than the file has for these (0 of 3, 0 of 20, 41 of 90, 0 of 1, 0 of 1).
SILENT_LOSS = ["033689.pdf", "268346.pdf", "392154.pdf", "corruptiononebytemissing.pdf", "issue-297-example.pdf"]
# A scan that carries its own OCR text layer: the text the pipeline's OCR must find again.
SCAN_WITH_TEXT_LAYER = "seige_of_vicksburg_sample_ocr.pdf"
# Real strategies that are not health and care digital strategies (issue 19): a review must say so.
NOT_HEALTH_DIGITAL = ["moj-digital-strategy.pdf", "government-action-plan.pdf", "sharedristrategy_contents_final.pdf"]
UNEXPECTED = "failed unexpectedly"  # as_review_error's wording for an exception nobody anticipated

pytestmark = [
    pytest.mark.realworld,
    pytest.mark.skipif(
        not (CORPUS / "MANIFEST.csv").is_file(),
        reason=f"real-world corpus not found at {CORPUS} (set WGLL_REALWORLD_PDFS)",
    ),
]
needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="Tesseract is not installed (make services installs tesseract-ocr)"
)


def _corpus_rows() -> dict[str, dict[str, str]]:
    with (CORPUS / "MANIFEST.csv").open(newline="", encoding="utf-8") as handle:
        return {row["filename"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def corpus_batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DocumentReview]:
    """Every corpus file reviewed in one batch (2 workers, no packs) through our own manifest format, passwords
    included. The files are copied next to the manifest, because a manifest may only name files in
    its own folder."""
    folder = tmp_path_factory.mktemp("realworld")
    rows = _corpus_rows()
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "ics", "organisation_level", "year", "password"])
        for name, row in rows.items():
            shutil.copy(CORPUS / name, folder / name)
            writer.writerow([name, "", "", "", row["password"]])
    items = collect_items([folder])
    assert len(items) == len(rows)
    # Packs off: their PDFs cost seconds a document and are tested elsewhere.
    reviews = review_batch(items, tmp_path_factory.mktemp("out"), Settings(workers=2, write_packs=False))
    by_file = {review.document.file: review for review in reviews}
    outcomes = Counter(review.errors[0].code if review.errors else "reviewed" for review in reviews)
    print(f"\nreal-world corpus, {len(reviews)} files: {dict(outcomes.most_common())}")
    return by_file


def test_every_file_gets_a_review_or_a_clear_error(corpus_batch: dict[str, DocumentReview]) -> None:
    assert sorted(corpus_batch) == sorted(_corpus_rows())
    for file, review in corpus_batch.items():
        if review.errors:
            [error] = review.errors
            assert review.measures == [] and file in error.message, file
            assert UNEXPECTED not in error.message, error.message
        else:
            assert [m.id for m in review.measures] == [f"M{n}" for n in range(1, 8)], file


def _page_count(file: str) -> int | None:
    """PDFium's page count; None for a file PDFium refuses (pdfplumber may still read it)."""
    try:
        return len(pdfium.PdfDocument(CORPUS / file, password=_corpus_rows()[file]["password"] or None))
    except pdfium.PdfiumError:
        return None


def test_no_page_is_lost_silently(corpus_batch: dict[str, DocumentReview]) -> None:
    """Every reviewed file's pages are all read or listed as missing, and the count is PDFium's."""
    for file, review in corpus_batch.items():
        if review.errors:
            continue
        pages = _page_count(file)
        if pages is None:  # read by pdfplumber alone, which says so
            assert any("PDFium could not open the file" in w.message for w in review.document.warnings), file
            pages = review.document.pages
        read = sorted(n for numbers in review.document.extractors.values() for n in numbers)
        missing = [m.page for m in review.document.missing_pages]
        assert review.document.pages == pages, file
        assert sorted(read + missing) == list(range(1, pages + 1)), file
        if missing:
            assert any(w.code == "pages_missing" for w in review.document.warnings), file


def test_files_where_pdfplumber_loses_pages_report_their_true_page_count(
    corpus_batch: dict[str, DocumentReview],
) -> None:
    for file in SILENT_LOSS:
        review, pages = corpus_batch[file], _page_count(file)
        if review.errors:  # a file with nothing readable says how many pages it looked at
            assert f"{pages} page" in review.errors[0].message, review.errors[0].message
        else:
            assert review.document.pages == pages
            assert review.document.extractors == {"pdfium": list(range(1, pages + 1))}, file
            if get_settings().pdf_reader == "pdfplumber":  # PDFium's words stand in, and the review says why
                assert any("pdfplumber found" in w.message for w in review.document.warnings), file
    assert corpus_batch["392154.pdf"].document.pages == 90


def test_known_passwords_open_their_files(corpus_batch: dict[str, DocumentReview]) -> None:
    rows = _corpus_rows()
    with_password = [file for file, row in rows.items() if row["password"]]
    assert with_password
    for file in with_password:  # opened; a test file may still hold too few words to review
        review = corpus_batch[file]
        assert not review.errors or "too little text" in review.errors[0].message, review.errors
    locked = corpus_batch["encryption_openpassword.pdf"].errors[0]
    assert locked.code == "encrypted" and "password" in locked.message


def test_strategies_outside_health_and_care_digital_are_flagged_out_of_scope(
    corpus_batch: dict[str, DocumentReview],
) -> None:
    for file in NOT_HEALTH_DIGITAL:
        review = corpus_batch[file]
        assert [w.code for w in review.document.warnings].count("out_of_scope") == 1, file
        assert len(review.measures) == 7, "its verdicts are still computed"


@needs_tesseract
def test_scanned_pages_are_read_by_ocr(corpus_batch: dict[str, DocumentReview]) -> None:
    rows = _corpus_rows()
    scans = [file for file, row in rows.items() if "no-text-layer" in row["tags"].split(";")]
    assert scans
    for file in scans:
        review = corpus_batch[file]
        assert not review.errors or review.errors[0].code == "no_text", (file, review.errors)
        if not review.errors:
            assert review.document.extractors == {"ocr": [1]}, file
    mixed = corpus_batch["247224.pdf"].document
    assert mixed.extractors["ocr"] == [2, 3, 4, 5, 34, 35, 36, 41, 42] and mixed.missing_pages == []


@needs_tesseract
def test_ocr_finds_the_known_text_of_a_scan(tmp_path: Path) -> None:
    """The scan's own OCR layer is the known text: an image-only copy of its first page must yield
    most of the same words through our OCR."""
    source = pdfium.PdfDocument(CORPUS / SCAN_WITH_TEXT_LAYER)
    image = source[0].render(scale=300 / 72, grayscale=True).to_pil().convert("RGB")
    image_only = tmp_path / "image-only.pdf"
    image.save(image_only, "PDF", resolution=300)
    known = _words(read_document(CORPUS / SCAN_WITH_TEXT_LAYER).pages[0].text)
    ocr = read_document(image_only)
    assert ocr.pages[0].extractor == "ocr"
    assert len(known) > 50
    assert len(known & _words(ocr.pages[0].text)) >= 0.7 * len(known)


def _words(text: str) -> set[str]:
    return {w.strip(".,;:'\"()").lower() for w in text.split() if len(w.strip(".,;:'\"()")) > 3}
