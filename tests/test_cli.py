"""The command line as a Unix tool, through the real ``wgll`` command: unusable inputs are usage
errors (status 2) naming each path before any flow starts, and ``--version`` answers from the model
card alone. The batch that exits 1 runs a flow and lives in tests/flows/test_cli_exit.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from flows.cli import app
from pipeline.model_card import card_path
from pipeline.settings import Settings
from tests.conftest import SAMPLE_DIR

WGLL = Path(sys.executable).parent / "wgll"
WIDE = {"COLUMNS": "400"}  # so that no path is folded inside the error panel


def _wgll(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed command in a process of its own, as a shell or a scheduler runs it."""
    return subprocess.run(
        [str(WGLL), *args], env={**os.environ, **WIDE, **env}, capture_output=True, text=True, timeout=120
    )


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=WIDE)


def _manifest(folder: Path, rows: list[str], header: str = "file,ics,organisation_level,year") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "manifest.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_a_path_that_does_not_exist_stops_review_before_any_flow(tmp_path: Path) -> None:
    missing, out, prefect_home = tmp_path / "nonexistent.pdf", tmp_path / "out", tmp_path / "prefect"
    prefect_home.mkdir()
    result = _wgll("review", str(missing), "--out", str(out), PREFECT_HOME=str(prefect_home))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{missing}: no such file or folder" in result.stderr
    assert not out.exists(), "nothing is written for a usage error"
    assert list(prefect_home.iterdir()) == [], "no Prefect server or flow was started"


def test_a_folder_without_a_pdf_is_a_usage_error(tmp_path: Path) -> None:
    empty = tmp_path / "strategies"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a strategy")
    result = _invoke("review", str(empty), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert f"{empty}: folder holds no PDF" in result.output


def test_a_gold_folder_without_any_gold_is_a_usage_error(tmp_path: Path) -> None:
    shutil.copy(SAMPLE_DIR / "tamsey-valley-trust-2024.pdf", tmp_path)
    result = _invoke("evaluate", "--gold-dir", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert f"{tmp_path} holds no PDF with a <name>.gold.json beside it" in result.output


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("file,ics\nplan.pdf,A\n", "manifest lacks the column(s) organisation_level, year"),
        (b"\xff\xfe\x00file,ics", "cannot be read ('utf-8' codec can't decode"),
        ("file,ics,organisation_level,year\n", "manifest lists no documents"),
    ],
    ids=["columns missing", "not utf-8", "no rows"],
)
def test_an_unreadable_manifest_is_a_usage_error(tmp_path: Path, content: str | bytes, reason: str) -> None:
    manifest = tmp_path / "batch.csv"
    manifest.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = _invoke("review", str(manifest), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert f"{manifest}: {reason}" in result.output


def test_every_unusable_path_is_named_and_skip_missing_needs_something_left(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path / "batch", ["gone.pdf,Test ICS,ICS,2024"])
    nowhere = tmp_path / "nowhere"
    for extra in ([], ["--skip-missing"]):
        result = _invoke("review", str(manifest), str(nowhere), "--out", str(tmp_path / "out"), *extra)
        assert result.exit_code == 2, result.output
        assert "2 path(s) cannot be reviewed" in result.output
        assert f"{tmp_path / 'batch' / 'gone.pdf'}: listed in {manifest} but not found" in result.output
        assert f"{nowhere}: no such file or folder" in result.output
    assert not (tmp_path / "out").exists()


def test_a_tagger_built_for_another_model_is_a_usage_error(tmp_path: Path) -> None:
    result = _invoke(
        "review",
        str(SAMPLE_DIR / "marlshire-ics-2023.pdf"),
        "--out",
        str(tmp_path / "out"),
        "--embedding-model",
        "sentence-transformers/another-model",
    )
    assert result.exit_code == 2, result.output
    assert "built on embedding model" in result.output and "--tagger" in result.output
    assert not (tmp_path / "out").exists()


def test_the_other_commands_report_missing_inputs_as_usage_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "other.json").write_text(json.dumps({"not": "a review"}))
    cases = {
        ("audit", str(missing)): str(missing),
        ("audit", str(empty)): f"{empty}: no review written by `wgll review` here",
        ("pack", "abc123", "--out", str(missing)): str(missing),
        ("train", "--labels", str(missing / "passages.jsonl")): "passages.jsonl",
        ("evaluate", "--passages", str(missing / "held-out.jsonl")): "held-out.jsonl",
        ("export-review", "1", "--out", str(tmp_path / "queue.csv"), "--reviews", str(missing)): str(missing),
        ("import-review", str(missing / "filled.csv"), "--reviews", str(empty)): "filled.csv",
    }
    for args, named in cases.items():
        result = _invoke(*args)
        assert result.exit_code == 2, f"{args}: {result.output}"
        assert named in result.output, f"{args}: {result.output}"

    configured = CliRunner().invoke(app, ["train"], env={**WIDE, "WGLL_LABELS_PATH": str(missing / "labels.jsonl")})
    assert configured.exit_code == 2 and f"{missing / 'labels.jsonl'}: no such file" in configured.output, (
        configured.output
    )


def test_version_names_what_a_review_depends_on_without_loading_models() -> None:
    settings = Settings()
    card = json.loads(card_path(settings.tagger_path).read_text())
    probe = (
        "import sys\nfrom flows.cli import app\n"
        "try:\n    app(['--version'])\nexcept SystemExit as done:\n"
        "    heavy = [m for m in ('torch', 'sklearn', 'prefect', 'sentence_transformers') if m in sys.modules]\n"
        "    print('heavy modules:', heavy, 'status:', done.code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env={**os.environ, **WIDE}
    )
    assert "heavy modules: [] status: 0" in result.stdout, result.stdout + result.stderr
    from pipeline import __version__

    lines = dict(line.split(None, 1) for line in result.stdout.splitlines() if line.strip())
    assert lines["wgll-review"] == __version__
    assert lines["taxonomy_version"] == card["taxonomy_version"]
    assert lines["tagger_hash"] == card["tagger_hash"]
    assert lines["embedding_model"] == card["embedding_model"] == settings.embedding_model

    command = _wgll("--version")
    assert command.returncode == 0 and command.stdout.splitlines()[0] == f"wgll-review {__version__}", command.stderr


def test_version_says_when_no_review_can_be_made() -> None:
    result = _wgll("--version", WGLL_EMBEDDING_MODEL="sentence-transformers/another-model")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "built on embedding model" in result.stderr
