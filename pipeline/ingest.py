"""Reads a strategy PDF into clean pages: running headers, footers and page numbers removed,
hyphenated line ends joined, two-column pages read column by column, headings found by font."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pdfplumber
import pypdfium2 as pdfium

from pipeline.errors import CorruptPDF, EncryptedPDF, NoTextLayer, NotAPDF, TooLarge
from pipeline.models import Document, Heading, Page, SourceInfo, document_id
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
) -> Document:
    """Read ``path`` into a Document, or raise a ReviewError naming the file and the reason."""
    settings = settings or get_settings()
    path = Path(path)
    data = _read_pdf_bytes(path, settings)
    expected_pages = _count_pages(path, data, password)
    if expected_pages > settings.max_pages:
        raise TooLarge(path, f"{expected_pages} pages, more than the limit of {settings.max_pages}")
    title, words = _extract_words(path, password)
    if len(words) != expected_pages:
        raise CorruptPDF(
            path, f"pdfplumber read {len(words)} of {expected_pages} pages; refusing a partial read"
        )
    if not any(page.words for page in words):
        raise NoTextLayer(path, f"none of its {expected_pages} pages has a text layer (scanned?)")
    pages = _clean_pages(_lay_out(words))
    return Document(
        id=document_id(data),
        file=path.name,
        title=title or _first_heading(pages) or path.stem,
        page_count=expected_pages,
        pages=pages,
        source=source or SourceInfo(),
    )


def _read_pdf_bytes(path: Path, settings: Settings) -> bytes:
    if not path.exists():
        raise NotAPDF(path, "file not found")
    if not path.is_file():
        raise NotAPDF(path, "not a regular file")
    size_mb = path.stat().st_size / 1_000_000
    if size_mb > settings.max_file_mb:
        raise TooLarge(path, f"{size_mb:.1f} MB, more than the limit of {settings.max_file_mb} MB")
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
            raise EncryptedPDF(
                path, "password-protected: supply the password with --password or in the manifest"
            ) from exc
        raise CorruptPDF(path, f"the file is damaged and cannot be opened ({exc})") from exc
    try:
        return len(pdf)
    finally:
        pdf.close()


Word = dict[str, Any]


@dataclass(frozen=True)
class PageWords:
    """The words pdfplumber found on one page, with their font size and name."""

    width: float
    words: list[Word]


def _extract_words(path: Path, password: str | None) -> tuple[str | None, list[PageWords]]:
    """Words of every page, plus the title from the PDF's metadata."""
    pages: list[PageWords] = []
    try:
        with pdfplumber.open(path, password=password or "") as pdf:
            title = str(pdf.metadata.get("Title") or "").strip() or None
            for page in pdf.pages:
                try:
                    words = page.extract_words(extra_attrs=["size", "fontname"], keep_blank_chars=False)
                    pages.append(PageWords(width=float(page.width), words=words))
                finally:
                    page.close()
    except Exception as exc:  # pdfminer raises many unrelated types for damaged files
        page_note = f" on page {len(pages) + 1}" if pages else ""
        raise CorruptPDF(path, f"pdfplumber could not read the file{page_note} ({exc!r})") from exc
    return title, pages


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


def _clean_pages(raw_pages: list[list[Line]]) -> list[Page]:
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
        for number, lines in enumerate(raw_pages, start=1)
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
