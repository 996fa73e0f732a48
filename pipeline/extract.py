"""What the parsing process does (pipeline/ingest.py starts it): every page's text, read by the
first layout reader that can read it (PDFium's words, pdfplumber's words), laid out, and where no
reader found words, PDFium's plain text or OCR. Each page comes back read, blank, or missing with
the reason."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pypdfium2 as pdfium

from pipeline.errors import CorruptPDF, TooManyPages
from pipeline.layout import PageWords, Word, lay_out_pages, plain_page
from pipeline.models import MissingPage, Page
from pipeline.ocr import OCRFailed, ocr_page, tesseract_available
from pipeline.page_text import has_glyph_codes, has_scanned_image, is_garbled, pdfium_page_text, strip_glyph_codes
from pipeline.pdfium_words import page_words

if TYPE_CHECKING:
    from pdfplumber.page import Page as PlumberPage

    from pipeline.settings import PdfReader, Settings

READER_NAMES: dict[PdfReader, str] = {"pdfium": "PDFium", "pdfplumber": "pdfplumber"}


@dataclass(frozen=True)
class ReadOptions:
    """The settings the parsing process uses, as a plain record: unpickling a Settings object
    there would import pydantic-settings, a tenth of a second of every parsing process."""

    max_pages: int
    max_garbled_share: float
    tesseract_command: str
    ocr_language: str
    ocr_dpi: int
    ocr_page_timeout_seconds: float

    @classmethod
    def of(cls, settings: Settings) -> ReadOptions:
        return cls(**{option.name: getattr(settings, option.name) for option in fields(cls)})


@dataclass(frozen=True)
class PageRead:
    """What the parsing process sends back: small (page texts only), whatever the PDF's size."""

    title: str | None
    page_count: int
    pages: list[Page]
    missing: list[MissingPage]
    notes: list[str]


@dataclass(frozen=True)
class ReaderResult:
    """One reader's words for the pages it could read, and what it could not do."""

    words: dict[int, PageWords]
    notes: list[str]


def extract_pages(
    path: Path, password: str | None, page_count: int | None, settings: ReadOptions, readers: Sequence[PdfReader]
) -> PageRead:
    """Every page's text: the readers in order each read the pages still without words; the words
    are laid out together (running headers and heading sizes are facts of the whole document).
    PDFium's plain text or OCR reads what no reader could, unless PDFium is left out (it refused
    the file, or took a parsing process down). ``page_count`` is PDFium's, None where it refused
    the file."""
    if page_count is None:
        page_count = _pdfplumber_page_count(path, password, settings)
    pdf = pdfium.PdfDocument(path, password=password) if "pdfium" in readers else None
    try:
        words: dict[int, PageWords] = {}
        notes: list[str] = []
        for reader in readers:
            wanted = [n for n in range(1, page_count + 1) if n not in words]
            if not wanted:
                break
            result = (
                read_pdfium_words(pdf, wanted, settings)
                if pdf is not None and reader == "pdfium"
                else (read_pdfplumber_words(path, password, wanted, page_count, settings))
            )
            words |= result.words
            notes += result.notes
        laid_out = {page.number: page for page in lay_out_pages([words[n] for n in sorted(words)])}
        pages: list[Page] = []
        missing: list[MissingPage] = []
        for number in range(1, page_count + 1):
            outcome = _complete_page(pdf, number, laid_out.get(number), settings)
            (pages if isinstance(outcome, Page) else missing).append(outcome)  # type: ignore[arg-type]
        return PageRead(_title(path, password, pdf), page_count, pages, missing, notes)
    finally:
        if pdf is not None:
            pdf.close()


def _pdfplumber_page_count(path: Path, password: str | None, settings: ReadOptions) -> int:
    """The page count where PDFium refused the file: pdfplumber's, the only one there is."""
    import pdfplumber

    try:
        with pdfplumber.open(path, password=password or "") as pdf:
            count = len(pdf.pages)
    except Exception as exc:  # pdfminer raises many unrelated types for damaged files
        raise CorruptPDF(path, f"pdfplumber cannot open it either ({exc!r})") from None
    if count == 0:
        raise CorruptPDF(path, "pdfplumber finds no pages in it either")
    check_page_limit(path, count, settings.max_pages)
    return count


def check_page_limit(path: Path, count: int, max_pages: int) -> None:
    if count > max_pages:
        raise TooManyPages(path, f"{count} pages, more than the limit of {max_pages} (setting WGLL_MAX_PAGES)")


def _title(path: Path, password: str | None, pdf: pdfium.PdfDocument | None) -> str | None:
    """The title in the document's information dictionary, if any."""
    if pdf is not None:
        return pdf.get_metadata_dict(skip_empty=True).get("Title", "").strip() or None
    import pdfplumber  # only where PDFium is not used: its import is a third of a second

    try:
        with pdfplumber.open(path, password=password or "") as plumber:
            return str(plumber.metadata.get("Title") or "").strip() or None
    except Exception:  # pdfminer raises many unrelated types for damaged files
        return None


