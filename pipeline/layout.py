"""Page layout: from the words on each page to clean page text. Running headers, footers and page
numbers are removed, two-column pages are read column by column, lines are joined into paragraphs
with words hyphenated at a line end mended, and headings are found by their font size (or bold
numbering). Works on words from either reader (pipeline/pdfium_words.py or pdfplumber's
``extract_words``); the whole document is laid out at once, because running headers and the body
font size are facts about the document, not the page."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from operator import attrgetter

import numpy as np

from pipeline.models import Extractor, Heading, Page

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


@dataclass(slots=True, eq=False)
class Word:
    """A word on the page: its box in points from the top-left corner, its font's size and name.
    Never changed once read (not frozen: a page holds hundreds, and frozen ones are slower to make)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    fontname: str


@dataclass(frozen=True)
class PageWords:
    """The words one reader found on one page."""

    number: int
    width: float
    words: list[Word]
    reader: Extractor


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


def lay_out_pages(pages: list[PageWords]) -> list[Page]:
    """Clean pages, in the order given, each marked with the reader that found its words; heading
    levels follow the font sizes used across the whole document."""
    raw_pages = _lay_out(pages)
    body_size = _body_font_size(raw_pages)
    heading_sizes = sorted(
        {round(line.size, 1) for lines in raw_pages for line in lines if line.size >= body_size * HEADING_SIZE_RATIO},
        reverse=True,
    )
    return [_build_page(words, lines, body_size, heading_sizes) for words, lines in zip(pages, raw_pages, strict=True)]


def plain_page(number: int, text: str, extractor: Extractor) -> Page:
    """A page from plain text (pypdfium2, OCR): blank lines part paragraphs, line ends are mended."""
    paragraphs = [
        _join_lines([" ".join(line.split()) for line in block.splitlines() if line.strip()])
        for block in re.split(r"\n\s*\n", text)
    ]
    return Page(number=number, text="\n\n".join(p for p in paragraphs if p), extractor=extractor)


def _group_rows(words: Iterable[Word]) -> list[list[Word]]:
    """Words whose tops differ by less than ROW_TOLERANCE from the top of a row's first word share
    that row, left to right. Found a row at a time: the row's end is looked up among the sorted
    tops, then settled by the same subtraction as the rule (the sum in the look-up can round the
    other way at the edge)."""
    ordered = sorted(words, key=attrgetter("top", "x0"))
    tops = [word.top for word in ordered]
    rows: list[list[Word]] = []
    start = 0
    while start < len(ordered):
        first = tops[start]
        end = max(bisect_right(tops, first + ROW_TOLERANCE), start + 1)
        while end < len(tops) and tops[end] - first <= ROW_TOLERANCE:
            end += 1
        while end > start + 1 and tops[end - 1] - first > ROW_TOLERANCE:
            end -= 1
        rows.append(sorted(ordered[start:end], key=attrgetter("x0")))
        start = end
    return rows


def _row_text(row: Sequence[Word]) -> str:
    """Words split only by a change of font (a bold name before its colon) join without a space
    (a word's text is never empty: both readers drop such words)."""
    parts = [row[0].text]
    for previous, word in zip(row, row[1:], strict=False):
        parts.append(word.text if word.x0 - previous.x1 < WORD_GAP else " " + word.text)
    return "".join(parts)


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
    for page, rows in zip(pages, page_rows, strict=True):
        noise = {
            id(row)
            for row in _margin_rows(rows)
            if _margin_key(_row_text(row)) in repeated or PAGE_NUMBER.match(_row_text(row).strip())
        }
        laid_out.append(_page_lines([row for row in rows if id(row) not in noise], page.width))
    return laid_out


def _page_lines(rows: list[list[Word]], width: float) -> list[Line]:
    """Rows for a single-column page; for two columns, the left column then the right one,
    with full-width rows above and below them."""
    if not rows:
        return []
    gutter = _find_gutter(rows, width)
    if gutter is None:
        return _lines(rows, column=0)
    words = [w for row in rows for w in row]
    spanning = [w for w in words if w.x0 < gutter < w.x1]
    left = [w for w in words if w.x1 <= gutter]
    right = [w for w in words if w.x0 >= gutter]
    body_top = min(w.top for w in left + right)
    above = [w for w in spanning if w.top < body_top]
    below = [w for w in spanning if w.top >= body_top]
    return (
        _lines(_group_rows(above), column=0)
        + _lines(_group_rows(left), column=1)
        + _lines(_group_rows(right), column=2)
        + _lines(_group_rows(below), column=3)
    )


def _find_gutter(rows: list[list[Word]], width: float) -> float | None:
    """The x of a vertical gap between two text columns, or None for a single-column page.

    A row bridges x when a word lies within half a gutter of it. Real columns leave an x that
    almost no row bridges; a table beside full-width paragraphs does not, because the
    paragraph lines bridge every x with ordinary word spacing.
    """
    if len(rows) < 8:
        return None
    row_of = np.repeat(np.arange(len(rows)), [len(row) for row in rows])
    x0 = np.array([w.x0 for row in rows for w in row])
    x1 = np.array([w.x1 for row in rows for w in row])
    xs = np.arange(width * 0.3, width * 0.7, 1.0)
    # Each word covers the xs from the first above x0 to the last below x1: +1 and -1 at the ends
    # of that span, summed along each row, count the row's words over every x.
    first = np.searchsorted(xs, x0 - MIN_GUTTER / 2, side="right")
    end = np.searchsorted(xs, x1 + MIN_GUTTER / 2, side="left")
    spans = first < end
    cells = len(rows) * (len(xs) + 1)
    at = row_of[spans] * (len(xs) + 1)
    steps = np.bincount(at + first[spans], minlength=cells) - np.bincount(at + end[spans], minlength=cells)
    covered = np.cumsum(steps.reshape(len(rows), len(xs) + 1), axis=1)[:, :-1] > 0
    bridging_rows = covered.sum(axis=0)
    candidates = xs[bridging_rows == bridging_rows.min()]
    x = float(candidates[len(candidates) // 2])
    balanced = min(np.count_nonzero(x1 <= x), np.count_nonzero(x0 >= x)) >= 0.25 * len(x0)
    return x if balanced and bridging_rows.min() <= MAX_SPANNING_ROWS else None


def _lines(rows: list[list[Word]], column: int) -> list[Line]:
    return [
        Line(
            text=_row_text(row),
            top=min([w.top for w in row]),
            bottom=max([w.bottom for w in row]),
            x0=row[0].x0,
            size=_median([w.size for w in row]),
            bold=all(map(_is_bold, {w.fontname for w in row})),
            column=column,
        )
        for row in rows
    ]


def _median(values: list[float]) -> float:
    """``statistics.median``, by the same arithmetic, at a fifth of its cost (a call per line)."""
    values.sort()
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


@cache
def _is_bold(fontname: str) -> bool:
    """Bold by the font's name (a page has a few fonts and hundreds of words)."""
    return bool(BOLD_FONT.search(fontname or ""))


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


def _build_page(words: PageWords, lines: list[Line], body_size: float, heading_sizes: list[float]) -> Page:
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
    return Page(number=words.number, text="\n\n".join(text_parts), headings=headings, extractor=words.reader)
