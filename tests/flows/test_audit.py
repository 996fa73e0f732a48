"""The audit_coverage flow, run for real over a folder written by ``write_outputs``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from prefect.artifacts import Artifact

from flows.audit import audit_coverage
from pipeline.outputs import write_outputs
from tests.test_audit import sample_reviews


def test_audit_flow_writes_the_audit_and_publishes_a_summary(tmp_path: Path) -> None:
    reviews_dir, out_dir = tmp_path / "reviews", tmp_path / "audit"
    for review in sample_reviews():
        write_outputs(review, reviews_dir)
    (reviews_dir / "tagger.json").write_text(json.dumps({"tagger": "MeasureTagger", "thresholds": {}}))

    files = audit_coverage(reviews_dir, out_dir)

    assert files.html == out_dir / "audit.html" and all(
        path.is_file() and path.stat().st_size > 0 for path in files.model_dump().values()
    )
    table = pd.read_parquet(files.parquet)
    assert len(table) == 6 and (table["error"] == "encrypted").sum() == 1
    assert pd.read_csv(files.gaps_csv)["name"].iloc[0] == "M7"
    artifact = Artifact.get("coverage-audit")
    assert artifact is not None and artifact.type == "markdown"
    markdown = str(artifact.data)
    assert "6 documents (1 unreadable) from 4 ICSs" in markdown
    assert "| 1 | M7 Healthy populations | 3 of 3 |" in markdown and "<script" not in markdown
    assert str(files.html) in markdown
