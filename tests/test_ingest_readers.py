"""The two word readers: PDFium's (the default) gives the layout what pdfplumber's ``extract_words``
gives, pdfplumber can be chosen instead (``WGLL_PDF_READER``), and it reads the files and pages
PDFium refuses; the reader is part of the versions a review records."""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import pdfplumber
import pydantic
import pypdfium2 as pdfium
import pytest

from pipeline.errors import ReviewError
from pipeline.extract import pdfplumber_words
from pipeline.ingest import read_document
from pipeline.layout import Word
from pipeline.models import Document, pages_by_extractor
from pipeline.pdfium_words import RUN_STRIDE, _is_space, _page_text, _runs, _text_object, _text_objects, page_words
from pipeline.segment import split_passages
from pipeline.settings import Settings
from pipeline.versions import current_versions
from tests.conftest import SAMPLE_DIR, _write_simple_pdf
from tests.raw_pdf import stream, write_raw_pdf

SAMPLES = sorted(SAMPLE_DIR.glob("*.pdf"))
PDFIUM, PDFPLUMBER = Settings(pdf_reader="pdfium"), Settings(pdf_reader="pdfplumber")
FONTS = [
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Italic >>",
]
# Text set the ways that trip a reader: a size in the text matrix rather than in Tf, a size halved
# by the page matrix, a slanted (sheared) font, words placed apart by a TJ offset rather than a
# space, a bold font known only by its name, and a label rotated up the page.
DRAWN = b"""BT /F1 12 Tf 72 720 Td (Shared care record for every partner) Tj ET
BT /F2 1 Tf 14 0 0 14 72 680 Tm (Bold heading set at one point) Tj ET
BT /F3 10 Tf 1 0 0.25 1 72 640 Tm (slanted words with a shear) Tj ET
BT /F1 10 Tf 72 600 Td [(Hello) -3000 (World)] TJ ET
q 0.5 0 0 0.5 0 0 cm BT /F1 20 Tf 144 1100 Td (Scaled by the page matrix) Tj ET Q
BT /F1 9 Tf 0 1 -1 0 500 300 Tm (Rotated chart label) Tj ET"""


def _drawn_pdf(path: Path, rotate: int = 0) -> Path:
    return write_raw_pdf(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate %d /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R /F2 6 0 R /F3 7 0 R >> >> >>" % rotate,
            stream(DRAWN),
            *FONTS,
        ],
    )


def _broken_pdf(path: Path, pages_object: bytes, catalog: bytes = b"<< /Type /Catalog /Pages 2 0 R >>") -> Path:
    """One page of text under a damaged page tree."""
    return write_raw_pdf(
        path,
        [
            catalog,
            pages_object,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            stream(b"BT /F1 12 Tf 72 720 Td (Our shared care record connects every partner in the system.) Tj ET"),
            FONTS[0],
        ],
    )


def _pdfium_words(path: Path) -> list[Word]:
    pdf = pdfium.PdfDocument(path)
    try:
        return page_words(pdf[0])
    finally:
        pdf.close()


def _pdfplumber_words(path: Path) -> list[Word]:
    with pdfplumber.open(path) as pdf:
        return pdfplumber_words(pdf.pages[0])


def test_pdfium_words_are_pdfplumbers_words(tmp_path: Path) -> None:
    """Same text, place (within a point), size and font name for every upright word."""
    path = _drawn_pdf(tmp_path / "drawn.pdf")
    ours = _pdfium_words(path)
    upright = [w for w in _pdfplumber_words(path) if w.top < 400]  # pdfminer splits the rotated label into letters
    assert len(upright) == 24
    for word in upright:
        same = [w for w in ours if w.text == word.text and abs(w.x0 - word.x0) <= 1 and abs(w.top - word.top) <= 1]
        assert len(same) == 1, word
        assert same[0].size == pytest.approx(word.size, abs=0.05) and same[0].fontname == word.fontname, (same[0], word)
    sizes = {w.text: w.size for w in ours}
    # Tf 1 in a 14-point text matrix; Tf 20 under a page matrix of one half
    assert sizes["heading"] == pytest.approx(14) and sizes["Scaled"] == pytest.approx(10)
    assert [w.text for w in ours if w.top > 400] == ["Rotated", "chart", "label"]  # read up the page, whole words


