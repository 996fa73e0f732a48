"""``wgll evaluate --gold-dir``: the shipped models review strategies that have a gold, through a
real review flow, and their gap flags and criterion verdicts are scored against it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import SAMPLE_DIR

SAMPLE = "tamsey-valley-trust-2024"


@pytest.mark.slow
def test_gold_strategies_are_reviewed_and_scored_without_cross_validation(tmp_path: Path) -> None:
    for suffix in (".pdf", ".gold.json"):
        shutil.copy(SAMPLE_DIR / f"{SAMPLE}{suffix}", tmp_path / f"{SAMPLE}{suffix}")
    shutil.copy(SAMPLE_DIR / "wyvern-vale-ics-2021.pdf", tmp_path)  # no gold: not reviewed
    gold = json.loads((tmp_path / f"{SAMPLE}.gold.json").read_text())

    result = CliRunner().invoke(app, ["evaluate", "--gold-dir", str(tmp_path), "--json"])

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert "cv" not in printed and printed["gaps"]["documents"] == 1
    assert printed["gaps"]["per_measure"]["M5"]["absent"] == len(gold["absent"]) == 1
    documents = printed["criteria_documents"]
    assert documents["documents"] == 1 and documents["pairs"] == 69
    assert 0.0 < documents["detection_f1"] <= 1.0
