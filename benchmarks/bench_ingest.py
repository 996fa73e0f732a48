"""Ingestion pages/s on the same pages, document by document, in rotating order so that a machine
slowing down during the run weighs on every reader alike:

- ``ours``: ``read_document`` as a batch runs it (PDFium's words, layout, the parsing process
  started ahead: by the command line for the first document, after each read for the next);
- ``pdfplumber_words``: pdfplumber's ``extract_words`` with font size and name, what ingestion
  read before PDFium (issue 17: ours at least 8 times faster);
- ``pdfium_words``: our PDFium word reader alone (pipeline/pdfium_words.py), the part that replaced it;
- ``pdfplumber``: raw ``extract_text``, the baseline of the cold end-to-end figure;
- ``pypdfium2``: raw PDFium plain text, the floor.

Run alone: ``.venv/bin/python benchmarks/bench_ingest.py`` (the benchmark corpus, as `make bench`).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium

from pipeline.ingest import prepare_reading, read_document
from pipeline.models import Document
from pipeline.pdfium_words import page_words
from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def read_in_a_batch(path: Path, settings: Settings) -> Document:
    """``read_document``, then the next document's parsing process started, as ``review_item``
    does when more documents come."""
    document = read_document(path, settings)
    prepare_reading()
    return document


def raw_pdfplumber(path: Path) -> int:
    """Plain text of every page, as pdfplumber's own README shows it, closing pages as we go."""
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.close()
        return len(pdf.pages)


def pdfplumber_words(path: Path) -> int:
    """Every page's words with their font size and name, as ingestion asked pdfplumber for them."""
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_words(extra_attrs=["size", "fontname"], keep_blank_chars=False)
            page.close()
        return len(pdf.pages)


def pdfium_words(path: Path) -> int:
    """Every page's words from our PDFium reader."""
    pdf = pdfium.PdfDocument(path)
    try:
        for page in pdf:
            page_words(page)
            page.close()
        return len(pdf)
    finally:
        pdf.close()


def raw_pypdfium2(path: Path) -> int:
    pdf = pdfium.PdfDocument(path)
    try:
        for page in pdf:
            text_page = page.get_textpage()
            text_page.get_text_range()
            text_page.close()
            page.close()
        return len(pdf)
    finally:
        pdf.close()


def _timed(function: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def bench_ingest(paths: list[Path], settings: Settings) -> tuple[dict[str, object], list[Document]]:
    """Seconds per document for each reader, and our Documents for the next stages."""
    seconds: dict[str, list[float]] = {
        name: [] for name in ("ours", "pdfplumber_words", "pdfium_words", "pdfplumber", "pypdfium2")
    }
    documents: list[Document] = []
    pages: list[int] = []
    prepare_reading()  # as the command line does before the first document (later ones find theirs)
    for index, path in enumerate(paths):
        readers: list[tuple[str, Callable[[], object]]] = [
            ("ours", partial(read_in_a_batch, path, settings)),
            ("pdfplumber_words", partial(pdfplumber_words, path)),
            ("pdfium_words", partial(pdfium_words, path)),
            ("pdfplumber", partial(raw_pdfplumber, path)),
            ("pypdfium2", partial(raw_pypdfium2, path)),
        ]
        shift = index % len(readers)
        for name, reader in readers[shift:] + readers[:shift]:
            elapsed, outcome = _timed(reader)
            seconds[name].append(elapsed)
            if isinstance(outcome, Document):
                documents.append(outcome)
                pages.append(outcome.page_count)
    total_pages = sum(pages)
    total = {name: sum(values) for name, values in seconds.items()}
    result: dict[str, object] = {
        "documents": len(paths),
        "pages": total_pages,
        "reader": settings.pdf_reader,
        "per_document": {
            path.name: {"pages": n, **{name: round(values[i], 3) for name, values in seconds.items()}}
            for i, (path, n) in enumerate(zip(paths, pages, strict=True))
        },
        **{f"{name}_seconds": round(value, 2) for name, value in total.items()},
        **{f"{name}_pages_per_second": round(total_pages / value, 1) for name, value in total.items()},
        "ours_over_pdfplumber_words": round(total["ours"] / total["pdfplumber_words"], 3),
        "pdfium_words_over_pdfplumber_words": round(total["pdfium_words"] / total["pdfplumber_words"], 3),
        "ours_over_pdfplumber": round(total["ours"] / total["pdfplumber"], 3),
        "ours_over_pypdfium2": round(total["ours"] / total["pypdfium2"], 1),
    }
    return result, documents


def main() -> None:
    from bench_corpus import ensure_corpus

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT / "benchmarks" / "corpus")
    parser.add_argument("--documents", type=int, default=6)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    result, _ = bench_ingest(ensure_corpus(args.corpus, args.documents, args.seed), Settings())
    print(json.dumps({key: value for key, value in result.items() if key != "per_document"}, indent=2))


if __name__ == "__main__":
    main()
