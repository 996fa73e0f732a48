"""A page's words from PDFium's text API, in the form the layout step takes (``layout.Word``): the
same grouping of characters into words as pdfplumber's ``extract_words`` with the font size and
name as word attributes, several times faster (benchmarks/bench_ingest.py).

Each character's origin and loose box come from ``FPDFText_*`` calls, its text object too, asked
only where runs of objects may change; font size and matrix are read once per text object, name
and descent once per font. Positions are turned into pdfplumber's frame (points from
the top-left corner of the page as displayed, rotation applied) and characters are grouped into
words with numpy. Three differences from pdfminer are corrected: ``FPDFText_GetFontSize`` is the
``Tf`` size only, so the size is scaled by the text matrix as pdfminer's is; a character's left
edge is its origin, since PDFium's loose box includes a glyph's overhang (italics, "j"); and bold
is not taken from the font weight (PDFium reports 0 for standard fonts that are not embedded) but,
as for pdfplumber, from the font name (pipeline/layout.py). PDFium is not thread-safe: each document
is read in its own parsing process (pipeline/isolated.py).
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline.layout import Word

X_TOLERANCE = 3.0  # points: pdfplumber's defaults for splitting words and clustering lines
Y_TOLERANCE = 3.0
# Ligatures are spelt out, as pdfplumber does; PDFium marks a hyphen at a line end with U+0002
# (U+FFFE in FPDFText_GetText) where pdfminer keeps "-".
REPLACEMENTS = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
        "\x02": "-",
        "\ufffe": "-",
    }
)
REPLACED = frozenset(chr(code) for code in REPLACEMENTS)
# str.isspace over the code points that can be spaces, as a table: a lookup per character (np.isin
# sorts, and its first call imports numpy.ma, 50 ms of every parsing process).
IS_SPACE = np.array([chr(code).isspace() for code in range(0x3001)], dtype=bool)
FONT_NAME_BYTES = 256
RUN_STRIDE = 16  # characters: the first sample of text objects (most run for tens of characters)
# Code points of right-to-left scripts: Hebrew to Arabic Extended, the Hebrew and Arabic
# presentation forms, and the historic right-to-left scripts of plane 1.
RIGHT_TO_LEFT = ((0x0590, 0x08FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF), (0x10800, 0x10FFF), (0x1E800, 0x1EFFF))

Floats = npt.NDArray[np.float64]
Transform = tuple[float, float, float, float, float, float]  # (a, b, c, d, e, f) as in PDF


def _address_prototype(function: Any, result: Any, *arguments: Any) -> Any:
    """``function`` again, taking and returning plain addresses: one call per character is the
    cost that matters here, and this spares ctypes a pointer conversion on every call."""
    address: int = ctypes.cast(function, ctypes.c_void_p).value  # type: ignore[assignment]  # never NULL: PDFium exports it
    return ctypes.CFUNCTYPE(result, *arguments)(address)


_VOID, _INT = ctypes.c_void_p, ctypes.c_int
_char_origin = _address_prototype(pdfium_c.FPDFText_GetCharOrigin, _INT, _VOID, _INT, _VOID, _VOID)
_loose_box = _address_prototype(pdfium_c.FPDFText_GetLooseCharBox, _INT, _VOID, _INT, _VOID)
_text_object = _address_prototype(pdfium_c.FPDFText_GetTextObject, ctypes.c_size_t, _VOID, _INT)
_is_generated = _address_prototype(pdfium_c.FPDFText_IsGenerated, _INT, _VOID, _INT)
_object_font = _address_prototype(pdfium_c.FPDFTextObj_GetFont, ctypes.c_size_t, _VOID)
_font_descent = _address_prototype(pdfium_c.FPDFFont_GetDescent, _INT, _VOID, ctypes.c_float, _VOID)


@dataclass(frozen=True, slots=True)
class Font:
    """What every character of one text object shares; a change of font ends a word."""

    name: str
    size: float
    upright: bool
    upward: bool  # rotated text that reads from the bottom of the page up
    descent: float  # below the baseline, as a (negative) share of the size


@dataclass(frozen=True)
class Chars:
    """A page's characters in stream order, in the displayed frame (y grows downwards)."""

    code: npt.NDArray[np.uint32]  # Unicode code points
    fonts: list[Font]  # distinct fonts; ``font`` indexes them
    font: npt.NDArray[np.intp]
    x0: Floats
    x1: Floats
    top: Floats
    bottom: Floats


