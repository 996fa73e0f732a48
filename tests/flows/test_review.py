"""End to end: real PDFs, the real model and tagger, real Prefect flow runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.review import review_batch
from pipeline.manifest import BatchItem, collect_items
from pipeline.models import DocumentReview
from pipeline.review_files import review_files
from tests.conftest import SAMPLE_DIR, _write_simple_pdf

HOSTILE = "<script>alert('pwned')</script>"


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, bad_pdfs: dict[str, Path]) -> tuple[Path, list[DocumentReview]]:
    """The sample corpus plus an encrypted, a corrupt and a non-PDF file, in one batch."""
    out = tmp_path_factory.mktemp("out")
    items = collect_items([SAMPLE_DIR]) + [
        BatchItem(path=bad_pdfs[code]) for code in ("encrypted", "corrupt", "not_pdf")
    ]
    return out, review_batch(items, out)


def _by_file(reviews: list[DocumentReview]) -> dict[str, DocumentReview]:
    return {r.document.file: r for r in reviews}


def test_absent_measures_are_flagged_and_covered_ones_are_not(
    batch: tuple[Path, list[DocumentReview]], gold: dict[str, dict[str, list[str]]]
) -> None:
    _, reviews = batch
    by_file = _by_file(reviews)
    for file, truth in gold.items():
        status = {m.id: m.status for m in by_file[file].measures}
        assert {m for m, s in status.items() if s == "no_evidence"} == set(truth["absent"]), file
        assert all(status[m] != "no_evidence" for m in truth["covered"]), file


def test_bad_files_get_their_error_code_and_the_rest_complete(batch: tuple[Path, list[DocumentReview]]) -> None:
    out, reviews = batch
    by_file = _by_file(reviews)
    samples = len(list(SAMPLE_DIR.glob("*.pdf")))
    assert len(reviews) == samples + 3
    for file, code in [("encrypted.pdf", "encrypted"), ("corrupt.pdf", "corrupt"), ("minutes.pdf", "not_pdf")]:
        review = by_file[file]
        assert review.measures == [] and [e.code for e in review.errors] == [code]
        assert file in review.errors[0].message
        written = json.loads(review_files(review, out).json.read_text())
        assert written["errors"][0]["code"] == code and written["measures"] == []
    assert sum(1 for r in reviews if not r.errors) == samples


@pytest.mark.slow
def test_no_sample_strategy_is_out_of_scope(batch: tuple[Path, list[DocumentReview]]) -> None:
    _, reviews = batch
    for review in (r for r in reviews if not r.errors):
        assert [w.code for w in review.document.warnings if w.code == "out_of_scope"] == [], review.document.file


def test_every_score_traces_to_passages_pages_and_model(batch: tuple[Path, list[DocumentReview]]) -> None:
    out, reviews = batch
    for review in (r for r in reviews if not r.errors):
        data = json.loads(review_files(review, out).json.read_text())
        assert data["document"]["pages"] >= 8 and data["document"]["ics"]
        assert data["model"]["tagger_hash"] and data["model"]["embedding_model"]
        assert [m["id"] for m in data["measures"]] == [f"M{n}" for n in range(1, 8)]
        for measure in data["measures"]:
            assert measure["criteria"] and all(c["id"].startswith(measure["id"] + ".") for c in measure["criteria"])
            if measure["status"] != "no_evidence":
                assert measure["evidence"]
            for evidence in measure["evidence"]:
                assert evidence["pages"] and evidence["text"] and evidence["passage_id"].startswith(review.document.id)
        assert review_files(review, out).page.is_file()


def test_html_escapes_text_taken_from_the_pdf(tmp_path: Path) -> None:
    pdf = _write_simple_pdf(
        tmp_path / "hostile.pdf",
        [
            f"Our shared care record {HOSTILE} will connect every GP practice by 2025.",
            "We will migrate our data centre to the cloud and refresh end-user devices.",
            f"Every trust will complete the Data Security and Protection Toolkit {HOSTILE}.",
        ],
    )
    (review,) = review_batch([BatchItem(path=pdf)], tmp_path / "out")
    html = review_files(review, tmp_path / "out").page.read_text()
    quoted = [e.text for m in review.measures for e in m.evidence if HOSTILE in e.text]
    assert quoted, "the hostile passage should be quoted as evidence"
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(" in html


def test_cli_reviews_a_folder_and_reports_each_outcome(tmp_path: Path, bad_pdfs: dict[str, Path]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLE_DIR / "tamsey-valley-trust-2024.pdf", folder)
    shutil.copy(bad_pdfs["not_pdf"], folder / "renamed.pdf")
    result = CliRunner().invoke(app, ["review", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output  # a document ended in an error code
    assert "1 of 2 document(s) could not be reviewed (1 not_pdf)" in result.output
    assert "renamed.pdf" in result.output and "not_pdf" in result.output
    assert "M5" in result.output
    assert len(list((tmp_path / "out").glob("*.json"))) == 2
