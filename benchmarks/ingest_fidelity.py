"""How closely PDFium's words (pipeline/pdfium_words.py) reproduce pdfplumber's ``extract_words``,
and whether what the pipeline makes of them changes: words matched by text and position (font
size and bold compared on the matched ones), headings after layout, and passages after
segmentation (pipeline.segment). Pages are compared where both readers read them.

    .venv/bin/python benchmarks/ingest_fidelity.py            # samples and real-world corpus
    .venv/bin/python benchmarks/ingest_fidelity.py --no-realworld

The real-world corpus is looked for in $WGLL_REALWORLD_PDFS, else next to the checkout (see
tests/flows/test_realworld.py); it is skipped, saying so, where absent. Prints one line per corpus
and writes every file's figures to benchmarks/results/ingest_fidelity.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pypdfium2 as pdfium

from pipeline.extract import ReadOptions, read_pdfium_words, read_pdfplumber_words
from pipeline.layout import BOLD_FONT, Word, lay_out_pages
from pipeline.models import Document, MissingPage, Page
from pipeline.segment import split_passages
from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

SAMPLES = ROOT / "corpora" / "sample"
REALWORLD = Path(os.environ.get("WGLL_REALWORLD_PDFS", ROOT.parent / "shared" / "corpora" / "realworld-pdfs"))
POSITION_TOLERANCE = 1.0  # points: a word matches one of the same text whose x0 and top are this close
SIZE_TOLERANCE = 0.1  # points


@dataclass
class Fidelity:
    """Counts for one file, or summed over a corpus."""

    files: int = 0
    pages: int = 0  # pages both readers read
    words: int = 0  # pdfplumber's words on those pages
    matched: int = 0  # of them, found by PDFium with the same text at the same place
    same_size: int = 0  # of the matched: font size within SIZE_TOLERANCE
    same_bold: int = 0  # of the matched: both bold or both not
    pdfium_words: int = 0
    headings: int = 0  # pdfplumber's headings (page, level, text)
    same_headings: int = 0  # of them, found by PDFium's reading too
    files_same_headings: int = 0
    heading_texts: int = 0  # the same, without the level (one more heading size shifts every level)
    same_heading_texts: int = 0
    files_same_heading_texts: int = 0
    page_texts: int = 0  # pages both read
    same_page_texts: int = 0  # of them, laid out to the same text
    files_same_page_texts: int = 0
    passages: int = 0  # pdfplumber's passages (heading, text)
    same_passages: int = 0
    files_same_passages: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, other: Fidelity) -> None:
        for name, value in asdict(other).items():
            if name != "notes":
                setattr(self, name, getattr(self, name) + value)

    def summary(self) -> dict[str, object]:
        return {
            "files": self.files,
            "pages": self.pages,
            "words_matched_percent": _percent(self.matched, self.words),
            "size_agrees_percent": _percent(self.same_size, self.matched),
            "bold_agrees_percent": _percent(self.same_bold, self.matched),
            "page_texts_identical_percent": _percent(self.same_page_texts, self.page_texts),
            "files_with_identical_page_texts": self.files_same_page_texts,
            "headings_identical_percent": _percent(self.same_headings, self.headings),
            "files_with_identical_headings": self.files_same_headings,
            "heading_texts_identical_percent": _percent(self.same_heading_texts, self.heading_texts),
            "files_with_identical_heading_texts": self.files_same_heading_texts,
            "passages_identical_percent": _percent(self.same_passages, self.passages),
            "files_with_identical_passages": self.files_same_passages,
        }


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def compare_file(path: Path, password: str | None, settings: Settings) -> Fidelity:
    """Both readers on every page of ``path``; a file one of them cannot open is noted, not compared."""
    result = Fidelity()
    try:
        pdf = pdfium.PdfDocument(path, password=password)
    except pdfium.PdfiumError as exc:
        result.notes.append(f"PDFium cannot open it ({exc})")
        return result
    try:
        numbers = list(range(1, len(pdf) + 1))
        ours = read_pdfium_words(pdf, numbers, ReadOptions.of(settings))
    finally:
        pdf.close()
    theirs = read_pdfplumber_words(path, password, numbers, len(numbers), ReadOptions.of(settings))
    result.notes += ours.notes + theirs.notes
    common = [n for n in numbers if n in ours.words and n in theirs.words]
    if not common:
        return result
    result.files, result.pages = 1, len(common)
    for number in common:
        _compare_words(theirs.words[number].words, ours.words[number].words, result)
    plumber_pages = lay_out_pages([theirs.words[n] for n in common])
    pdfium_pages = lay_out_pages([ours.words[n] for n in common])
    for what, items in (
        ("page_texts", lambda pages: [(p.number, p.text) for p in pages]),
        ("headings", _headings),
        ("heading_texts", lambda pages: [(n, text) for n, _, text in _headings(pages)]),
        ("passages", lambda pages: _passages(path, len(numbers), pages, settings)),
    ):
        _compare(items(plumber_pages), items(pdfium_pages), result, what)
    return result


def _compare_words(plumber: list[Word], ours: list[Word], result: Fidelity) -> None:
    by_text: dict[str, list[Word]] = defaultdict(list)
    for word in ours:
        by_text[word.text].append(word)
    result.words += len(plumber)
    result.pdfium_words += len(ours)
    for word in plumber:
        candidates = by_text.get(word.text, [])
        close = (w for w in candidates if max(abs(w.x0 - word.x0), abs(w.top - word.top)) <= POSITION_TOLERANCE)
        match = next(close, None)
        if match is None:
            continue
        candidates.remove(match)
        result.matched += 1
        result.same_size += abs(match.size - word.size) <= SIZE_TOLERANCE
        result.same_bold += bool(BOLD_FONT.search(match.fontname)) == bool(BOLD_FONT.search(word.fontname))


def _compare(plumber: Sequence[Hashable], ours: Sequence[Hashable], result: Fidelity, what: str) -> None:
    """Items pdfplumber's reading gives that PDFium's gives too (as a multiset)."""
    same = sum((Counter(plumber) & Counter(ours)).values())
    setattr(result, what, getattr(result, what) + len(plumber))
    setattr(result, f"same_{what}", getattr(result, f"same_{what}") + same)
    if plumber == ours:
        setattr(result, f"files_same_{what}", getattr(result, f"files_same_{what}") + 1)


def _headings(pages: list[Page]) -> list[tuple[object, ...]]:
    return [(page.number, heading.level, heading.text) for page in pages for heading in page.headings]


def _passages(path: Path, page_count: int, pages: list[Page], settings: Settings) -> list[tuple[object, ...]]:
    read = {page.number for page in pages}
    document = Document(
        id="0" * 64,
        file=path.name,
        title=path.stem,
        page_count=page_count,
        pages=pages,
        missing_pages=[
            MissingPage(page=n, reason="not read by both") for n in range(1, page_count + 1) if n not in read
        ],
    )
    return [(passage.heading, passage.text) for passage in split_passages(document, settings)]


def corpus_files(folder: Path) -> list[tuple[Path, str | None]]:
    """The corpus's PDFs with their passwords (from MANIFEST.csv where there is one)."""
    manifest = folder / "MANIFEST.csv"
    if not manifest.is_file():
        return [(path, None) for path in sorted(folder.glob("*.pdf"))]
    with manifest.open(newline="", encoding="utf-8") as handle:
        return [(folder / row["filename"], row["password"] or None) for row in csv.DictReader(handle)]


def measure(name: str, files: list[tuple[Path, str | None]], settings: Settings) -> dict[str, object]:
    total = Fidelity()
    per_file: dict[str, object] = {}
    started = time.perf_counter()
    for path, password in files:
        result = compare_file(path, password, settings)
        total.add(result)
        per_file[path.name] = {**result.summary(), "notes": result.notes}
    summary = total.summary()
    print(f"{name}: {summary} ({time.perf_counter() - started:.0f} s)", flush=True)
    return {"summary": summary, "files": per_file}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-realworld", action="store_true", help="compare the samples only")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "ingest_fidelity.json")
    args = parser.parse_args()
    settings = Settings()
    report = {"samples": measure("samples", corpus_files(SAMPLES), settings)}
    if args.no_realworld:
        pass
    elif (REALWORLD / "MANIFEST.csv").is_file():
        report["realworld"] = measure("real-world corpus", corpus_files(REALWORLD), settings)
    else:
        print(f"real-world corpus not found at {REALWORLD} (set WGLL_REALWORLD_PDFS); skipped")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