def test_rotated_page_is_read_as_displayed(tmp_path: Path) -> None:
    """On a page shown turned a quarter, the label drawn up the page reads across, the body down it."""
    words = _pdfium_words(_drawn_pdf(tmp_path / "turned.pdf", rotate=90))
    label = [w for w in words if w.text in ("Rotated", "chart", "label")]
    assert [w.text for w in sorted(label, key=lambda w: w.x0)] == ["Rotated", "chart", "label"]
    assert len({round(w.top) for w in label}) == 1
    body = [w.text for w in sorted(words, key=lambda w: w.top) if w.size == pytest.approx(12)]
    assert body == ["Shared", "care", "record", "for", "every", "partner"]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_both_readers_give_the_same_headings_and_passages(path: Path) -> None:
    ours, theirs = read_document(path, PDFIUM), read_document(path, PDFPLUMBER)
    assert pages_by_extractor(ours.pages) == {"pdfium": list(range(1, ours.page_count + 1))}
    assert pages_by_extractor(theirs.pages) == {"pdfplumber": list(range(1, theirs.page_count + 1))}
    assert [p.headings for p in ours.pages] == [p.headings for p in theirs.pages]
    assert _passages(ours) == _passages(theirs)
    assert ours.title == theirs.title and ours.text == theirs.text


def _passages(document: Document) -> list[tuple[str | None, str, list[int]]]:
    return [(p.heading, p.text, p.pages) for p in split_passages(document, PDFIUM)]


def test_reader_is_chosen_by_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _write_simple_pdf(tmp_path / "plain.pdf", ["Our shared care record connects every partner in the system."])
    monkeypatch.setenv("WGLL_PDF_READER", "pdfplumber")
    assert pages_by_extractor(read_document(path, Settings()).pages) == {"pdfplumber": [1]}
    monkeypatch.setenv("WGLL_PDF_READER", "pdfium")
    assert pages_by_extractor(read_document(path, Settings()).pages) == {"pdfium": [1]}
    monkeypatch.setenv("WGLL_PDF_READER", "pdfminer")
    with pytest.raises(pydantic.ValidationError, match="pdf_reader"):
        Settings()


def test_file_pdfium_refuses_is_read_by_pdfplumber_and_says_so(tmp_path: Path) -> None:
    pages = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    path = _broken_pdf(tmp_path / "no-page-tree.pdf", pages, catalog=b"<< /Type /Catalog >>")  # no /Pages in it
    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(path)
    document = read_document(path, PDFIUM)
    assert document.page_count == 1 and pages_by_extractor(document.pages) == {"pdfplumber": [1]}
    assert "shared care record" in document.text
    [note] = document.notes
    assert note.startswith("PDFium could not open the file (") and "a count no other reader could confirm" in note


def test_page_pdfium_cannot_load_is_read_by_pdfplumber(tmp_path: Path) -> None:
    path = _broken_pdf(tmp_path / "no-kids.pdf", b"<< /Type /Pages /Count 1 >>")
    assert len(pdfium.PdfDocument(path)) == 1
    document = read_document(path, PDFIUM)
    assert pages_by_extractor(document.pages) == {"pdfplumber": [1]} and "shared care record" in document.text
    [note] = document.notes
    assert note.startswith("PDFium could not read the words of page(s) 1;")


def test_file_neither_reader_opens_is_corrupt_naming_both(bad_pdfs: dict[str, Path]) -> None:
    with pytest.raises(ReviewError) as caught:
        read_document(bad_pdfs["corrupt"], PDFIUM)
    assert caught.value.code == "corrupt"
    message = str(caught.value)
    assert bad_pdfs["corrupt"].name in message
    assert "PDFium:" in message and "pdfplumber cannot open it either" in message


def test_reader_is_part_of_the_versions() -> None:
    ours, theirs = current_versions(PDFIUM), current_versions(PDFPLUMBER)
    assert (ours.pdf_reader, theirs.pdf_reader) == ("pdfium", "pdfplumber")
    assert ours.key != theirs.key


@pytest.mark.parametrize("lengths", [[1], [2], [5, 1, 40], [16, 16, 1, 17], [1, 1, 1, 1, 1], [300]])
def test_runs_find_every_value_of_runs(lengths: list[int]) -> None:
    """Values in runs of any length, around the first sample's stride too, come out as they are;
    a long run is asked at its samples only."""
    values = [run + 1 for run, length in enumerate(lengths) for _ in range(length)]
    asked: list[int] = []

    def value_at(index: int) -> int:
        asked.append(index)
        return values[index]

    assert _runs(np.arange(len(values)), value_at).tolist() == values
    if lengths == [300]:
        assert len(asked) == len(range(0, 300, RUN_STRIDE)) + 1


def test_text_objects_found_by_runs_are_each_characters() -> None:
    """On every page of the samples (headings, body and footers in several fonts and text
    objects), the text objects found by bisection are those PDFium gives character by character."""
    for path in SAMPLES:
        pdf = pdfium.PdfDocument(path)
        try:
            for page in pdf:
                textpage = page.get_textpage()
                code = _page_text(textpage.raw)
                address = ctypes.cast(textpage.raw, ctypes.c_void_p).value
                each = [_text_object(address, index) for index in range(len(code))]
                assert _text_objects(address, code, _is_space(code)).tolist() == each, (path.name, page)
                textpage.close()
        finally:
            pdf.close()
