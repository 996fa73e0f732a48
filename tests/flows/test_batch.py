"""Batch behaviour users rely on: unchanged documents are not recomputed, results are stored as
they finish, progress is reported per document."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.sorting import FlowRunSort
from typer.testing import CliRunner

from flows.cli import app
from flows.progress import listening
from flows.review import review_batch
from flows.tasks import result_shape
from pipeline.manifest import BatchItem, collect_items
from pipeline.models import DocumentReview
from pipeline.review import ReviewResult
from pipeline.settings import Settings
from pipeline.store import latest_reviews
from pipeline.store_schema import open_store
from tests.conftest import SAMPLE_DIR


def _review_task_states(flow_run_id: object) -> list[str]:
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return sorted(run.state.name for run in runs if run.name.startswith("review-"))


def test_second_run_of_unchanged_documents_recomputes_nothing(tmp_path: Path, bad_pdfs: dict[str, Path]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLE_DIR / "marlshire-ics-2023.pdf", folder)
    shutil.copy(bad_pdfs["corrupt"], folder)
    items = collect_items([folder])
    out = tmp_path / "out"

    first = review_batch(items, out, return_state=True)
    second = review_batch(items, out, return_state=True)

    assert _review_task_states(first.state_details.flow_run_id) == ["Completed", "Completed"]
    assert _review_task_states(second.state_details.flow_run_id) == ["Cached", "Cached"]
    assert [r.model_dump() for r in first.result()] == [r.model_dump() for r in second.result()]
    engine = open_store(None, out)
    assert len(latest_reviews(engine)) == 2

    # The reviewing task wrote the files; a cached review sent to a new folder still gets them all.
    elsewhere = tmp_path / "elsewhere"
    third = review_batch(items, elsewhere, return_state=True)
    assert _review_task_states(third.state_details.flow_run_id) == ["Cached", "Cached"]
    for folder in (out, elsewhere):
        reviewed = next(r for r in first.result() if not r.errors)
        stem = f"marlshire-ics-2023.{reviewed.document.id[:8]}"
        assert {path.name for path in folder.glob(f"{stem}*")} == {
            f"{stem}.json",
            f"{stem}.html",
            f"{stem}-pack.html",
            f"{stem}-pack.pdf",
            f"{stem}-commitments.csv",
        }


def test_progress_is_reported_for_every_document(tmp_path: Path, bad_pdfs: dict[str, Path]) -> None:
    seen: list[tuple[int, int, str]] = []

    def record(done: int, total: int, review: DocumentReview) -> None:
        seen.append((done, total, review.document.file))

    items = [BatchItem(path=bad_pdfs[code]) for code in ("encrypted", "not_pdf", "empty")]
    with listening(record):
        review_batch(items, tmp_path / "out")
    assert [(done, total) for done, total, _ in seen] == [(1, 3), (2, 3), (3, 3)]
    assert sorted(file for _, _, file in seen) == ["empty.pdf", "encrypted.pdf", "minutes.pdf"]


def test_document_over_the_time_limit_is_listed_as_timeout(tmp_path: Path, bad_pdfs: dict[str, Path]) -> None:
    """A long document is stopped at the limit and listed; a quick one in the same batch is not.
    The document must take well over the limit on any machine: 400 full pages take several
    seconds to read and many more to embed, against a limit of one second (80 pages, which
    once took longer than 3 s, came in under it once reading started ahead of the review)."""
    long_lines = [f"Line {n}: our shared care record programme connects partners across the system." for n in range(45)]
    long_pdf = _write_pages(tmp_path / "long.pdf", [long_lines] * 400)
    items = [BatchItem(path=long_pdf), BatchItem(path=bad_pdfs["not_pdf"])]
    slow, quick = review_batch(items, tmp_path / "out", Settings(document_timeout_seconds=1))
    assert [e.code for e in slow.errors] == ["timeout"] and slow.measures == []
    assert "time limit" in slow.errors[0].message
    assert [e.code for e in quick.errors] == ["not_pdf"]


def _write_pages(path: Path, pages: list[list[str]]) -> Path:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), invariant=1)
    for lines in pages:
        for row, line in enumerate(lines):
            pdf.drawString(60, 800 - 16 * row, line)
        pdf.showPage()
    pdf.save()
    return path


def _flow_run_count() -> int:
    with get_client(sync_client=True) as client:
        return int(client.count_flow_runs())


def test_a_rerun_of_a_finished_batch_starts_no_flow_until_something_changes(tmp_path: Path) -> None:
    """`make run` twice: the second review sees in the store and the output folder that every
    document is done and stops at once; a new file, or --force, runs the batch again."""
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    shutil.copy(SAMPLE_DIR / "tamsey-valley-trust-2024.pdf", folder)
    review = ["review", str(folder), "--out", str(out)]

    first = CliRunner().invoke(app, review)
    runs_after_first = _flow_run_count()
    again = CliRunner().invoke(app, review)
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert "already reviewed" in again.output and "tamsey-valley-trust-2024.pdf" in again.output
    assert _flow_run_count() == runs_after_first

    shutil.copy(SAMPLE_DIR / "severn-coast-ics-2022.pdf", folder)
    grown = CliRunner().invoke(app, review)
    assert grown.exit_code == 0 and "already reviewed" not in grown.output, grown.output
    assert _flow_run_count() == runs_after_first + 1
    assert len(latest_reviews(open_store(None, out))) == 2

    (out / next(out.glob("*-pack.pdf")).name).unlink()
    repaired = CliRunner().invoke(app, review)
    assert "already reviewed" not in repaired.output and len(list(out.glob("*-pack.pdf"))) == 2

    forced = CliRunner().invoke(app, [*review, "--force"], catch_exceptions=False)
    assert forced.exit_code == 0 and "already reviewed" not in forced.output
    with get_client(sync_client=True) as client:
        newest = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)[0]
    assert _review_task_states(newest.id) == ["Completed", "Completed"], "--force recomputes"


def test_results_cached_by_a_release_with_other_record_fields_are_not_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pickled result from before a field was added would load without it and break the batch."""
    import flows.tasks

    class Grown(ReviewResult):
        reviewer_note: str = ""

    before = result_shape()
    monkeypatch.setattr(flows.tasks, "ReviewResult", Grown)
    result_shape.cache_clear()
    try:
        assert result_shape() != before
    finally:
        monkeypatch.undo()
        result_shape.cache_clear()
    assert result_shape() == before
