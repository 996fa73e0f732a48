"""A re-run of a finished batch is answered from the up-to-date record the last full run left in
the output folder, and never when anything the result depends on changed: each test copies one
reviewed batch, lets the full command line (the judge) write the record, checks that the record
answers, changes one thing and checks that it no longer does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from pipeline.criteria_card import criteria_card_path, criteria_model_path
from pipeline.model_card import card_path
from pipeline.settings import Settings
from pipeline.stamps import AUDIT_PAGE, RECORD_FILE, SQLITE_FILE
from pipeline.uptodate_record import current_summary
from tests.conftest import SAMPLE_DIR

SAMPLE, OTHER = "tamsey-valley-trust-2024.pdf", "marlshire-ics-2023.pdf"
WGLL = Path(sys.executable).parent / "wgll"


@dataclass(frozen=True)
class Batch:
    folder: Path  # the sample PDF with a manifest.csv naming it
    out: Path
    tagger: Path  # a copy of the tagger, the criterion model and their cards (WGLL_TAGGER_PATH)


def _review(folder: Path, out: Path, *options: str) -> str:
    result = CliRunner().invoke(app, ["review", str(folder), "--out", str(out), *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _audit(out: Path) -> str:
    result = CliRunner().invoke(app, ["audit", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    root = tmp_path_factory.mktemp("record")
    models = root / "models"
    models.mkdir()
    tagger = Settings().tagger_path
    criteria = criteria_model_path(tagger)
    for path in (tagger, card_path(tagger), criteria, criteria_card_path(criteria)):
        shutil.copy(path, models)
    folder = root / "in"
    folder.mkdir()
    shutil.copy(SAMPLE_DIR / SAMPLE, folder)
    (folder / "manifest.csv").write_text(f"file,ics,organisation_level,year\n{SAMPLE},Tamsey ICS,trust,2024\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WGLL_TAGGER_PATH", str(models / tagger.name))
        _review(folder, root / "out")
        _audit(root / "out")
        yield Batch(folder, root / "out", models / tagger.name)


@pytest.fixture
def batch(reviewed: Batch, tmp_path: Path) -> Batch:
    """A copy of the reviewed batch whose record was just written by the full command line."""
    copy = Batch(shutil.copytree(reviewed.folder, tmp_path / "in"), tmp_path / "out", reviewed.tagger)
    shutil.copytree(reviewed.out, copy.out)
    assert "already reviewed" in _review(copy.folder, copy.out)
    assert "is up to date" in _audit(copy.out)
    assert _answered(copy), "the full run over a current batch leaves a record that answers"
    assert _audit_answered(copy)
    return copy


def _answered(batch: Batch) -> bool:
    return current_summary("review", [str(batch.folder)], str(batch.out)) is not None


def _audit_answered(batch: Batch) -> bool:
    return current_summary("audit", [str(batch.out)], str(batch.out / "audit")) is not None


def _rewrite(path: Path, data: bytes | None = None) -> None:
    path.write_bytes(path.read_bytes() if data is None else data)


def test_the_record_holds_what_the_full_command_printed(batch: Batch) -> None:
    summary = current_summary("review", [str(batch.folder)], str(batch.out))
    assert summary is not None and summary["documents"] == 1
    [(file, outcome, short_id, error)] = summary["rows"]
    assert file == SAMPLE and outcome.startswith("no evidence:") and error is None
    assert summary["packs"] == [next(batch.out.glob("*-pack.html")).name]
    assert current_summary("review", [str(batch.folder / SAMPLE)], str(batch.out)) is None, "other paths, other batch"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda b: _rewrite(b.folder / SAMPLE, (SAMPLE_DIR / OTHER).read_bytes()), id="pdf"),
        pytest.param(lambda b: _rewrite(b.folder / SAMPLE), id="pdf rewritten with the same bytes"),
        pytest.param(
            lambda b: (b.folder / "manifest.csv").write_text(
                f"file,ics,organisation_level,year\n{SAMPLE},Tamsey ICS,trust,2025\n"
            ),
            id="manifest",
        ),
        pytest.param(lambda b: shutil.copy(SAMPLE_DIR / OTHER, b.folder), id="new pdf"),
        pytest.param(lambda b: _rewrite(b.tagger), id="tagger"),
        pytest.param(lambda b: _rewrite(card_path(b.tagger)), id="tagger card"),
        pytest.param(lambda b: _rewrite(criteria_model_path(b.tagger)), id="criterion model"),
        pytest.param(lambda b: next(b.out.glob("*-pack.pdf")).unlink(), id="deleted pack"),
        pytest.param(lambda b: next(b.out.glob("*.json")).unlink(), id="deleted review"),
        pytest.param(lambda b: (b.out / SQLITE_FILE).unlink(), id="deleted store"),
        pytest.param(lambda b: _rewrite(b.out / SQLITE_FILE), id="store written"),
        pytest.param(lambda b: (b.out / "index.html").unlink(), id="deleted index"),
        pytest.param(lambda b: (b.out / "audit" / AUDIT_PAGE).unlink(), id="index stale"),
    ],
)
def test_any_change_sends_the_rerun_to_the_full_check(batch: Batch, change: Callable[[Batch], object]) -> None:
    change(batch)
    assert not _answered(batch)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda b: _rewrite(next(b.out.glob("*.json"))), id="review rewritten"),
        pytest.param(lambda b: (b.out / "other.json").write_text("{}"), id="new json"),
        pytest.param(lambda b: (b.out / "audit" / "audit.csv").unlink(), id="deleted audit file"),
        pytest.param(lambda b: (b.out / "audit" / "audit-inputs.sha256").unlink(), id="deleted audit digest"),
        pytest.param(lambda b: (b.out / "index.html").unlink(), id="deleted index"),
    ],
)
def test_any_change_sends_the_audit_rerun_to_the_full_check(batch: Batch, change: Callable[[Batch], object]) -> None:
    change(batch)
    assert not _audit_answered(batch)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WGLL_MEASURE_EVIDENCED_PASSAGES", "4"),
        ("WGLL_DATABASE_URL", "sqlite:///elsewhere.sqlite"),
        ("wgll_commitment_mention_similarity", "0.6"),
    ],
)
def test_a_changed_setting_sends_the_rerun_to_the_full_check(
    batch: Batch, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    assert not _answered(batch) and not _audit_answered(batch)


def test_a_run_with_a_results_option_leaves_no_record(batch: Batch) -> None:
    _review(batch.folder, batch.out, "--tagger", str(batch.tagger))
    assert not (batch.out / RECORD_FILE).exists()


def _written(path: Path) -> tuple[int, int, int]:
    found = path.stat()
    return found.st_ino, found.st_mtime_ns, found.st_ctime_ns


def _wgll(batch: Batch, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = command or ("review", str(batch.folder), "--out", str(batch.out))
    return subprocess.run(
        [str(WGLL), *command],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200", **env},
        check=False,
    )


def test_the_installed_command_answers_from_the_record_as_the_full_check_does(batch: Batch) -> None:
    """The installed ``wgll`` writes its own record on its first full run (its surroundings are its
    own), answers the next run from it, printing the same, and leaves the record and the index as
    they were; a changed setting goes to the full command line, which writes the record again."""
    full = _wgll(batch)
    record, index = batch.out / RECORD_FILE, batch.out / "index.html"
    before = (_written(record), _written(index))
    answered = _wgll(batch)
    assert (full.returncode, answered.returncode) == (0, 0), full.stderr + answered.stderr
    assert "already reviewed" in full.stdout and answered.stdout == full.stdout
    assert answered.stderr == full.stderr == ""
    assert (_written(record), _written(index)) == before, "answered from the record: nothing written"

    changed = _wgll(batch, WGLL_WRITE_PACKS="false")
    assert changed.returncode == 0 and changed.stdout == full.stdout, changed.stderr
    assert _written(record) != before[0], "the full command line judged, and recorded again"

    audits = [_wgll(batch, "audit", str(batch.out)) for _ in range(2)]
    assert [audit.returncode for audit in audits] == [0, 0], audits[0].stderr + audits[1].stderr
    assert "is up to date" in audits[0].stdout and audits[1].stdout == audits[0].stdout
