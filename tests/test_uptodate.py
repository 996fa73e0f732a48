"""Is a batch already done? A stored review counts as current for an item when the manifest gives
the same facts it was made with; facts the review read from the strategy's text came from no
manifest, so a PDF named without one stays current."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.manifest import BatchItem
from pipeline.models import DocumentReview, SourceInfo
from pipeline.outputs import write_review_files
from pipeline.settings import Settings, get_settings
from pipeline.store import save_review, start_run
from pipeline.store_schema import open_store
from pipeline.taxonomy import load_taxonomy
from pipeline.uptodate import split_current
from pipeline.versions import current_versions
from tests.test_store import MODEL, reviewed

SETTINGS = Settings(write_packs=False)
MANIFEST = SourceInfo(ics="Anyshire ICS", organisation_level="ics", year=2024)


def _stored(tmp_path: Path, source: str) -> tuple[Path, Path]:
    """The review of ``north.pdf`` in a store and an output folder, its ICS, level and year read
    from ``source`` (``manifest`` or ``text``); returns the PDF and the folder."""
    review = reviewed("north")[0]
    sources = {"ics_source": source, "level_source": source, "year_source": source}
    review = review.model_copy(update={"document": review.document.model_copy(update=sources)})
    pdf, out = tmp_path / "north.pdf", tmp_path / "out"
    pdf.write_bytes(b"north")  # the bytes reviewed("north") names its document id after
    engine = open_store(None, out)
    save_review(engine, start_run(engine, MODEL, out), review, [], [])
    engine.dispose()
    write_review_files(review, load_taxonomy(SETTINGS.taxonomy_path), out, with_pack=False, printer="auto")
    return pdf, out


def _done(item: BatchItem, out: Path) -> list[DocumentReview]:
    return split_current([item], out, SETTINGS, MODEL)[0]


def test_facts_read_from_the_text_need_no_manifest(tmp_path: Path) -> None:
    pdf, out = _stored(tmp_path, "text")
    assert [r.document.file for r in _done(BatchItem(path=pdf), out)] == ["north.pdf"]
    assert _done(BatchItem(path=pdf, source=MANIFEST), out) == [], "a manifest now gives them: review again"


@pytest.mark.parametrize(
    ("source", "current"),
    [(MANIFEST, True), (MANIFEST.model_copy(update={"year": 2025}), False), (SourceInfo(), False)],
)
def test_facts_from_the_manifest_must_still_be_given(tmp_path: Path, source: SourceInfo, current: bool) -> None:
    pdf, out = _stored(tmp_path, "manifest")
    assert bool(_done(BatchItem(path=pdf, source=source), out)) is current


def test_a_review_under_other_versions_is_not_current(tmp_path: Path) -> None:
    pdf, out = _stored(tmp_path, "text")
    retrained = MODEL.model_copy(update={"tagger_hash": "03be77d2c9"})
    assert split_current([BatchItem(path=pdf)], out, SETTINGS, retrained) == ([], [BatchItem(path=pdf)])


def test_how_runs_are_run_and_recorded_leaves_reviews_current() -> None:
    """Switching the Prefect server, the task runner or the printer of packs re-reviews nothing;
    a setting that shapes verdicts does."""
    settings = get_settings()
    base = current_versions(settings).key
    for change in (
        {"prefect_server": "ephemeral", "prefect_server_start_seconds": 5.0},
        {"task_runner": "dask", "workers": 4},
        {"pack_printer": "weasyprint"},
    ):
        assert current_versions(settings.model_copy(update=change)).key == base, change
    assert current_versions(settings.model_copy(update={"measure_evidenced_passages": 4})).key != base


def test_reviews_made_by_other_code_are_not_current(tmp_path: Path) -> None:
    """An upgrade that changes a rule of the library changes its digest, though the package's
    version, the models and the settings stay the same; a note beside the code does not."""
    from pipeline import versions

    library = Path(versions.__file__).parent
    copy = tmp_path / "pipeline"
    shutil.copytree(library, copy, ignore=shutil.ignore_patterns("__pycache__", "artifacts"))
    before = versions.code_digest(copy)
    (copy / "README-notes.md").write_text("notes only")
    assert versions.code_digest.__wrapped__(copy) == before
    rule = copy / "non_evidence.py"
    rule.write_text(rule.read_text() + "\n# a rule changed\n")
    assert versions.code_digest.__wrapped__(copy) != before
    assert versions.code_digest() == versions.code_digest.__wrapped__(library)


def test_the_library_source_is_in_the_versions_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline import versions

    settings = get_settings()
    base = current_versions(settings).key
    monkeypatch.setattr(versions, "code_digest", lambda: "another-release")
    assert current_versions(settings).key != base
