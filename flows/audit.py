"""The audit_coverage flow: read a folder of reviews, write the cross-ICS audit, publish a summary."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from flows.tasks import run_write_index
from pipeline.audit import AuditFiles, write_audit
from pipeline.audit_render import audit_markdown
from pipeline.models import DocumentReview
from pipeline.review_files import read_reviews


@task(task_run_name="read-reviews-{folder.name}", cache_policy=NO_CACHE)
def run_read_reviews(folder: Path) -> list[DocumentReview]:
    return read_reviews(folder)


@task(cache_policy=NO_CACHE)
def run_write_audit(reviews: list[DocumentReview], out_dir: Path) -> AuditFiles:
    return write_audit(reviews, out_dir)


@flow(name="audit-coverage", flow_run_name="audit-{reviews_dir.name}")
def audit_coverage(reviews_dir: Path, out_dir: Path) -> AuditFiles:
    """reviews -> coverage matrix, ranked gaps, year-on-year changes, heatmap and HTML page; then
    the reviews folder's index, which links the audit. The tasks go through the flow's task runner
    (threads, or Dask workers sharing the folders)."""
    reviews = run_read_reviews.submit(reviews_dir).result()
    # quote(): not walked for futures, unwrapped by Prefect before the task runs (flows/review.py)
    files = run_write_audit.submit(quote(reviews), out_dir).result()  # type: ignore[call-overload]
    create_markdown_artifact(
        key="coverage-audit",
        markdown=audit_markdown(reviews, files.html, (files.csv, files.parquet)),
        description=f"Coverage audit of {reviews_dir}",
    )
    run_write_index(reviews_dir)
    return files
