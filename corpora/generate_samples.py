"""Turn the markdown-like sample strategy sources in corpora/sample/src/ into PDFs.

The sample PDFs stand in for real ICS digital strategies, so they carry what the ingest
code must learn to cope with: a cover without a running header, a contents page, and a
header and footer repeated on every later page. Output is deterministic, so re-running
changes no bytes.

Usage (from the repository root):
    python corpora/generate_samples.py [--src DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

import yaml
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    ListFlowable,
    ListItem,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

HERE = Path(__file__).resolve().parent
DEFAULT_SRC = HERE / "sample" / "src"
DEFAULT_OUT = HERE / "sample"

REQUIRED_KEYS = {"title", "running_header", "publisher"}
OPTIONAL_KEYS = {"subtitle", "date", "layout"}
LAYOUTS = {"single", "two-column"}

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 2.2 * cm
COLUMN_GAP = 0.8 * cm
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
GREY = colors.HexColor("#666666")

TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
BOLD = re.compile(r"\*\*(.+?)\*\*")

BlockKind = Literal["h1", "h2", "bullets", "table", "pagebreak", "paragraph"]


class SourceError(Exception):
    """A malformed source, reported with file and line so the writer can fix it fast."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")


@dataclass
class Block:
    """One parsed block: text lines (one per bullet item or table row), table cells."""

    kind: BlockKind
    line: int
    lines: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Source:
    """A parsed source file: front matter values plus body blocks."""

    path: Path
    meta: dict[str, str]
    blocks: list[Block]

    @property
    def two_column(self) -> bool:
        return self.meta.get("layout", "single") == "two-column"


# ---------------------------------------------------------------- parsing