def page_words(page: pdfium.PdfPage) -> list[Word]:
    """The page's words, as pdfplumber's ``extract_words(extra_attrs=["size", "fontname"])`` gives
    them: runs of characters in one font are clustered into lines, sorted along each line and split
    at spaces and gaps wider than X_TOLERANCE."""
    textpage = page.get_textpage()
    try:
        chars = _read_chars(textpage.raw, _display_transform(page))
    finally:
        textpage.close()
    return _group_words(chars) if len(chars.code) else []


def _display_transform(page: pdfium.PdfPage) -> Transform:
    """From PDF user space to the displayed page's frame (origin top-left, y down, rotation applied,
    measured from the media box), as pdfminer lays out a rotated page."""
    left, bottom, right, top = page.get_mediabox()
    return {
        0: (1.0, 0.0, 0.0, -1.0, -left, top),
        90: (0.0, 1.0, 1.0, 0.0, -bottom, -left),
        180: (-1.0, 0.0, 0.0, 1.0, right, -bottom),
        270: (0.0, -1.0, -1.0, 0.0, top, right),
    }[page.get_rotation() % 360]


def _read_chars(raw: pdfium_c.FPDF_TEXTPAGE, t: Transform) -> Chars:
    """Every character PDFium read from the content stream, without the spaces and line breaks it
    generates between text objects (pdfminer has none) and characters it cannot place."""
    code = _page_text(raw)
    page: int = ctypes.cast(raw, ctypes.c_void_p).value  # type: ignore[assignment]  # a loaded text page
    origins, boxes, keep = _char_calls(page, len(code))
    space = _is_space(code)
    spaces = np.flatnonzero(space)
    generated = np.fromiter(map(_is_generated, repeat(page, len(spaces)), spaces.tolist()), np.intc, len(spaces))
    keep[spaces[generated == 1]] = False
    distinct, font = _fonts(raw, _text_objects(page, code, space), t)
    size = np.array([f.size for f in distinct])[font]
    descent = np.array([f.descent for f in distinct])[font]
    upright = np.array([f.upright for f in distinct], dtype=bool)[font]
    ox, oy = origins.T
    left, top, right, bottom = boxes.astype(np.float64).T
    # The loose box's corners, and the origin, in the displayed frame.
    ax, ay = t[0] * left + t[2] * bottom + t[4], t[1] * left + t[3] * bottom + t[5]
    bx, by = t[0] * right + t[2] * top + t[4], t[1] * right + t[3] * top + t[5]
    box_x1 = np.maximum(ax, bx)
    origin_x, baseline = t[0] * ox + t[2] * oy + t[4], t[1] * ox + t[3] * oy + t[5]
    # Upright characters run from their origin to the box's right, cut at the origin of the next
    # character on the line, generated spaces included (the box of a substituted font can overhang
    # it, and the space generated where a word ends in a positioned gap starts where pdfminer's
    # character ends); from the font's descent below the baseline up by their size, as pdfminer's
    # (the loose box of some fonts is the glyph's ink, which gives every letter its own bottom).
    # Rotated characters keep their loose box.
    x1 = box_x1.copy()
    followed = upright[:-1] & (np.abs(np.diff(baseline)) < 0.5) & (origin_x[1:] > origin_x[:-1])
    x1[:-1] = np.where(followed, np.minimum(box_x1[:-1], origin_x[1:]), box_x1[:-1])
    return Chars(
        code=code[keep],
        fonts=distinct,
        font=font[keep],
        x0=np.where(upright, np.minimum(origin_x, x1), np.minimum(ax, bx))[keep],
        x1=x1[keep],
        top=np.where(upright, baseline - descent * size - size, np.minimum(ay, by))[keep],
        bottom=np.where(upright, baseline - descent * size, np.maximum(ay, by))[keep],
    )


