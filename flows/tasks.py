"""Thin Prefect tasks over the pipeline; every decision lives in ``pipeline``."""

from __future__ import annotations

import hashlib
import json
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.states import State
from sqlalchemy import Engine

from pipeline.criteria import criterion_labels, fit_criterion_model, save_criterion_model
from pipeline.criteria_card import CriteriaCard
from pipeline.explain import save_labelled_vectors
from pipeline.heap import release_freed_memory
from pipeline.index_page import write_index
from pipeline.labels import read_labelled
from pipeline.manifest import BatchItem
from pipeline.model_card import ModelCard, save_tagger
from pipeline.models import DocumentReview, Versions
from pipeline.outputs import write_review_files
from pipeline.review import ReviewResult, review_item
from pipeline.runtime import load_components, preload
from pipeline.settings import PackPrinter, Settings
from pipeline.store import save_review
from pipeline.taxonomy import Taxonomy
from pipeline.train import data_hash

if TYPE_CHECKING:  # scikit-learn (a second of start-up) is imported by the tasks that need it
    from pipeline.classify import Tagger


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
    versions: Versions = parameters["versions"]
    entry = hashlib.sha256(item.model_dump_json().encode()).hexdigest()[:16]
    return f"review-{item.identity()}-{versions.key}-{entry}-{result_shape()}"


def retry_unless_timed_out(task: Any, task_run: Any, state: State[Any]) -> bool:
    """Retry transient failures, not a time-out: it would time out again, and each attempt would
    cost the whole wait. (A document over its own time limit is not raised but returned, with
    error code ``timeout``: the limit lives in ``review_item``, not in a Prefect task timeout,
    which cannot interrupt a worker thread and warned so on every document.)"""
    try:
        state.result()
    except TimeoutError:
        return False
    except Exception:
        return True
    return True


@task(
    task_run_name="review-{item.path.name}",
    cache_key_fn=review_cache_key,
    persist_result=True,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=retry_unless_timed_out,
)
def run_review(
    item: BatchItem, settings: Settings, versions: Versions, out_dir: Path, more_to_read: bool = False
) -> ReviewResult:
    """Review one document and write its files where it ran: the pack is, after reading and
    embedding, the largest cost of a review, and belongs on the worker, not in the flow's process
    (``out_dir`` is on storage the workers share, docs/scale-out.md). A cached result writes
    nothing; the flow writes what is missing. ``more_to_read``: documents of the batch wait
    (``review_item``)."""
    preload(settings)
    deadline = time.monotonic() + settings.document_timeout_seconds
    result = review_item(item, settings, versions, deadline=deadline, more_to_read=more_to_read)
    taxonomy = load_components(settings).taxonomy
    write_review_files(result.review, taxonomy, out_dir, settings.write_packs, settings.pack_printer)
    release_freed_memory()
    return result


@task(task_run_name="write-{review.document.file}", cache_policy=NO_CACHE)
def run_write(review: DocumentReview, taxonomy: Taxonomy, out_dir: Path, with_pack: bool, printer: PackPrinter) -> bool:
    return write_review_files(review, taxonomy, out_dir, with_pack, printer)


@task(cache_policy=NO_CACHE)
def run_write_index(folder: Path) -> Path:
    return write_index(folder)


@task(cache_policy=NO_CACHE)
def run_fit_tagger(
    labels_path: Path, taxonomy: Taxonomy, settings: Settings, folds: int = 5, previous: ModelCard | None = None
) -> tuple[Tagger, ModelCard]:
    from pipeline.train import fit_tagger

    labelled = read_labelled(labels_path, taxonomy.measure_ids)
    return fit_tagger(labelled, taxonomy, settings, n_splits=folds, previous=previous)


@task(cache_policy=NO_CACHE)
def run_save_tagger(tagger: Tagger, card: ModelCard, output: Path) -> ModelCard:
    return save_tagger(tagger, card, output)


@task(cache_policy=NO_CACHE)
def run_fit_save_criteria(
    labels_path: Path, taxonomy: Taxonomy, settings: Settings, folds: int, output: Path
) -> CriteriaCard:
    """Fit the criterion model on the same labels and the document labels (``criterion_labels``)
    and write it beside the tagger at ``output``."""
    labelled = criterion_labels(read_labelled(labels_path, taxonomy.measure_ids), taxonomy, settings)
    model, card = fit_criterion_model(labelled, taxonomy, settings, data_hash(labelled), n_splits=folds)
    return save_criterion_model(model, card, output)


@task(cache_policy=NO_CACHE)
def run_save_labelled_vectors(labels_path: Path, taxonomy: Taxonomy, settings: Settings, output: Path) -> Path:
    return save_labelled_vectors(read_labelled(labels_path, taxonomy.measure_ids), settings, output)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[2, 5, 15])
def run_save(engine: Engine, run_id: int, result: ReviewResult) -> None:
    save_review(engine, run_id, result.review, result.passages, result.tags, (result.worker.host, result.worker.pid))