def parse_source(path: Path) -> Source:
    """Read a source file; raise SourceError pointing at the first malformed line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    meta, body_start = parse_front_matter(path, lines)
    blocks = parse_blocks(path, lines, body_start)
    if not any(block.kind == "h1" for block in blocks):
        raise SourceError(path, body_start + 1, "body has no '# ' level-1 heading")
    return Source(path, meta, blocks)


def parse_front_matter(path: Path, lines: list[str]) -> tuple[dict[str, str], int]:
    """Return the validated front matter and the index of the first body line."""
    if not lines or lines[0].strip() != "---":
        raise SourceError(path, 1, "file must start with '---' front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise SourceError(path, 1, "front matter is not closed by a '---' line") from None
    try:
        raw: Any = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + mark.line if mark is not None else 1
        reason = getattr(exc, "problem", None) or exc
        raise SourceError(path, line, f"front matter is not valid YAML: {reason}") from None
    if not isinstance(raw, dict):
        raise SourceError(path, 2, "front matter must be 'key: value' lines")
    meta = {str(key): str(value) for key, value in raw.items() if value is not None}
    unknown = set(meta) - REQUIRED_KEYS - OPTIONAL_KEYS
    if unknown:
        raise SourceError(path, 2, f"unknown front matter keys: {', '.join(sorted(unknown))}")
    missing = REQUIRED_KEYS - set(meta)
    if missing:
        raise SourceError(path, 2, f"front matter lacks: {', '.join(sorted(missing))}")
    if meta.get("layout", "single") not in LAYOUTS:
        raise SourceError(path, 2, f"layout must be one of {sorted(LAYOUTS)}, not {meta['layout']!r}")
    return meta, end + 1


def line_kind(text: str) -> BlockKind | None:
    """Classify one non-blank line; None means it continues the current block."""
    if text.startswith("# "):
        return "h1"
    if text.startswith("## "):
        return "h2"
    if text.startswith("- "):
        return "bullets"
    if text.startswith("|"):
        return "table"
    if text == "[pagebreak]":
        return "pagebreak"
    return None


def parse_blocks(path: Path, lines: list[str], start: int) -> list[Block]:
    """Group body lines into blocks; a change of line kind starts a new block.

    Plain lines continue the current paragraph or bullet item, as in markdown.
    """
    blocks: list[Block] = []
    current: Block | None = None
    for index in range(start, len(lines)):
        number, text = index + 1, lines[index].strip()
        if not text:
            current = None
            continue
        kind = line_kind(text)
        if kind is None and text.startswith("#"):
            raise SourceError(path, number, "headings must start with '# ' or '## '")
        if kind is not None and kind in ("h1", "h2", "pagebreak"):
            blocks.append(Block(kind, number, [text.lstrip("#").strip()]))
            current = None
        elif kind is None and current is not None and current.kind in ("paragraph", "bullets"):
            current.lines[-1] += " " + text
        elif current is not None and kind == current.kind:
            current.lines.append(text[2:] if kind == "bullets" else text)
        else:
            current = Block(kind or "paragraph", number, [text[2:] if kind == "bullets" else text])
            blocks.append(current)
    for block in blocks:
        if block.kind == "table":
            block.rows = parse_table(path, block)
    return blocks


def split_row(row: str) -> list[str]:
    """Split a pipe-table row into stripped cells, ignoring the outer pipes."""
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def parse_table(path: Path, block: Block) -> list[list[str]]:
    """Return header and body rows, checking the separator row and column counts."""
    if len(block.lines) < 3 or not TABLE_SEPARATOR.match(block.lines[1]):
        raise SourceError(
            path,
            block.line + 1,
            "table needs a header row, a '| --- |' separator row and body rows",
        )
    header = split_row(block.lines[0])
    rows = [header] + [split_row(row) for row in block.lines[2:]]
    if len(split_row(block.lines[1])) != len(header):
        raise SourceError(
            path,
            block.line + 1,
            "separator row has a different number of columns from the header",
        )
    for offset, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise SourceError(
                path,
                block.line + offset,
                f"row has {len(row)} cells, header has {len(header)}",
            )
    return rows


# ---------------------------------------------------------------- styles, inline text


def make_styles() -> dict[str, ParagraphStyle]:
    """Standard fonts only, so pdfplumber gets clean real text."""
    body = ParagraphStyle("Body", fontName="Helvetica", fontSize=10, leading=14.5, spaceAfter=7)
    return {
        "body": body,
        "h1": ParagraphStyle(
            "Heading1",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=16,
            leading=20,
            spaceBefore=10,
            spaceAfter=9,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "Heading2",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=12.5,
            leading=16,
            spaceBefore=8,
            spaceAfter=5,
            keepWithNext=1,
        ),
        "bullet": ParagraphStyle("Bullet", parent=body, spaceAfter=3),
        "cell": ParagraphStyle("Cell", parent=body, fontSize=9, leading=11.5, spaceAfter=0),
        "cell_head": ParagraphStyle(
            "CellHead",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=9,
            leading=11.5,
            spaceAfter=0,
        ),
        "contents": ParagraphStyle(
            "ContentsTitle",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=18,
            leading=22,
            spaceAfter=14,
        ),
        "toc1": ParagraphStyle(
            "TOC1",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=10,
            leading=12,
            spaceBefore=2,
            spaceAfter=0,
        ),
        "toc2": ParagraphStyle("TOC2", parent=body, fontSize=9, leading=11, leftIndent=16, spaceAfter=0),
        "cover_title": ParagraphStyle(
            "CoverTitle",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=30,
            leading=36,
            spaceAfter=18,
        ),
        "cover_subtitle": ParagraphStyle(
            "CoverSubtitle",
            parent=body,
            fontSize=18,
            leading=23,
            spaceAfter=60,
            textColor=GREY,
        ),
        "cover_line": ParagraphStyle("CoverLine", parent=body, fontSize=13, leading=18, spaceAfter=4),
    }


def inline(text: str) -> str:
    """Escape markup characters for Paragraph, then turn **bold** into <b>."""
    return BOLD.sub(r"<b>\1</b>", escape(text))


# ---------------------------------------------------------------- document template


class StrategyDoc(BaseDocTemplate):
    """A4 document with cover, contents and body templates; collects headings."""

    def __init__(self, filename: str, source: Source) -> None:
        meta = source.meta
        super().__init__(
            filename,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN,
            title=meta["title"],
            subject=meta.get("subtitle", ""),
            author=meta["publisher"],
            creator="wgll-review corpora/generate_samples.py",
            invariant=1,
        )
        self.meta = meta
        body_frames = two_column_frames() if source.two_column else [full_frame("body")]
        self.addPageTemplates(
            [
                PageTemplate("cover", [full_frame("cover")]),
                PageTemplate("contents", [full_frame("contents")], onPage=self.draw_furniture),
                PageTemplate("body", body_frames, onPage=self.draw_furniture),
            ]
        )

    def draw_furniture(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """Running header with a thin rule; footer with publisher and page number."""
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(GREY)
        top = PAGE_HEIGHT - MARGIN + 0.9 * cm
        canvas.drawString(MARGIN, top, self.meta["running_header"])
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, top - 4, PAGE_WIDTH - MARGIN, top - 4)
        bottom = MARGIN - 1.1 * cm
        canvas.drawString(MARGIN, bottom, self.meta["publisher"])
        canvas.drawRightString(PAGE_WIDTH - MARGIN, bottom, f"Page {canvas.getPageNumber()}")
        canvas.restoreState()

    def beforeDocument(self) -> None:
        """Restart heading numbers on each multiBuild pass so link names are stable."""
        self.headings_seen = 0

    def afterFlowable(self, flowable: Flowable) -> None:
        """Send level-1 and level-2 headings to the contents, with a link target."""
        if not isinstance(flowable, Paragraph):
            return
        level = {"Heading1": 0, "Heading2": 1}.get(flowable.style.name)
        if level is None:
            return
        self.headings_seen += 1
        key = f"heading-{self.headings_seen}"
        self.canv.bookmarkPage(key)
        self.notify("TOCEntry", (level, flowable.getPlainText(), self.page, key))


def full_frame(frame_id: str) -> Frame:
    """One frame filling the page inside the margins."""
    return Frame(
        MARGIN,
        MARGIN,
        BODY_WIDTH,
        PAGE_HEIGHT - 2 * MARGIN,
        id=frame_id,
        leftPadding=0,
        rightPadding=0,
    )


def two_column_frames() -> list[Frame]:
    """Two side-by-side frames for the two-column body layout."""
    width = (BODY_WIDTH - COLUMN_GAP) / 2
    height = PAGE_HEIGHT - 2 * MARGIN
    return [
        Frame(MARGIN, MARGIN, width, height, id="left", leftPadding=0, rightPadding=0),
        Frame(
            MARGIN + width + COLUMN_GAP,
            MARGIN,
            width,
            height,
            id="right",
            leftPadding=0,
            rightPadding=0,
        ),
    ]


# ---------------------------------------------------------------- flowables


def cover_flowables(meta: dict[str, str], styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Title page: title, subtitle, publisher and date, with no running header."""
    story: list[Flowable] = [
        Spacer(1, 6 * cm),
        Paragraph(inline(meta["title"]), styles["cover_title"]),
    ]
    if "subtitle" in meta:
        story.append(Paragraph(inline(meta["subtitle"]), styles["cover_subtitle"]))
    story.append(Paragraph(inline(meta["publisher"]), styles["cover_line"]))
    if "date" in meta:
        story.append(Paragraph(inline(meta["date"]), styles["cover_line"]))
    return story


