"""The cross-ICS coverage audit's files: the matrix (CSV, Parquet), ranked gaps, year-on-year
changes, the heatmap and the HTML page, written from the tables of ``pipeline.audit_tables`` and
drawn by ``pipeline.audit_render``, with a digest of the reviews they came from so that an
unchanged audit is not written again."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from pipeline.audit_render import plot_heatmap, render_audit_html
from pipeline.audit_tables import coverage_table, measure_names, ranked_gaps, year_changes
from pipeline.commitments_audit import write_commitments_audit
from pipeline.models import DocumentReview, Record

INPUTS_FILE = "audit-inputs.sha256"


class AuditFiles(Record):
    """Where ``write_audit`` put each output."""

    csv: Path
    parquet: Path
    gaps_csv: Path
    changes_csv: Path
    heatmap_png: Path
    html: Path
    commitments_csv: Path
    revisited_csv: Path


def write_audit(reviews: Sequence[DocumentReview], out_dir: Path) -> AuditFiles:
    """Write the matrix (CSV, Parquet), ranked gaps, year-on-year changes, heatmap and HTML page."""
    if not reviews:
        raise ValueError("no reviews to audit: run `wgll review` into the folder first")
    out_dir.mkdir(parents=True, exist_ok=True)
    files = audit_files(out_dir)
    (out_dir / INPUTS_FILE).unlink(missing_ok=True)
    table = coverage_table(reviews)
    gaps = ranked_gaps(table)
    changes = year_changes(table)
    names = measure_names(reviews)
    table.to_csv(files.csv, index=False)
    table.to_parquet(files.parquet, index=False)
    gaps.to_csv(files.gaps_csv, index=False)
    changes.to_csv(files.changes_csv, index=False)
    plot_heatmap(table, names, files.heatmap_png)
    section = write_commitments_audit(reviews, files.commitments_csv, files.revisited_csv, names)
    page = render_audit_html(table, gaps, changes, names, files.heatmap_png.read_bytes(), section)
    files.html.write_text(page, encoding="utf-8")
    (out_dir / INPUTS_FILE).write_text(inputs_digest(reviews), encoding="utf-8")  # last: marks the audit complete
    return files


def audit_files(out_dir: Path) -> AuditFiles:
    return AuditFiles(
        csv=out_dir / "audit.csv",
        parquet=out_dir / "audit.parquet",
        gaps_csv=out_dir / "audit-gaps.csv",
        changes_csv=out_dir / "audit-changes.csv",
        heatmap_png=out_dir / "audit-heatmap.png",
        html=out_dir / "audit.html",
        commitments_csv=out_dir / "audit-commitments.csv",
        revisited_csv=out_dir / "audit-commitments-revisited.csv",
    )


def audit_dependencies(reviews_dir: Path, out_dir: Path) -> list[Path]:
    """The files a current audit in ``out_dir`` vouches for: every JSON file in ``reviews_dir``,
    every file of the audit and the digest of its inputs."""
    return [*sorted(reviews_dir.glob("*.json")), *audit_files(out_dir).model_dump().values(), out_dir / INPUTS_FILE]


def inputs_digest(reviews: Sequence[DocumentReview]) -> str:
    """One hash of every review audited, whatever order they were read in."""
    digest = hashlib.sha256()
    for review in sorted(reviews, key=lambda r: (r.document.id, r.document.file)):
        digest.update(review.model_dump_json().encode())
    return digest.hexdigest()


def current_audit(reviews: Sequence[DocumentReview], out_dir: Path) -> AuditFiles | None:
    """The audit files in ``out_dir`` when they were written, completely, from exactly these
    reviews; None when the audit must be written again."""
    files = audit_files(out_dir)
    marker = out_dir / INPUTS_FILE
    complete = marker.is_file() and all(Path(path).is_file() for path in files.model_dump().values())
    return files if complete and marker.read_text(encoding="utf-8") == inputs_digest(reviews) else None
