"""One document through every stage, as plain functions: the unit of work a review task runs."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from pydantic import BaseModel, Field

from pipeline.classify import tag_passages
from pipeline.commitments import find_commitments
from pipeline.coverage import assess_coverage, withhold_silence
from pipeline.criteria import credit_criteria, flag_cuts
from pipeline.document_facts import criteria_level, document_facts
from pipeline.embed import embed_passages
from pipeline.errors import NoTextLayer, Refused, ReviewError, ReviewTimeout
from pipeline.explain import explain_coverage
from pipeline.ingest import prepare_reading, read_document
from pipeline.manifest import BatchItem
from pipeline.models import DocumentReview, Passage, Tag, Versions
from pipeline.non_evidence import non_evidence
from pipeline.report import build_review, failed_review
from pipeline.runtime import load_components
from pipeline.scope import scope_warnings
from pipeline.segment import split_passages
from pipeline.settings import Settings


class Worker(BaseModel):
    """The process that produced a result: with Dask workers, which machine and process it was."""

    host: str
    pid: int

    @classmethod
    def this_process(cls) -> Worker:
        return cls(host=socket.gethostname(), pid=os.getpid())


class ReviewResult(BaseModel):
    """A review with the passages and tags behind it, so the store can trace every score, and the
    worker that produced it."""

    review: DocumentReview
    passages: list[Passage] = []
    tags: list[Tag] = []
    worker: Worker = Field(default_factory=Worker.this_process)


def review_item(
    item: BatchItem,
    settings: Settings,
    versions: Versions,
    deadline: float | None = None,
    more_to_read: bool = False,
) -> ReviewResult:
    """ingest -> segment -> embed -> tag -> coverage for one file, recorded as made under
    ``versions`` (the batch's); unreadable files become a review with an error entry instead of an
    exception. The per-document time limit ends at
    ``deadline`` (a ``time.monotonic()`` value; default: the limit from now): the parsing process
    is killed there, and a review still going then, checked after each later stage, ends in
    ``timeout``. The tagger is loaded (once per process) only after the PDF is read, so that
    ``preload`` can load it meanwhile. ``more_to_read``: another document of the batch comes
    after this one, whose parsing process is started once this PDF is read."""
    if deadline is None:
        deadline = time.monotonic() + settings.document_timeout_seconds
    try:
        if item.refusal:
            raise Refused(item.path, item.refusal)
        document = read_document(item.path, settings, source=item.source, password=item.password, deadline=deadline)
        if more_to_read:
            prepare_reading()
        components = load_components(settings)
        passages = split_passages(document, settings, listing_names=[m.name for m in components.taxonomy.measures])
        if not passages:
            raise NoTextLayer(
                item.path,
                f"too little text to review: no passage of {settings.passage_min_words} words or more "
                f"in {document.page_count} page{'s' if document.page_count != 1 else ''}",
            )
        embeddings = embed_passages(passages, settings)
        within_limit(item.path, deadline, "embedding")
        tags = tag_passages(passages, embeddings, components.tagger)
        tags = credit_criteria(passages, tags, components.criteria, components.card.thresholds)
        facts = document_facts(document)
        set_aside = non_evidence(passages)
        measures = assess_coverage(
            passages,
            tags,
            components.taxonomy,
            components.card.thresholds,
            settings,
            level=criteria_level(facts.organisation_level),
            excluded=set_aside,
            flag_cuts=flag_cuts(components.criteria, components.criteria_card.flag_ratio),
        )
        measures = explain_coverage(
            measures, embeddings, components.labelled, components.taxonomy, settings.why_neighbours
        )
        within_limit(item.path, deadline, "tagging")
    except ReviewError as error:
        return failed_result(item, error, versions)
    measures = withhold_silence(measures, document, settings)
    scope = scope_warnings(document, passages, tags, components.card.thresholds, settings)
    review = build_review(
        document, measures, versions, settings, warnings=scope, facts=facts, set_aside=set_aside, passages=passages
    )
    commitments = find_commitments(document, passages, tags, components.card.thresholds)
    return ReviewResult(review=review.model_copy(update={"commitments": commitments}), passages=passages, tags=tags)


def within_limit(path: Path, deadline: float, stage: str) -> None:
    """Raise ReviewTimeout once ``deadline`` has passed: the stages after reading run in this
    process and cannot be interrupted, so the limit is checked between them."""
    if time.monotonic() > deadline:
        raise ReviewTimeout(path, f"the review took longer than the per-document time limit (over it after {stage})")


def failed_result(item: BatchItem, error: ReviewError, versions: Versions) -> ReviewResult:
    """The result for a file that could not be reviewed (unreadable, refused, over a limit, crashed)."""
    return ReviewResult(review=failed_review(item.identity(), item.path, error, versions, item.source))
