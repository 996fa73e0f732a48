"""Reads a strategy PDF into clean pages: running headers, footers and page numbers removed,
hyphenated line ends joined, two-column pages read column by column, headings found by font.
No page is lost silently: pages pdfplumber cannot read are read by pypdfium2 or OCR, or listed as
missing with the reason."""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pdfplumber
import pypdfium2 as pdfium

from pipeline.errors import (
    CorruptPDF,
    EncryptedPDF,
    MemoryLimit,
    NeedsOCR,
    NoTextLayer,
    NotAPDF,
    ReviewTimeout,
    TooLarge,
    TooManyPages,
)
from pipeline.isolated import ChildCrashed, ChildTimeout, call_isolated
from pipeline.models import Document, Extractor, Heading, MissingPage, Page, SourceInfo, document_id
from pipeline.ocr import OCRFailed, ocr_page, tesseract_available
from pipeline.page_text import has_scanned_image, is_garbled, pdfium_page_text, strip_glyph_codes
from pipeline.settings import Settings, get_settings

PDF_MAGIC = b"%PDF-"
BULLET = re.compile(r"^[\u2022\u25cf\u25aa\u25a0\u2023\u2043\u2219\u00b7*\u2013-]\s+")
PAGE_NUMBER = re.compile(
    r"^(page\s*)?(\d{1,4}|[ivxlc]{1,7})(\s*(of|/)\s*\d{1,4})?$|^[-\u2013]\s*\d{1,4}\s*[-\u2013]$",
    re.IGNORECASE,
)
SECTION_NUMBER = re.compile(r"^\d{1,2}(\.\d{1,2})*\.?\s+\S")
BOLD_FONT = re.compile(r"bold|black|heavy|semibold", re.IGNORECASE)
HEADING_SIZE_RATIO = 1.15
MARGIN_LINES = 2  # lines at the top and at the bottom of a page that may be running headers
ROW_TOLERANCE = 2.5  # points: words whose tops differ by less share a line
WORD_GAP = 1.0  # points: closer words are one word in two fonts
MAX_SPANNING_ROWS = 3  # rows across a gutter allowed on a two-column page (titles, footers)
MIN_GUTTER = 8.0  # points: the narrowest white space between two columns


@dataclass(frozen=True)
class Line:
    """One line of words as laid out on the page."""

    text: str
    top: float
    bottom: float
    x0: float
    size: float
    bold: bool
    column: int = 0