def read_pdfium_words(pdf: pdfium.PdfDocument, numbers: list[int], settings: ReadOptions) -> ReaderResult:
    """PDFium's words of each page; pages it cannot load or that read as glyph codes are left out."""
    words: dict[int, PageWords] = {}
    for number in numbers:
        try:
            page = pdf[number - 1]
        except pdfium.PdfiumError:
            continue
        try:
            read = _kept_words(number, float(page.get_width()), partial(page_words, page), "pdfium", settings)
        finally:
            page.close()
        if read is not None:
            words[number] = read
    return ReaderResult(words, _unread_note("pdfium", numbers, words))


def read_pdfplumber_words(
    path: Path, password: str | None, numbers: list[int], page_count: int, settings: ReadOptions
) -> ReaderResult:
    """pdfplumber's words of each page. When it sees a different number of pages than PDFium, none
    of its pages can be trusted to be the page they claim to be."""
    import pdfplumber  # only when needed: its import is a third of a second of every parsing process

    words: dict[int, PageWords] = {}
    try:
        with pdfplumber.open(path, password=password or "") as pdf:
            if len(pdf.pages) != page_count:
                found = f"pdfplumber found {len(pdf.pages)} of the {page_count} pages, so none of its pages was used"
                return ReaderResult({}, [found])
            for number in numbers:
                page = pdf.pages[number - 1]
                try:
                    words_of = partial(pdfplumber_words, page)
                    read = _kept_words(number, float(page.width), words_of, "pdfplumber", settings)
                finally:
                    page.close()
                if read is not None:
                    words[number] = read
    except Exception as exc:  # pdfminer raises many unrelated types for damaged files
        return ReaderResult(words, [f"pdfplumber could not open the file ({exc!r})"])
    return ReaderResult(words, _unread_note("pdfplumber", numbers, words))


def pdfplumber_words(page: PlumberPage) -> list[Word]:
    return [
        Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"], w["size"], w["fontname"] or "")
        for w in page.extract_words(extra_attrs=["size", "fontname"], keep_blank_chars=False)
    ]


def _kept_words(
    number: int, width: float, read: Callable[[], list[Word]], reader: PdfReader, settings: ReadOptions
) -> PageWords | None:
    """The page's words without glyph codes; None where the reader fails on the page or finds
    mostly undecodable glyphs."""
    try:
        words = read()
    except Exception:  # a damaged page: another reader reads it
        return None
    text = " ".join(word.text for word in words)
    if is_garbled(text, settings.max_garbled_share):
        return None
    if has_glyph_codes(text):
        words = [replace(word, text=kept) for word in words if (kept := strip_glyph_codes(word.text))]
    return PageWords(number=number, width=width, words=words, reader=reader)


def _unread_note(reader: PdfReader, numbers: list[int], words: dict[int, PageWords]) -> list[str]:
    unread = [n for n in numbers if n not in words]
    if not unread:
        return []
    pages = ", ".join(str(n) for n in unread)
    return [
        f"{READER_NAMES[reader]} could not read the words of page(s) {pages}; "
        "they were read another way or are listed as missing"
    ]


def _complete_page(
    pdf: pdfium.PdfDocument | None, number: int, laid_out: Page | None, settings: ReadOptions
) -> Page | MissingPage:
    """The laid-out page where it has text; otherwise PDFium's plain text, or OCR for a scan; a page
    with neither text nor a scanned image is blank, not missing."""
    if laid_out is not None and laid_out.text.strip():
        return laid_out
    if pdf is None:
        unread = "pdfplumber could not read it, and PDFium could not be used on the file"
        return laid_out or MissingPage(page=number, reason=unread)
    try:
        page = pdf[number - 1]
    except pdfium.PdfiumError as exc:
        return laid_out or MissingPage(page=number, reason=f"neither PDFium nor pdfplumber could open it ({exc})")
    try:
        text = pdfium_page_text(page)
        garbled = is_garbled(text, settings.max_garbled_share)
        if text and not garbled:
            return plain_page(number, text, "pypdfium2")
        if not garbled and not has_scanned_image(page):
            return laid_out or Page(number=number, text="", extractor="pypdfium2")
        return _ocr_page(page, number, garbled, settings)
    finally:
        page.close()


def _ocr_page(page: pdfium.PdfPage, number: int, garbled: bool, settings: ReadOptions) -> Page | MissingPage:
    what = "its text is undecodable glyph codes" if garbled else "a scanned image without a text layer"
    if not tesseract_available(settings.tesseract_command):
        return MissingPage(page=number, reason=f"{what}; it needs OCR, but Tesseract is not installed", needs_ocr=True)
    try:
        return plain_page(number, ocr_page(page, settings), "ocr")
    except OCRFailed as exc:
        return MissingPage(page=number, reason=f"{what}, and OCR failed: {exc}")
