"""The exit status of a real ``wgll review`` batch: 1 when a document ends in an error code, with
every good review still written; paths skipped with --skip-missing are listed, not reviewed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import SAMPLE_DIR

GOOD = ("marlshire-ics-2023.pdf", "tamsey-valley-trust-2024.pdf")


@pytest.mark.slow
def test_one_corrupt_file_among_good_ones_exits_1_after_writing_every_good_review(
    tmp_path: Path, bad_pdfs: dict[str, Path]
) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for name in GOOD:
        shutil.copy(SAMPLE_DIR / name, folder)
    shutil.copy(bad_pdfs["corrupt"], folder / "damaged.pdf")
    missing = tmp_path / "not-yet-published.pdf"

    result = CliRunner().invoke(
        app, ["review", str(folder), str(missing), "--out", str(out), "--skip-missing"], env={"COLUMNS": "400"}
    )

    assert result.exit_code == 1, result.output
    assert f"Skipped 1 path(s) that cannot be reviewed:\n  {missing}: no such file or folder" in result.output
    assert "1 of 3 document(s) could not be reviewed (1 corrupt)" in result.output
    written = [json.loads(path.read_text()) for path in out.glob("*.json")]
    by_file = {review["document"]["file"]: review for review in written if "document" in review}
    assert set(by_file) == {*GOOD, "damaged.pdf"}, "the skipped path is not reviewed"
    assert [error["code"] for error in by_file["damaged.pdf"]["errors"]] == ["corrupt"]
    for name in GOOD:
        assert not by_file[name]["errors"] and len(by_file[name]["measures"]) == 7, name
        assert any(out.glob(f"{by_file[name]['document']['id']}*.html")), f"{name}: no reviewer page"
