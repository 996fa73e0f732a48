"""Every page is accounted for: laid out from its words, read as PDFium's plain text, by OCR, or
listed as missing with the reason; parsing is stopped at the time limit and bounded in memory."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from pipeline.errors import ReviewError
from pipeline.ingest import read_document
from pipeline.isolated import ChildCrashed, call_isolated
from pipeline.models import pages_by_extractor
from pipeline.page_text import garbled_share
from pipeline.settings import Settings, get_settings
from tests.conftest import _write_simple_pdf, write_blank_pdf

SCANNED_LINES = [
    "Our digital strategy connects every care home",
    "to the shared care record by March 2026.",
]
NO_TESSERACT = Settings(tesseract_command="/nonexistent/tesseract")
needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="Tesseract is not installed (make services installs tesseract-ocr)"
)


def _scan_of(pdf_path: Path, out: Path, dpi: int = 200) -> Path:
    """An image-only copy of a PDF: what a scanner or a 'print to image' export produces."""
    pdf = pdfium.PdfDocument(pdf_path)
    images = [pdf[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("RGB") for i in range(len(pdf))]
    images[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return out


def _merge(out: Path, *sources: Path) -> Path:
    merged = pdfium.PdfDocument.new()
    for source in sources:
        merged.import_pages(pdfium.PdfDocument(source))
    merged.save(out)
    return out


@pytest.fixture(scope="module")
def text_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = [f"Section {n}: our shared care record programme connects partners across the system." for n in range(20)]
    return _write_simple_pdf(tmp_path_factory.mktemp("text") / "text.pdf", lines)


@pytest.fixture(scope="module")
def scanned_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scan")
    return _scan_of(_write_simple_pdf(folder / "typed.pdf", SCANNED_LINES), folder / "scanned.pdf")


def _words(text: str) -> set[str]:
    return {w.strip(".,").lower() for w in text.split() if len(w.strip(".,")) > 2}


def test_glyph_codes_count_as_garbled_text() -> None:
    assert garbled_share("(cid:68)(cid:114)(cid:117)(cid:103)") == 1.0
    assert garbled_share("Shared care record (cid:3)") == pytest.approx(1 / 17)
    assert garbled_share("\ue000\ue001ab") == 0.5
    assert garbled_share("") == 0.0


@needs_tesseract
def test_scanned_page_is_read_by_ocr(scanned_pdf: Path) -> None:
    document = read_document(scanned_pdf)
    assert pages_by_extractor(document.pages) == {"ocr": [1]}
    assert document.missing_pages == []
    known = _words(" ".join(SCANNED_LINES))
    assert len(known & _words(document.text)) >= 0.8 * len(known), document.text


def test_scan_without_tesseract_is_needs_ocr_not_empty(scanned_pdf: Path) -> None:
    with pytest.raises(ReviewError) as caught:
        read_document(scanned_pdf, NO_TESSERACT)
    assert caught.value.code == "needs_ocr"
    assert "Tesseract is not installed" in str(caught.value) and scanned_pdf.name in str(caught.value)


def test_mixed_document_without_tesseract_lists_the_page_that_needs_ocr(
    text_pdf: Path, scanned_pdf: Path, tmp_path: Path
) -> None:
    mixed = _merge(tmp_path / "mixed.pdf", text_pdf, scanned_pdf, text_pdf)
    document = read_document(mixed, NO_TESSERACT)
    assert document.page_count == 3
    assert pages_by_extractor(document.pages) == {get_settings().pdf_reader: [1, 3]}
    [missing] = document.missing_pages
    assert missing.page == 2 and missing.needs_ocr and "Tesseract is not installed" in missing.reason
    assert document.unread_share == pytest.approx(1 / 3)


def test_blank_pages_are_read_as_blank_not_missing_nor_ocr(text_pdf: Path, tmp_path: Path) -> None:
    with_blank = _merge(tmp_path / "blank-inside.pdf", text_pdf, write_blank_pdf(tmp_path / "blank.pdf"))
    document = read_document(with_blank)
    assert [page.number for page in document.pages] == [1, 2]
    assert document.pages[1].text == "" and document.pages[1].extractor != "ocr"
    assert document.missing_pages == [] and document.unread_share == 0.0


def test_document_of_blank_pages_is_no_text(tmp_path: Path) -> None:
    with pytest.raises(ReviewError) as caught:
        read_document(write_blank_pdf(tmp_path / "blank.pdf"))
    assert caught.value.code == "no_text"


def test_page_limit_has_its_own_code(text_pdf: Path, tmp_path: Path) -> None:
    two_pages = _merge(tmp_path / "two.pdf", text_pdf, text_pdf)
    with pytest.raises(ReviewError, match="2 pages, more than the limit of 1") as caught:
        read_document(two_pages, Settings(max_pages=1))
    assert caught.value.code == "too_many_pages"


def test_parsing_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    """402 pages take over 4 s to read here, well clear of the 1 s limit (120 took 1.4 s: too close)."""
    lines = [f"Line {n}: our shared care record programme connects partners across the system." for n in range(45)]
    pages = [_write_simple_pdf(tmp_path / f"page{n}.pdf", lines) for n in range(3)]
    long_pdf = _merge(tmp_path / "long.pdf", *(pages * 134))
    with pytest.raises(ReviewError, match="time limit") as caught:
        read_document(long_pdf, deadline=time.monotonic() + 1.0)
    assert caught.value.code == "timeout" and long_pdf.name in str(caught.value)


def test_parsing_process_memory_is_bounded() -> None:
    """A parse that wants more memory than allowed dies in its own process, not in the batch's."""
    with pytest.raises(ChildCrashed) as caught:
        call_isolated("numpy:ones", {"shape": (1024, 1024, 1024)}, timeout=60, memory_mb=512)
    assert caught.value.out_of_memory and "memory limit 512 MB" in str(caught.value)


def test_review_errors_survive_the_trip_from_the_parsing_process(bad_pdfs: dict[str, Path]) -> None:
    error = call_isolated(
        "pipeline.errors:as_review_error",
        {"file": bad_pdfs["corrupt"], "exc": TimeoutError()},
        timeout=60,
        memory_mb=1024,
    )
    assert isinstance(error, ReviewError)
    assert error.code == "timeout" and error.file == str(bad_pdfs["corrupt"]) and "time limit" in error.reason