def _is_space(code: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    """Whether each code point is a space to ``str.isspace``."""
    return IS_SPACE[np.minimum(code, len(IS_SPACE) - 1)] & (code < len(IS_SPACE))


def _char_calls(page: int, count: int) -> tuple[Floats, npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """Two PDFium calls per character, written straight into arrays: its origin and its loose box
    (FS_RECTF: left, top, right, bottom); and whether both worked."""
    origins = np.zeros((count, 2))
    boxes = np.zeros((count, 4), dtype=np.float32)
    at, boxes_at, steps = origins.ctypes.data, boxes.ctypes.data, 16 * np.arange(count)
    placed = np.array(
        list(map(_char_origin, repeat(page, count), range(count), (at + steps).tolist(), (at + 8 + steps).tolist())),
        dtype=bool,
    )
    boxed = map(_loose_box, repeat(page, count), range(count), (boxes_at + steps).tolist())
    placed &= np.array(list(boxed), dtype=bool)
    return origins, boxes, placed


def _text_objects(page: int, code: npt.NDArray[np.uint32], space: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint64]:
    """Each character's text object. PDFium lists the characters of a text object one after the
    other (spaces aside: it generates them between objects, or places them without one), so the
    objects of the other characters are found by bisection (``_runs``), asking only where runs may
    change. On the samples, the benchmark corpus and the 73 real-world files (1,949 pages, 3.6 M
    such characters) every object found so is the one a call per character gives. Spaces are asked
    one by one, and so is every character of a page with right-to-left script, which PDFium
    reorders across objects."""
    object_at = partial(_text_object, page)
    if any(np.any((code >= first) & (code <= last)) for first, last in RIGHT_TO_LEFT):
        return _values_at(np.arange(len(code)), object_at)
    objects = np.zeros(len(code), dtype=np.uint64)
    spaces = np.flatnonzero(space)
    objects[spaces] = _values_at(spaces, object_at)
    others = np.flatnonzero(~space)
    if len(others):
        objects[others] = _runs(others, object_at)
    return objects


def _runs(indices: npt.NDArray[np.intp], value_at: Callable[[int], int]) -> npt.NDArray[np.uint64]:
    """``value_at`` of every index, for values that come in runs (a value never comes back once
    another followed it): asked at every RUN_STRIDE-th index and the last, then in the middle of
    each stretch whose ends differ, all such stretches at once, until every stretch is one run."""
    count = len(indices)
    at = np.arange(0, count + RUN_STRIDE - 1, RUN_STRIDE)
    at[-1] = count - 1
    values = _values_at(indices[at], value_at)
    while True:
        split = (values[:-1] != values[1:]) & (np.diff(at) > 1)
        if not split.any():
            break
        middles = (at[:-1][split] + at[1:][split]) // 2
        places = np.flatnonzero(split) + 1
        at = np.insert(at, places, middles)
        values = np.insert(values, places, _values_at(indices[middles], value_at))
    return np.repeat(values, np.diff(at, append=count))


def _values_at(indices: npt.NDArray[np.intp], value_at: Callable[[int], int]) -> npt.NDArray[np.uint64]:
    return np.fromiter(map(value_at, indices.tolist()), np.uint64, len(indices))


def _fonts(
    raw: pdfium_c.FPDF_TEXTPAGE, objects: npt.NDArray[np.uint64], t: Transform
) -> tuple[list[Font], npt.NDArray[np.intp]]:
    """The distinct fonts of the page, and each character's index into them; read once per text
    object (text objects in the same font share an index)."""
    handles, first, object_of = np.unique(objects, return_index=True, return_inverse=True)
    fonts: dict[Font, int] = {}
    faces: dict[int, tuple[str, float]] = {}
    font_of_object = np.array(
        [
            fonts.setdefault(_font(raw, index, handle, t, faces), len(fonts))
            for index, handle in zip(first.tolist(), handles.tolist(), strict=True)
        ],
        dtype=np.intp,
    )
    return list(fonts), font_of_object[object_of.reshape(-1)]


def _page_text(raw: pdfium_c.FPDF_TEXTPAGE) -> npt.NDArray[np.uint32]:
    """The code point of every character of the text page, read in one call where PDFium's text
    has one UTF-16 unit per character (else one call per character)."""
    count = pdfium_c.FPDFText_CountChars(raw)
    if count <= 0:
        return np.zeros(0, dtype=np.uint32)
    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(raw, 0, count, buffer)
    text = bytes(memoryview(buffer).cast("B"))[: 2 * max(written - 1, 0)].decode("utf-16-le", "replace")
    if len(text) != count or "\ufffd" in text:
        return np.array([pdfium_c.FPDFText_GetUnicode(raw, index) for index in range(count)], dtype=np.uint32)
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _font(
    raw: pdfium_c.FPDF_TEXTPAGE, index: int, text_object: int, t: Transform, faces: dict[int, tuple[str, float]]
) -> Font:
    """Font name, effective size and direction of the character's text object. The size is the
    glyphs' height on the page: the ``Tf`` size times the matrix's scale across the baseline
    (pdfminer's size for upright text, and the true size for rotated or slanted text). Name and
    descent belong to the font itself: read once per page for all its text objects (``faces``)."""
    font = _object_font(text_object) if text_object else 0
    if font not in faces:
        faces[font] = _face(raw, index, font)
    name_text, descent = faces[font]
    m = pdfium_c.FS_MATRIX()
    pdfium_c.FPDFText_GetMatrix(raw, index, m)
    # The character's matrix in the displayed frame with y up: pdfminer's test of uprightness.
    a, b = t[0] * m.a + t[2] * m.b, -(t[1] * m.a + t[3] * m.b)
    c, d = t[0] * m.c + t[2] * m.d, -(t[1] * m.c + t[3] * m.d)
    upright = a * d > 0 and b * c <= 0
    size = pdfium_c.FPDFText_GetFontSize(raw, index) * abs(a * d - b * c) / (math.hypot(a, b) or 1.0)
    return Font(name_text, round(size, 4), upright, not upright and b > 0, descent)


def _face(raw: pdfium_c.FPDF_TEXTPAGE, index: int, font: int) -> tuple[str, float]:
    """The name and descent (a negative share of the size, rounded) of the character's font."""
    name = ctypes.create_string_buffer(FONT_NAME_BYTES)
    length = pdfium_c.FPDFText_GetFontInfo(raw, index, name, FONT_NAME_BYTES, ctypes.c_int())
    descent = ctypes.c_float(0.0)
    if not (font and _font_descent(font, 1.0, ctypes.addressof(descent))):
        descent.value = 0.0
    return (name.value.decode("utf-8", "replace") if length else ""), round(min(descent.value, 0.0), 4)


def _group_words(chars: Chars) -> list[Word]:
    """pdfplumber's grouping, vectorised: consecutive characters of one font form a run; a run's
    characters whose positions across the line lie within Y_TOLERANCE of a neighbour's share a
    line; each line is read along its direction (left to right; down or up the page for rotated text)
    and split into words."""
    count = len(chars.code)
    order = np.arange(count)
    run = np.concatenate(([0], np.cumsum(chars.font[1:] != chars.font[:-1])))
    upright = np.array([f.upright for f in chars.fonts], dtype=bool)[chars.font]
    upward = np.array([f.upward for f in chars.fonts], dtype=bool)[chars.font]
    across = np.where(upright, chars.top, chars.x0)
    along = np.where(upright, chars.x0, np.where(upward, -chars.bottom, chars.top))
    end = np.where(upright, chars.x1, np.where(upward, -chars.top, chars.bottom))
    # Lines: sorted by run then position across, a new line wherever the gap exceeds the tolerance.
    by_across = np.lexsort((across, run))
    new_line = np.ones(count, dtype=bool)
    new_line[1:] = (np.diff(run[by_across]) != 0) | (np.diff(across[by_across]) > Y_TOLERANCE)
    line = np.empty(count, dtype=np.intp)
    line[by_across] = np.cumsum(new_line)
    # Reading order: line by line, along each line, ties in stream order.
    reading = np.lexsort((order, along, line))
    space = _is_space(chars.code[reading])
    start, stop, level = along[reading], end[reading], across[reading]
    breaks = np.ones(count, dtype=bool)
    breaks[1:] = (
        (np.diff(line[reading]) != 0)
        | space[:-1]
        | (start[1:] > stop[:-1] + X_TOLERANCE)
        | (np.abs(np.diff(level)) > Y_TOLERANCE)
    )
    breaks |= space
    word_of = np.cumsum(breaks)[~space]
    members = reading[~space]
    if not len(members):
        return []
    firsts = np.flatnonzero(np.diff(word_of, prepend=-1))
    x0 = np.minimum.reduceat(chars.x0[members], firsts)
    x1 = np.maximum.reduceat(chars.x1[members], firsts)
    top = np.minimum.reduceat(chars.top[members], firsts)
    bottom = np.maximum.reduceat(chars.bottom[members], firsts)
    text = chars.code[members].tobytes().decode("utf-32-le", "replace")
    bounds = [*firsts.tolist(), len(members)]
    texts = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    if not REPLACED.isdisjoint(text):
        texts = [word.translate(REPLACEMENTS) for word in texts]
    fonts = [chars.fonts[f] for f in chars.font[members[firsts]].tolist()]
    sizes, names = [font.size for font in fonts], [font.name for font in fonts]
    return list(map(Word, texts, x0.tolist(), x1.tolist(), top.tolist(), bottom.tolist(), sizes, names))
