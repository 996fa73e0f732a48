"""Hostile input in one batch: every file gets a clear error naming it, or a review whose text is
escaped; nothing outside the manifest's folder is read and the batch completes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from flows.review import review_batch
from pipeline.manifest import collect_items, path_identity
from pipeline.models import DocumentReview
from pipeline.review_files import review_files
from pipeline.settings import get_settings
from tests.conftest import SAMPLE_DIR, write_blank_pdf
from tests.raw_pdf import stream, write_raw_pdf

SCRIPT = "<script>alert('pwned')</script>"
HOSTILE_SENTENCE = (
    f"Our shared care record {SCRIPT} will connect every GP practice, care home and hospital "
    "across the system by 2025, so that clinicians see one record."
)


def _pdf_with_javascript(path: Path, text: str) -> Path:
    """A one-page PDF whose catalogue asks the viewer to run JavaScript on opening."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return write_raw_pdf(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert\\('opened'\\)) >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 900 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            stream(f"BT /F1 10 Tf 40 800 Td ({escaped}) Tj ET".encode("latin-1")),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ],
    )


def test_hostile_files_get_clear_errors_and_the_batch_completes(tmp_path: Path) -> None:
    folder = tmp_path / "strategies"
    folder.mkdir()
    outside = tmp_path / "private-notes.pdf"
    outside.write_bytes(b"%PDF-1.4 not for the reviewer")
    shutil.copy(SAMPLE_DIR / "marlshire-ics-2023.pdf", folder / "good.pdf")
    (folder / "minutes.pdf").write_text("Board minutes saved from a word processor and renamed.\n")
    (folder / "zero.pdf").write_bytes(b"")
    (folder / "x.pdf").mkdir()
    write_blank_pdf(folder / "blank.pdf")
    _pdf_with_javascript(folder / "scripted.pdf", HOSTILE_SENTENCE)
    rows = ["good.pdf", "../private-notes.pdf", "minutes.pdf", "zero.pdf", "x.pdf", "blank.pdf", "scripted.pdf"]
    manifest = folder / "manifest.csv"
    manifest.write_text("file,ics,organisation_level,year\n" + "".join(f"{row},Test ICS,ICS,2024\n" for row in rows))

    out = tmp_path / "out"
    reviews = review_batch(collect_items([manifest]), out)
    by_file = {review.document.file: review for review in reviews}
    codes = {file: [e.code for e in review.errors] for file, review in by_file.items()}
    assert codes == {
        "good.pdf": [],
        "private-notes.pdf": ["refused"],
        "minutes.pdf": ["not_pdf"],
        "zero.pdf": ["not_pdf"],
        "x.pdf": ["not_pdf"],
        "blank.pdf": ["no_text"],
        "scripted.pdf": [],
    }
    for file, review in by_file.items():
        for error in review.errors:
            assert file in error.message or "private-notes.pdf" in error.message
    refused = by_file["private-notes.pdf"]
    assert "outside the manifest's folder" in refused.errors[0].message
    assert refused.document.id == path_identity(outside.resolve())  # named by path: its bytes were never read

    scripted = by_file["scripted.pdf"]  # its JavaScript is never run; its text is reviewed like any other
    assert scripted.document.extractors == {get_settings().pdf_reader: [1]} and len(scripted.measures) == 7
    for review in reviews:
        files = review_files(review, out)
        for page in (files.page, files.pack_html):
            html = page.read_text(encoding="utf-8")
            assert "<script" not in html, page
        written = json.loads(files.json.read_text())
        assert DocumentReview.model_validate(written) == review
