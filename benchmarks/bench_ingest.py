"""Ingestion pages/s: our ``read_document`` against raw pdfplumber ``extract_text`` and raw
pypdfium2 text extraction on the same pages, document by document, in rotating order so that a
machine slowing down during the run weighs on all three alike."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium

from pipeline.ingest import read_document
from pipeline.models import Document
from pipeline.settings import Settings


def raw_pdfplumber(path: Path) -> int:
    """Plain text of every page, as pdfplumber's own README shows it, closing pages as we go."""
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.close()
        return len(pdf.pages)


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
    seconds: dict[str, list[float]] = {"ours": [], "pdfplumber": [], "pypdfium2": []}
    documents: list[Document] = []
    pages: list[int] = []
    for index, path in enumerate(paths):
        readers: list[tuple[str, Callable[[], object]]] = [
            ("ours", lambda: read_document(path, settings)),
            ("pdfplumber", lambda: raw_pdfplumber(path)),
            ("pypdfium2", lambda: raw_pypdfium2(path)),
        ]
        shift = index % len(readers)
        for name, reader in readers[shift:] + readers[:shift]:
            elapsed, result = _timed(reader)
            seconds[name].append(elapsed)
            if isinstance(result, Document):
                documents.append(result)
                pages.append(result.page_count)
    total_pages = sum(pages)
    result = {
        "documents": len(paths),
        "pages": total_pages,
        "per_document": {
            path.name: {"pages": n, **{name: round(values[i], 3) for name, values in seconds.items()}}
            for i, (path, n) in enumerate(zip(paths, pages))
        },
        **{f"{name}_seconds": round(sum(values), 2) for name, values in seconds.items()},
        **{f"{name}_pages_per_second": round(total_pages / sum(values), 1) for name, values in seconds.items()},
        "ours_over_pdfplumber": round(sum(seconds["ours"]) / sum(seconds["pdfplumber"]), 3),
        "ours_over_pypdfium2": round(sum(seconds["ours"]) / sum(seconds["pypdfium2"]), 1),
    }
    return result, documents
