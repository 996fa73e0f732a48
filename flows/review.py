"""The review flows: one document, or a batch in which a failing document never stops the rest."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from flows.tasks import (
    load_components,
    run_coverage,
    run_embed,
    run_ingest,
    run_segment,
    run_tag,
    run_write,
)
from pipeline.errors import ReviewError
from pipeline.manifest import BatchItem
from pipeline.models import DocumentReview
from pipeline.report import build_review, failed_review, outcome
from pipeline.settings import Settings, get_settings


@flow(name="review-document", flow_run_name="review-{item.path.name}")
def review_document(item: BatchItem, out_dir: Path, settings: Settings | None = None) -> DocumentReview:
    """ingest -> segment -> embed -> tag -> coverage -> report, for one PDF."""
    settings = settings or get_settings()
    taxonomy, tagger, card = load_components(settings)
    try:
        document = run_ingest(item.path, settings, source=item.source, password=item.password)
    except ReviewError as error:
        get_run_logger().warning("%s", error)
        review = failed_review(item.path, error, card.summary(), item.source)
    else:
        passages = run_segment(document, settings, [m.name for m in taxonomy.measures])
        embeddings = run_embed(passages, settings)
        tags = run_tag(passages, embeddings, tagger)
        measures = run_coverage(passages, tags, taxonomy, card, settings)
        review = build_review(document, measures, card.summary())
    run_write(review, out_dir)
    return review


@flow(name="review-batch")
def review_batch(items: list[BatchItem], out_dir: Path, settings: Settings | None = None) -> list[DocumentReview]:
    """Review every item; unreadable documents get an error record and the batch goes on."""
    settings = settings or get_settings()
    logger = get_run_logger()
    reviews = []
    for number, item in enumerate(items, start=1):
        review = review_document(item, out_dir, settings)
        reviews.append(review)
        logger.info("%d/%d %s: %s", number, len(items), item.path.name, outcome(review))
    create_table_artifact(
        key="review-batch",
        table=[
            {"file": r.document.file, "outcome": outcome(r), "document id": r.document.id[:12]}
            for r in reviews
        ],
        description=f"{len(reviews)} documents reviewed into {out_dir}",
    )
    return reviews