def read_document(
    path: Path | str,
    settings: Settings | None = None,
    source: SourceInfo | None = None,
    password: str | None = None,
    deadline: float | None = None,
) -> Document:
    """Read ``path`` into a Document, or raise a ReviewError naming the file and the reason.

    Every page pypdfium2 counts is accounted for: read by pdfplumber, by pypdfium2 where pdfplumber
    fails, by OCR where the page is a scan, or listed in ``missing_pages`` with the reason. Parsing
    runs in a child process killed at ``deadline`` (a ``time.monotonic()`` value; default: the
    per-document time limit from now).
    """
    settings = settings or get_settings()
    path = Path(path)
    data = _read_pdf_bytes(path, settings)
    page_count = _count_pages(path, data, password)
    if page_count > settings.max_pages:
        raise TooManyPages(
            path, f"{page_count} pages, more than the limit of {settings.max_pages} (setting WGLL_MAX_PAGES)"
        )
    if deadline is None:
        deadline = time.monotonic() + settings.document_timeout_seconds
    read = _read_pages_isolated(path, password, page_count, settings, deadline)
    _refuse_unreadable(path, read, page_count)
    return Document(
        id=document_id(data),
        file=path.name,
        title=read.title or _first_heading(read.pages) or path.stem,
        page_count=page_count,
        pages=read.pages,
        missing_pages=read.missing,
        notes=read.notes,
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


def _count_pages(path: Path, data: bytes, password: str | None) -> int:
    """Page count from pypdfium2, which also tells encrypted files from broken ones."""
    try:
        pdf = pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            supplied = "the password given is wrong" if password else "supply the password"
            raise EncryptedPDF(
                path, f"password-protected: {supplied} with --password or in the manifest's password column"
            ) from exc
        raise CorruptPDF(path, f"the file is damaged and cannot be opened ({exc})") from exc
    try:
        return len(pdf)
    finally:
        pdf.close()


@dataclass(frozen=True)
class PageRead:
    """What the parsing process sends back: small (page texts only), whatever the PDF's size."""

    title: str | None
    pages: list[Page]
    missing: list[MissingPage]
    notes: list[str]


def _read_pages_isolated(path: Path, password: str | None, page_count: int, settings: Settings, deadline: float) -> PageRead:
    """``extract_pages`` in a killable, memory-bounded process; when pdfplumber takes that process
    down (a crash, memory), once more with pypdfium2 alone."""
    arguments = {"path": path, "password": password, "page_count": page_count, "settings": settings}
    try:
        return _call_extract(path, arguments | {"with_pdfplumber": True}, settings, deadline)
    except ChildCrashed as crash:
        failure = crash
    try:
        read = _call_extract(path, arguments | {"with_pdfplumber": False}, settings, deadline)
    except ChildCrashed as crash:
        if crash.out_of_memory:
            raise MemoryLimit(
                path, f"reading it needs more than {settings.parse_memory_mb} MB of memory (setting WGLL_PARSE_MEMORY_MB)"
            ) from crash
        raise CorruptPDF(path, f"neither pdfplumber nor pypdfium2 could parse it ({crash})") from crash
    note = f"pdfplumber could not parse the file ({failure}); every page was read with pypdfium2"
    return PageRead(read.title, read.pages, read.missing, [note, *read.notes])


def _call_extract(path: Path, arguments: dict[str, object], settings: Settings, deadline: float) -> PageRead:
    try:
        read: PageRead = call_isolated(
            "pipeline.ingest:extract_pages", arguments,
            timeout=deadline - time.monotonic(), memory_mb=settings.parse_memory_mb,
        )
    except ChildTimeout as exc:
        raise ReviewTimeout(
            path, f"reading the PDF took longer than the time limit of {settings.document_timeout_seconds:g} s "
            "(setting WGLL_DOCUMENT_TIMEOUT_SECONDS)"
        ) from exc
    return read


def _refuse_unreadable(path: Path, read: PageRead, page_count: int) -> None:
    """A document with no readable text at all is an error, never a review full of gaps."""
    if any(page.text.strip() for page in read.pages):
        return
    if any(missing.needs_ocr for missing in read.missing):
        raise NeedsOCR(
            path, f"{len(read.missing)} of {_pages(page_count)} are scanned images or undecodable text that "
            "need OCR, but Tesseract is not installed (Debian package tesseract-ocr)"
        )
    if read.missing:
        reasons = "; ".join(f"page {m.page}: {m.reason}" for m in read.missing[:3])
        raise CorruptPDF(path, f"none of {_pages(page_count)} could be read ({reasons})")
    ocr = " (not even by OCR)" if any(page.extractor == "ocr" for page in read.pages) else ""
    raise NoTextLayer(path, f"no text found on {_pages(page_count)}{ocr}")


def extract_pages(path: Path, password: str | None, page_count: int, settings: Settings, with_pdfplumber: bool) -> PageRead:
    """Every page's text (runs in the parsing process): pdfplumber's layout-aware read where it
    works, pypdfium2's plain text where it fails or garbles, OCR for scans."""
    title, plumber_pages, notes = (
        _pdfplumber_pages(path, password, page_count, settings) if with_pdfplumber else (None, {}, [])
    )
    pages: list[Page] = []
    missing: list[MissingPage] = []
    pdf = pdfium.PdfDocument(path, password=password)
    try:
        for number in range(1, page_count + 1):
            outcome = _complete_page(pdf, number, plumber_pages.get(number), settings)
            (pages if isinstance(outcome, Page) else missing).append(outcome)  # type: ignore[arg-type]
    finally:
        pdf.close()
    return PageRead(title, pages, missing, notes)


def _pdfplumber_pages(
    path: Path, password: str | None, page_count: int, settings: Settings
) -> tuple[str | None, dict[int, Page], list[str]]:
    """Cleaned pages pdfplumber could read, by number. Pages it raises on, and pages whose text is
    mostly glyph codes, are left out for pypdfium2; when it sees a different number of pages than
    pypdfium2, none of its pages can be trusted to be the page they claim to be."""
    read: list[PageWords] = []
    skipped: list[int] = []
    try:
        with pdfplumber.open(path, password=password or "") as pdf:
            title = str(pdf.metadata.get("Title") or "").strip() or None
            if len(pdf.pages) != page_count:
                note = (
                    f"pdfplumber found {len(pdf.pages)} of the {page_count} pages, so every page was read "
                    "with pypdfium2"
                )
                return title, {}, [note]
            for page in pdf.pages:
                words = _page_words(page, settings)
                if words is None:
                    skipped.append(page.page_number)
                else:
                    read.append(words)
    except Exception as exc:  # pdfminer raises many unrelated types for damaged files
        return None, {}, [f"pdfplumber could not open the file ({exc!r}); every page was read with pypdfium2"]
    notes = [f"pdfplumber could not read page(s) {_page_list(skipped)}; pypdfium2 or OCR read them"] if skipped else []
    cleaned = _clean_pages(_lay_out(read), [words.number for words in read])
    return title, {page.number: page for page in cleaned}, notes


def _page_words(page: Any, settings: Settings) -> PageWords | None:
    """The page's words with fonts, without glyph codes; None where pdfplumber fails or the page is
    mostly undecodable glyphs."""
    try:
        words = page.extract_words(extra_attrs=["size", "fontname"], keep_blank_chars=False)
        width = float(page.width)
    except Exception:  # a damaged page: another extractor reads it
        return None
    finally:
        page.close()
    if is_garbled(" ".join(word["text"] for word in words), settings.max_garbled_share):
        return None
    kept = []
    for word in words:
        text = strip_glyph_codes(word["text"])
        if text:
            kept.append({**word, "text": text})
    return PageWords(number=page.page_number, width=width, words=kept)


def _complete_page(pdf: pdfium.PdfDocument, number: int, plumber_page: Page | None, settings: Settings) -> Page | MissingPage:
    """pdfplumber's page where it found text; otherwise pypdfium2's text, or OCR for a scan; a page
    with neither text nor a scanned image is blank, not missing."""
    if plumber_page is not None and plumber_page.text.strip():
        return plumber_page
    try:
        page = pdf[number - 1]
    except pdfium.PdfiumError as exc:
        return plumber_page or MissingPage(page=number, reason=f"neither pdfplumber nor pypdfium2 could open it ({exc})")
    try:
        text = pdfium_page_text(page)
        garbled = is_garbled(text, settings.max_garbled_share)
        if text and not garbled:
            return plain_page(number, text, "pypdfium2")
        if not garbled and not has_scanned_image(page):
            return plumber_page or Page(number=number, text="", extractor="pypdfium2")
        return _ocr_page(page, number, garbled, settings)
    finally:
        page.close()


def _ocr_page(page: pdfium.PdfPage, number: int, garbled: bool, settings: Settings) -> Page | MissingPage:
    what = "its text is undecodable glyph codes" if garbled else "a scanned image without a text layer"
    if not tesseract_available(settings.tesseract_command):
        return MissingPage(page=number, reason=f"{what}; it needs OCR, but Tesseract is not installed", needs_ocr=True)
    try:
        return plain_page(number, ocr_page(page, settings), "ocr")
    except OCRFailed as exc:
        return MissingPage(page=number, reason=f"{what}, and OCR failed: {exc}")


def plain_page(number: int, text: str, extractor: Extractor) -> Page:
    """A page from plain text (pypdfium2, OCR): blank lines part paragraphs, line ends are mended."""
    paragraphs = [
        _join_lines([" ".join(line.split()) for line in block.splitlines() if line.strip()])
        for block in re.split(r"\n\s*\n", text)
    ]
    return Page(number=number, text="\n\n".join(p for p in paragraphs if p), extractor=extractor)


def _pages(count: int) -> str:
    return "its 1 page" if count == 1 else f"its {count} pages"


def _page_list(numbers: Sequence[int]) -> str:
    return ", ".join(str(n) for n in numbers)


Word = dict[str, Any]


@dataclass(frozen=True)
class PageWords:
    """The words pdfplumber found on one page, with their font size and name."""

    number: int
    width: float
    words: list[Word]


def _group_rows(words: Iterable[Word]) -> list[list[Word]]:
    """Words whose tops differ by less than ROW_TOLERANCE share a row, left to right."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if rows and abs(word["top"] - rows[-1][0]["top"]) <= ROW_TOLERANCE:
            rows[-1].append(word)
        else:
            rows.append([word])
    for row in rows:
        row.sort(key=lambda w: w["x0"])
    return rows


def _row_text(row: Sequence[Word]) -> str:
    """Words split only by a change of font (a bold name before its colon) join without a space."""
    text = ""
    for previous, word in zip([None, *row], row):
        touching = previous is not None and word["x0"] - previous["x1"] < WORD_GAP
        text += word["text"] if touching or not text else " " + word["text"]
    return text


def _margin_rows(rows: list[list[Word]]) -> list[list[Word]]:
    """Full-width rows at the top and bottom of a page, where running headers and footers sit
    (read across the whole width, so a footer split by a column gutter is still one line)."""
    if len(rows) <= 2 * MARGIN_LINES:
        return rows
    return rows[:MARGIN_LINES] + rows[-MARGIN_LINES:]


def _margin_key(text: str) -> str:
    """Running headers differ only in their page numbers; compare them without digits."""
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _lay_out(pages: list[PageWords]) -> list[list[Line]]:
    """Lines of every page in reading order, without running headers, footers and page numbers."""
    page_rows = [_group_rows(page.words) for page in pages]
    counts: Counter[str] = Counter()
    for rows in page_rows:
        counts.update({_margin_key(_row_text(row)) for row in _margin_rows(rows)})
    needed = max(3, int(0.4 * sum(1 for rows in page_rows if rows)))
    repeated = {key for key, count in counts.items() if count >= needed}
    laid_out = []
    for page, rows in zip(pages, page_rows):
        noise = {
            id(word)
            for row in _margin_rows(rows)
            if _margin_key(_row_text(row)) in repeated or PAGE_NUMBER.match(_row_text(row).strip())
            for word in row
        }
        laid_out.append(_page_lines([w for w in page.words if id(w) not in noise], page.width))
    return laid_out


def _page_lines(words: list[Word], width: float) -> list[Line]:
    """Rows for a single-column page; for two columns, the left column then the right one,
    with full-width rows above and below them."""
    if not words:
        return []
    gutter = _find_gutter(words, width)
    if gutter is None:
        return _rows_to_lines(words, column=0)
    spanning = [w for w in words if w["x0"] < gutter < w["x1"]]
    left = [w for w in words if w["x1"] <= gutter]
    right = [w for w in words if w["x0"] >= gutter]
    body_top = min(w["top"] for w in left + right)
    above = [w for w in spanning if w["top"] < body_top]
    below = [w for w in spanning if w["top"] >= body_top]
    return (
        _rows_to_lines(above, column=0)
        + _rows_to_lines(left, column=1)
        + _rows_to_lines(right, column=2)
        + _rows_to_lines(below, column=3)
    )


def _find_gutter(words: Sequence[Word], width: float) -> float | None:
    """The x of a vertical gap between two text columns, or None for a single-column page.

    A row bridges x when a word lies within half a gutter of it. Real columns leave an x that
    almost no row bridges; a table beside full-width paragraphs does not, because the
    paragraph lines bridge every x with ordinary word spacing.
    """
    rows = _group_rows(words)
    if len(rows) < 8:
        return None
    row_of = np.concatenate([np.full(len(row), i) for i, row in enumerate(rows)])
    x0 = np.array([w["x0"] for row in rows for w in row])[:, None] - MIN_GUTTER / 2
    x1 = np.array([w["x1"] for row in rows for w in row])[:, None] + MIN_GUTTER / 2
    xs = np.arange(width * 0.3, width * 0.7, 1.0)
    bridged = np.zeros((len(rows), len(xs)), dtype=bool)
    np.logical_or.at(bridged, row_of, (x0 < xs) & (xs < x1))
    bridging_rows = bridged.sum(axis=0)
    candidates = xs[bridging_rows == bridging_rows.min()]
    x = float(candidates[len(candidates) // 2])
    left = sum(1 for w in words if w["x1"] <= x)
    right = sum(1 for w in words if w["x0"] >= x)
    balanced = min(left, right) >= 0.25 * len(words)
    return x if balanced and bridging_rows.min() <= MAX_SPANNING_ROWS else None


def _rows_to_lines(words: Iterable[Word], column: int) -> list[Line]:
    return [
        Line(
            text=_row_text(row),
            top=min(w["top"] for w in row),
            bottom=max(w["bottom"] for w in row),
            x0=row[0]["x0"],
            size=statistics.median(w["size"] for w in row),
            bold=all(BOLD_FONT.search(w["fontname"] or "") for w in row),
            column=column,
        )
        for row in _group_rows(words)
    ]


def _clean_pages(raw_pages: list[list[Line]], numbers: list[int]) -> list[Page]:
    body_size = _body_font_size(raw_pages)
    heading_sizes = sorted(
        {
            round(line.size, 1)
            for lines in raw_pages
            for line in lines
            if line.size >= body_size * HEADING_SIZE_RATIO
        },
        reverse=True,
    )
    return [
        _build_page(number, lines, body_size, heading_sizes)
        for number, lines in zip(numbers, raw_pages)
    ]


def _body_font_size(raw_pages: list[list[Line]]) -> float:
    sizes: Counter[float] = Counter()
    for lines in raw_pages:
        for line in lines:
            sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _heading_level(line: Line, body_size: float, heading_sizes: list[float]) -> int | None:
    """1 for the largest heading font, and so on; bold numbered lines at body size come last."""
    if line.size >= body_size * HEADING_SIZE_RATIO:
        return heading_sizes.index(round(line.size, 1)) + 1
    if line.bold and SECTION_NUMBER.match(line.text) and len(line.text.split()) <= 14:
        return len(heading_sizes) + 1
    return None


def _starts_new_block(previous: Line, line: Line, previous_level: int | None, level: int | None) -> bool:
    if line.column != previous.column or level != previous_level:
        return True
    if BULLET.match(line.text):
        return True
    gap = line.top - previous.bottom
    return gap > 0.7 * max(line.size, 1.0) or gap < -1.0


def _join_lines(lines: Sequence[str]) -> str:
    """Join a block's lines, mending words hyphenated across a line end."""
    text = ""
    for line in lines:
        if text.endswith("-") and re.search(r"[A-Za-z]{3}-$", text) and line[:1].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}" if text else line
    return text


def _build_page(number: int, lines: list[Line], body_size: float, heading_sizes: list[float]) -> Page:
    blocks: list[tuple[int | None, list[str]]] = []
    previous: Line | None = None
    previous_level: int | None = None
    for line in lines:
        level = _heading_level(line, body_size, heading_sizes)
        if previous is None or _starts_new_block(previous, line, previous_level, level):
            blocks.append((level, []))
        blocks[-1][1].append(BULLET.sub("", line.text, count=1))
        previous, previous_level = line, level
    text_parts: list[str] = []
    headings: list[Heading] = []
    offset = 0
    for level, block_lines in blocks:
        block = _join_lines(block_lines)
        if level is not None:
            headings.append(Heading(text=block, level=level, start_char=offset, end_char=offset + len(block)))
        text_parts.append(block)
        offset += len(block) + 2
    return Page(number=number, text="\n\n".join(text_parts), headings=headings)


def _first_heading(pages: list[Page]) -> str | None:
    for page in pages:
        if page.headings:
            return page.headings[0].text
    return None
