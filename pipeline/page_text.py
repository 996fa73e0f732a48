"""What pypdfium2 sees on a page: its plain text, whether it holds images, and whether a text layer
is real text or undecodable glyph codes. Used where pdfplumber fails, loses pages or returns
``(cid:NN)`` codes, and to decide which pages are scans that need OCR."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

# pdfminer writes a glyph it cannot map to a character as "(cid:NN)".
CID_CODE = re.compile(r"\(cid:\d+\)")
# A character that stands for a glyph with no known meaning: replacement, control (Unicode Cc),
# lone surrogate (Cs) or private use (Co).
UNDECODABLE = re.compile(
    "[\ufffd\x00-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]"
)
SPACE = re.compile(r"\s+")
# PDFium marks a hyphen it removed at a line end with U+FFFE (or keeps a soft hyphen, U+00AD),
# sometimes with the line break already gone.
PDFIUM_BREAK_HYPHEN = re.compile(r"[\ufffe\u00ad]\s*")
MIN_IMAGE_SHARE = 0.05  # an image smaller than this share of the page is a logo, not a scan


def strip_glyph_codes(text: str) -> str:
    """Text without pdfminer's ``(cid:NN)`` placeholders and undecodable characters."""
    return UNDECODABLE.sub("", CID_CODE.sub("", text))


def has_glyph_codes(text: str) -> bool:
    return bool(CID_CODE.search(text) or UNDECODABLE.search(text))


def garbled_share(text: str) -> float:
    """Share of the characters of ``text`` that are undecodable: ``(cid:NN)`` codes (one glyph each),
    private-use characters, replacement characters and stray control characters."""
    codes = len(CID_CODE.findall(text))
    rest = SPACE.sub("", CID_CODE.sub("", text))
    total = codes + len(rest)
    return (codes + len(UNDECODABLE.findall(rest))) / total if total else 0.0


def is_garbled(text: str, max_share: float) -> bool:
    return garbled_share(text) > max_share


def pdfium_page_text(page: pdfium.PdfPage) -> str:
    """A page's text from PDFium, as paragraphs: lines joined, words split at line ends mended."""
    textpage = page.get_textpage()
    try:
        raw = textpage.get_text_range()
    finally:
        textpage.close()
    raw = PDFIUM_BREAK_HYPHEN.sub("", raw.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [" ".join(line.split()) for line in raw.split("\n")]
    return "\n".join(line for line in lines if line)


def has_scanned_image(page: pdfium.PdfPage) -> bool:
    """True when the page draws an image large enough to hold text (a scan, a photographed page)."""
    width, height = page.get_size()
    area = max(width * height, 1.0)
    for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
        left, bottom, right, top = image.get_bounds()
        if abs((right - left) * (top - bottom)) / area >= MIN_IMAGE_SHARE:
            return True
    return False