def contents_flowables(styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """The 'Contents' page; multiBuild fills in page numbers on the second pass."""
    tight = TableStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ]
    )
    toc = TableOfContents(levelStyles=[styles["toc1"], styles["toc2"]], dotsMinLevel=0, tableStyle=tight)
    return [Paragraph("Contents", styles["contents"]), toc]


def block_flowable(block: Block, styles: dict[str, ParagraphStyle], width: float) -> Flowable:
    """Render one parsed block."""
    if block.kind in ("h1", "h2", "paragraph"):
        style = styles["body"] if block.kind == "paragraph" else styles[block.kind]
        return Paragraph(inline(" ".join(block.lines)), style)
    if block.kind == "bullets":
        items = [ListItem(Paragraph(inline(item), styles["bullet"]), leftIndent=14) for item in block.lines]
        return ListFlowable(
            items,
            bulletType="bullet",
            start="\u2022",
            bulletFontName="Symbol",
            leftIndent=14,
            bulletFontSize=9,
            spaceAfter=6,
        )
    if block.kind == "table":
        return table_flowable(block.rows, styles, width)
    return PageBreak()


def column_widths(rows: list[list[str]], width: float) -> list[float]:
    """Give each column room for its longest word, then share the rest by text length.

    This keeps short columns (years, codes) narrow without breaking words mid-way.
    """
    padding = 12.0
    columns = [[BOLD.sub(r"\1", row[col]) for row in rows] for col in range(len(rows[0]))]
    least = [
        max(stringWidth(word, "Helvetica-Bold", 9) for cell in cells for word in cell.split() or [""]) + padding
        for cells in columns
    ]
    wanted = [max(stringWidth(cell, "Helvetica", 9) for cell in cells) + padding for cells in columns]
    spare = width - sum(least)
    stretch = [max(want - low, 1.0) for want, low in zip(wanted, least, strict=True)]
    if spare <= 0:
        return [width * low / sum(least) for low in least]
    return [low + spare * extra / sum(stretch) for low, extra in zip(least, stretch, strict=True)]


def table_flowable(rows: list[list[str]], styles: dict[str, ParagraphStyle], width: float) -> Table:
    """A gridded table with a bold, shaded header row repeated across page breaks."""
    cells = [
        [Paragraph(inline(cell), styles["cell_head"] if index == 0 else styles["cell"]) for cell in row]
        for index, row in enumerate(rows)
    ]
    table = Table(
        cells,
        colWidths=column_widths(rows, width),
        repeatRows=1,
        hAlign="LEFT",
        spaceBefore=4,
        spaceAfter=10,
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E6EEF5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def build_story(source: Source, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Cover, then contents, then the body, switching page templates between them."""
    width = (BODY_WIDTH - COLUMN_GAP) / 2 if source.two_column else BODY_WIDTH
    story = cover_flowables(source.meta, styles)
    story += [NextPageTemplate("contents"), PageBreak()]
    story += contents_flowables(styles)
    story += [NextPageTemplate("body"), PageBreak()]
    story += [block_flowable(block, styles, width) for block in source.blocks]
    return story


def render(source: Source, out_path: Path) -> int:
    """Write the PDF and return its page count."""
    doc = StrategyDoc(str(out_path), source)
    doc.multiBuild(build_story(source, make_styles()))
    return int(doc.page)


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """Render every *.md under --src; report malformed sources and carry on."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC, help="folder of .md sources")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PDFs")
    args = parser.parse_args(argv)
    sources = sorted(args.src.glob("*.md"))
    if not sources:
        print(f"no .md sources in {args.src}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for path in sources:
        try:
            pages = render(parse_source(path), args.out / f"{path.stem}.pdf")
        except SourceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{path.stem}.pdf: {pages} pages")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
