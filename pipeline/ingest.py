"""Reads a strategy PDF safely into a Document: the file is checked (exists, is a PDF, within the
size and page limits, opens with its password) and its pages are parsed in a child process that
is killed at the time limit and bounded in memory (pipeline/isolated.py, pipeline/extract.py).
No page is lost silently: every page PDFium counts is read, or listed as missing with the reason,
and a document with no readable text at all is an error naming the file."""

from __future__ import annotations

import time
from pathlib import Path

import pypdfium2 as pdfium

from pipeline.errors import (
    CorruptPDF,
    EncryptedPDF,
    MemoryLimit,
    NeedsOCR,
    NotAPDF,
    NoTextLayer,
    ReviewTimeout,
    TooLarge,
)
from pipeline.extract import READER_NAMES, PageRead, ReadOptions, check_page_limit
from pipeline.isolated import ChildCrashed, ChildTimeout, call_isolated, start_standby
from pipeline.models import Document, Page, SourceInfo, document_id
from pipeline.settings import PdfReader, Settings, get_settings

PDF_MAGIC = b"%PDF-"
EXTRACT = "pipeline.extract:extract_pages"  # what the parsing process runs


def prepare_reading() -> None:
    """Start the parsing process of the next ``read_document`` now, so that Python's start and the
    PDF readers' imports (0.3-0.4 s) are done by the time a PDF comes (``pipeline.isolated``).
    Only when another document is known to come: a spare left unused holds 50 MB."""
    start_standby(EXTRACT.split(":")[0])


def read_document(
    path: Path | str,
    settings: Settings | None = None,
    source: SourceInfo | None = None,
    password: str | None = None,
    deadline: float | None = None,
) -> Document:
    """Read ``path`` into a Document, or raise a ReviewError naming the file and the reason.

    Every page PDFium counts is accounted for: laid out from the words of the configured reader
    (``settings.pdf_reader``) or the other one, read as PDFium's plain text or by OCR, or listed in
    ``missing_pages`` with the reason. Parsing runs in a child process killed at ``deadline`` (a
    ``time.monotonic()`` value; default: the per-document time limit from now).
    """
    settings = settings or get_settings()
    path = Path(path)
    data = _read_pdf_bytes(path, settings)
    page_count, refusal = _count_pages(path, data, password)
    if page_count is not None:
        check_page_limit(path, page_count, settings.max_pages)
    if deadline is None:
        deadline = time.monotonic() + settings.document_timeout_seconds
    try:
        read = _read_pages_isolated(path, password, page_count, settings, deadline)
    except CorruptPDF as exc:
        if refusal is None:
            raise
        raise CorruptPDF(path, f"the file is damaged and cannot be opened (PDFium: {refusal}; {exc.reason})") from exc
    notes = read.notes
    if refusal is not None:
        notes = [
            f"PDFium could not open the file ({refusal}); pdfplumber read it as {read.page_count} page(s), "
            "a count no other reader could confirm",
            *notes,
        ]
    _refuse_unreadable(path, read)
    return Document(
        id=document_id(data),
        file=path.name,
        title=read.title or _first_heading(read.pages) or path.stem,
        page_count=read.page_count,
        pages=read.pages,
        missing_pages=read.missing,
        notes=notes,
        source=source or SourceInfo(),
    )


def _read_pdf_bytes(path: Path, settings: Settings) -> bytes:
    if not path.exists():
        raise NotAPDF(path, "file not found")
    if not path.is_file():
        raise NotAPDF(path, "not a regular file")
    size_mb = path.stat().st_size / 1_000_000
    if size_mb > settings.max_file_mb:
        raise TooLarge(
            path, f"{size_mb:.1f} MB, more than the limit of {settings.max_file_mb:g} MB (setting WGLL_MAX_FILE_MB)"
        )
    data = path.read_bytes()
    if not data:
        raise NotAPDF(path, "empty file (0 bytes)")
    if PDF_MAGIC not in data[:1024]:
        raise NotAPDF(path, "no PDF header: this is not a PDF (renamed file of another type?)")
    return data


