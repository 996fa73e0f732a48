"""``wgll evaluate --cv`` puts the first written set and the real-register set side by side, by
writing style, with recall by measures per passage and calibration; a real flow reviews the gold
strategy for the gap check."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from pipeline.evaluate import NEW_SET, OLD_SET
from pipeline.settings import Settings
from tests.conftest import SAMPLE_DIR


@pytest.mark.slow
def test_evaluate_cv_reports_old_and_new_sets_by_writer(tmp_path: Path) -> None:
    lines = Settings().labels_path.read_text().splitlines()
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(lines[::9]) + "\n")
    written = [json.loads(line) for line in lines[::9]]
    gold = tmp_path / "gold"
    gold.mkdir()
    for name in ("tamsey-valley-trust-2024.pdf", "tamsey-valley-trust-2024.gold.json"):
        shutil.copy(SAMPLE_DIR / name, gold / name)

    result = CliRunner().invoke(app, ["evaluate", "--cv", "--labels", str(labels), "--gold-dir", str(gold), "--json"])

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    trained = printed["cv"]["trained"]
    assert trained["n"] == len(written)
    assert trained["by_set"][OLD_SET]["n"] == sum(1 for w in written if "writer" not in w)
    assert trained["by_set"][NEW_SET]["n"] == sum(1 for w in written if "writer" in w)
    assert set(trained["by_writer"]) == {w["writer"] for w in written if "writer" in w}
    by_count = {k: v["passages"] for k, v in trained["recall_by_count"].items()}
    assert by_count["1"] == sum(1 for w in written if len(w["measures"]) == 1)
    assert by_count["2"] == sum(1 for w in written if len(w["measures"]) == 2)
    assert trained["negatives"] == sum(1 for w in written if not w["measures"])
    assert 0.0 <= trained["calibration"]["ece"] <= 1.0
    assert sum(b["n"] for b in trained["calibration"]["reliability"]) == 7 * len(written)
    assert set(printed["cv"]) >= {"tfidf-logreg", "zero-shot", "trained"} and printed["gaps"]["documents"] == 1
    criterion_models = printed["criteria_cv"]
    compared = ["one-vs-rest", "pairwise, whole passages only", "pairwise", "pairwise, thresholds for F1"]
    assert list(criterion_models)[1:] == compared
    assert all("per_source_document" in criterion_models[name] for name in compared)
    shipped, for_f1 = (criterion_models[name]["passages"] for name in compared[2:])
    assert shipped["macro_precision"] >= for_f1["macro_precision"]  # same probabilities, higher cuts
