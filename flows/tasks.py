"""Thin Prefect tasks over the pipeline; every decision lives in ``pipeline``."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Engine

from pipeline.classify import Tagger
from pipeline.labels import read_labelled
from pipeline.manifest import BatchItem
from pipeline.model_card import ModelCard, save_tagger
from pipeline.models import DocumentReview, versions_key
from pipeline.pack import write_pack
from pipeline.report import write_outputs
from pipeline.review import ReviewResult, load_card, load_components, model_summary, review_item
from pipeline.settings import Settings
from pipeline.store import save_review
from pipeline.taxonomy import Taxonomy
from pipeline.train import fit_tagger


@cache
def result_shape() -> str:
    """A hash of the result records' fields: a cached result pickled by a release whose records had
    other fields would load without the new ones, so a change of shape is a cache miss."""
    schema = json.dumps(ReviewResult.model_json_schema(), sort_keys=True)
    return hashlib.sha256(schema.encode()).hexdigest()[:8]


def review_cache_key(context: Any, parameters: dict[str, Any]) -> str:
    """Same bytes, same manifest entry, same versions and verdict-shaping settings, same shape of
    result records: same review."""
    item: BatchItem = parameters["item"]
    settings: Settings = parameters["settings"]
    model = model_summary(load_card(settings), settings)
    entry = hashlib.sha256(item.model_dump_json().encode()).hexdigest()[:16]
    return f"review-{item.identity()}-{versions_key(model)}-{entry}-{result_shape()}"


@task(
    task_run_name="review-{item.path.name}",
    cache_key_fn=review_cache_key,
    persist_result=True,
    retries=2,
    retry_delay_seconds=[2, 10],
)
def run_review(item: BatchItem, settings: Settings) -> ReviewResult:
    return review_item(item, load_components(settings), settings)


@task(task_run_name="write-{review.document.file}", cache_policy=NO_CACHE)
def run_write(review: DocumentReview, out_dir: Path) -> tuple[Path, Path]:
    return write_outputs(review, out_dir)


@task(task_run_name="pack-{review.document.file}", cache_policy=NO_CACHE)
def run_pack(review: DocumentReview, taxonomy: Taxonomy, out_dir: Path) -> tuple[Path, Path]:
    return write_pack(review, taxonomy, out_dir)


@task(cache_policy=NO_CACHE)
def run_fit_tagger(
    labels_path: Path, taxonomy: Taxonomy, settings: Settings, folds: int = 5, previous: ModelCard | None = None
) -> tuple[Tagger, ModelCard]:
    labelled = read_labelled(labels_path, taxonomy.measure_ids)
    return fit_tagger(labelled, taxonomy, settings, n_splits=folds, previous=previous)


@task(cache_policy=NO_CACHE)
def run_save_tagger(tagger: Tagger, card: ModelCard, output: Path) -> ModelCard:
    return save_tagger(tagger, card, output)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[2, 5, 15])
def run_save(engine: Engine, run_id: int, result: ReviewResult) -> None:
    save_review(engine, run_id, result.review, result.passages, result.tags, (result.worker.host, result.worker.pid))