def _count_pages(path: Path, data: bytes, password: str | None) -> tuple[int | None, str | None]:
    """Page count from PDFium, which also tells encrypted files from broken ones; for a file it
    refuses, no count and the reason (pdfplumber may still read it)."""
    try:
        pdf = pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            supplied = "the password given is wrong" if password else "supply the password"
            raise EncryptedPDF(
                path, f"password-protected: {supplied} with --password or in the manifest's password column"
            ) from exc
        return None, str(exc).rstrip(".")
    try:
        return len(pdf), None
    finally:
        pdf.close()


def _read_pages_isolated(
    path: Path, password: str | None, page_count: int | None, settings: Settings, deadline: float
) -> PageRead:
    """``extract_pages`` in a killable, memory-bounded process: with the configured reader first and
    the other for the pages it cannot read (pdfplumber alone for a file PDFium refused). When a
    reader takes that process down (a crash, memory), once more without pdfplumber (the usual
    culprit), then without PDFium."""
    first: PdfReader = settings.pdf_reader
    attempts: list[tuple[PdfReader, ...]] = (
        [("pdfplumber",)]
        if page_count is None
        else [(first, "pdfplumber" if first == "pdfium" else "pdfium"), ("pdfium",), ("pdfplumber",)]
    )
    crashes: list[ChildCrashed] = []
    arguments = {"path": path, "password": password, "page_count": page_count, "settings": ReadOptions.of(settings)}
    for readers in attempts:
        try:
            read = _call_extract(path, arguments | {"readers": readers}, settings, deadline)
        except ChildCrashed as crash:
            crashes.append(crash)
            continue
        if not crashes:
            return read
        note = (
            f"the parsing process died reading the file ({crashes[0]}); every page was read with "
            f"{READER_NAMES[readers[0]]} alone"
        )
        return PageRead(read.title, read.page_count, read.pages, read.missing, [note, *read.notes])
    if crashes[-1].out_of_memory:
        raise MemoryLimit(
            path, f"reading it needs more than {settings.parse_memory_mb} MB of memory (setting WGLL_PARSE_MEMORY_MB)"
        ) from crashes[-1]
    raise CorruptPDF(path, f"neither PDFium nor pdfplumber could parse it ({crashes[-1]})") from crashes[-1]


def _call_extract(path: Path, arguments: dict[str, object], settings: Settings, deadline: float) -> PageRead:
    try:
        read: PageRead = call_isolated(
            EXTRACT, arguments, timeout=deadline - time.monotonic(), memory_mb=settings.parse_memory_mb
        )
    except ChildTimeout as exc:
        raise ReviewTimeout(
            path,
            f"reading the PDF took longer than the time limit of {settings.document_timeout_seconds:g} s "
            "(setting WGLL_DOCUMENT_TIMEOUT_SECONDS)",
        ) from exc
    return read


def _refuse_unreadable(path: Path, read: PageRead) -> None:
    """A document with no readable text at all is an error, never a review full of gaps."""
    if any(page.text.strip() for page in read.pages):
        return
    if any(missing.needs_ocr for missing in read.missing):
        raise NeedsOCR(
            path,
            f"{len(read.missing)} of {_pages(read.page_count)} are scanned images or undecodable text that "
            "need OCR, but Tesseract is not installed (Debian package tesseract-ocr)",
        )
    if read.missing:
        reasons = "; ".join(f"page {m.page}: {m.reason}" for m in read.missing[:3])
        raise CorruptPDF(path, f"none of {_pages(read.page_count)} could be read ({reasons})")
    ocr = " (not even by OCR)" if any(page.extractor == "ocr" for page in read.pages) else ""
    raise NoTextLayer(path, f"no text found on {_pages(read.page_count)}{ocr}")


def _pages(count: int) -> str:
    return "its 1 page" if count == 1 else f"its {count} pages"


def _first_heading(pages: list[Page]) -> str | None:
    for page in pages:
        if page.headings:
            return page.headings[0].text
    return None
