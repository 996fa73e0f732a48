"""Thin Prefect tasks, one per pipeline stage; every decision lives in ``pipeline``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from pipeline.classify import Tagger, tag_passages
from pipeline.coverage import assess_coverage
from pipeline.embed import Embeddings, embed_passages
from pipeline.ingest import read_document
from pipeline.labels import read_labelled
from pipeline.model_card import ModelCard, load_tagger, save_tagger
from pipeline.models import Document, DocumentReview, MeasureCoverage, Passage, SourceInfo, Tag
from pipeline.report import write_outputs
from pipeline.segment import split_passages
from pipeline.settings import Settings
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.train import fit_tagger


@lru_cache(maxsize=4)
def _load(taxonomy_path: Path, tagger_path: Path, embedding_model: str, settings_json: str) -> tuple[Taxonomy, Any, ModelCard]:
    settings = Settings.model_validate_json(settings_json)
    taxonomy = load_taxonomy(taxonomy_path)
    tagger, card = load_tagger(tagger_path, taxonomy, settings)
    return taxonomy, tagger, card


def load_components(settings: Settings) -> tuple[Taxonomy, Tagger, ModelCard]:
    """Taxonomy, tagger and model card, loaded once per process."""
    return _load(settings.taxonomy_path, settings.tagger_path, settings.embedding_model, settings.model_dump_json())


@task(task_run_name="ingest-{path.name}", cache_policy=NO_CACHE)
def run_ingest(path: Path, settings: Settings, source: SourceInfo | None = None, password: str | None = None) -> Document:
    return read_document(path, settings, source=source, password=password)


@task(cache_policy=NO_CACHE)
def run_segment(document: Document, settings: Settings, listing_names: list[str]) -> list[Passage]:
    return split_passages(document, settings, listing_names=listing_names)


@task(cache_policy=NO_CACHE)
def run_embed(passages: list[Passage], settings: Settings) -> Embeddings:
    return embed_passages(passages, settings)


@task(cache_policy=NO_CACHE)
def run_tag(passages: list[Passage], embeddings: Embeddings, tagger: Tagger) -> list[Tag]:
    return tag_passages(passages, embeddings, tagger)


@task(cache_policy=NO_CACHE)
def run_coverage(
    passages: list[Passage], tags: list[Tag], taxonomy: Taxonomy, card: ModelCard, settings: Settings
) -> list[MeasureCoverage]:
    return assess_coverage(passages, tags, taxonomy, card.thresholds, settings)


@task(cache_policy=NO_CACHE)
def run_write(review: DocumentReview, out_dir: Path) -> tuple[Path, Path]:
    return write_outputs(review, out_dir)


@task(cache_policy=NO_CACHE)
def run_fit_tagger(labels_path: Path, taxonomy: Taxonomy, settings: Settings) -> tuple[Tagger, ModelCard]:
    return fit_tagger(read_labelled(labels_path, taxonomy.measure_ids), taxonomy, settings)


@task(cache_policy=NO_CACHE)
def run_save_tagger(tagger: Tagger, card: ModelCard, output: Path) -> ModelCard:
    return save_tagger(tagger, card, output)
