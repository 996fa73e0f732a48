"""What a review's results depend on, read without loading the tagger: the model cards (the measure
tagger's and the criterion model's), the embedding runtime, the labelled passages' hash and a digest
of the settings that shape results (the criterion model's file hash and the library's source among
them). The command line checks these against finished reviews before deciding there is anything to
do, so this module stays cheap to import (no scikit-learn, no PyTorch): a re-run with nothing to do
takes a second or two."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from threading import Lock

from pipeline import __version__
from pipeline.criteria_card import CriteriaCard, criteria_model_path, read_criteria_card
from pipeline.encoder import embedding_runtime
from pipeline.labels import labels_digest
from pipeline.model_card import ModelCard, read_card
from pipeline.models import CriteriaModelVersions, Versions
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy

_reading_card = Lock()
_CODE = Path(__file__).resolve().parent


@lru_cache(maxsize=2)
def code_digest(root: Path = _CODE) -> str:
    """A hash of the library's source and templates under ``root``: a review made by older code (a
    rule added to ``non_evidence``, a changed threshold rule) is not the current result, though
    ``__version__`` and every model and setting are unchanged."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and (path.suffix == ".py" or "templates" in path.parts) and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def load_card(settings: Settings) -> ModelCard:
    """The configured tagger's model card (versions and thresholds) without loading the tagger."""
    with _reading_card:
        return _card(settings.taxonomy_path, settings.tagger_path, settings.model_dump_json())


def load_criteria_card(settings: Settings) -> CriteriaCard:
    """The card of the criterion model beside the configured tagger (its thresholds, flag cut
    and file hash), read without loading the model."""
    with _reading_card:
        return _criteria_card(settings.taxonomy_path, settings.tagger_path, settings.model_dump_json())


@lru_cache(maxsize=4)
def _criteria_card(taxonomy_path: Path, tagger_path: Path, settings_json: str) -> CriteriaCard:
    settings = Settings.model_validate_json(settings_json)
    return read_criteria_card(
        criteria_model_path(tagger_path), load_taxonomy(taxonomy_path).version, settings.embedding_model
    )


@lru_cache(maxsize=4)
def _card(taxonomy_path: Path, tagger_path: Path, settings_json: str) -> ModelCard:
    return read_card(tagger_path, load_taxonomy(taxonomy_path), Settings.model_validate_json(settings_json))


SETTINGS_OUTSIDE_RESULTS = {
    "cache_dir",
    "database_url",
    "workers",
    "task_runner",
    "dask_address",
    "prefect_server",  # where flow runs are recorded
    "prefect_server_start_seconds",
    "document_timeout_seconds",
    "reviewed_weight",  # shapes training, not reviews
    "write_packs",
    "pack_printer",  # the same pack, printed by another program
    "commitment_mention_similarity",  # shapes the audit, not reviews
}


def current_versions(settings: Settings) -> Versions:
    """The one builder of a review's versions: the tagger's card summary, the criterion model's,
    what computes the embeddings (runtime, version, precision), the hash of the labelled passages
    quoted to explain tags, the PDF reader, and a digest of everything else that shapes results
    (passage sizes, evidence counts, limits, those labels, the reader, the criterion model's
    file, the library's source). A batch builds it once and passes it to every review, the cache key and the store."""
    card = load_card(settings)
    labels_hash = labels_digest(settings.labels_path)
    runtime = embedding_runtime(settings)  # e.g. "openvino 2026.4.1 bf16": vectors differ by runtime
    criteria = load_criteria_card(settings)
    shaping = (
        settings.model_dump_json(exclude=SETTINGS_OUTSIDE_RESULTS)
        + labels_hash
        + runtime
        + criteria.model_hash
        + code_digest()
    )
    return Versions(
        pipeline_version=__version__,
        tagger=card.tagger,
        tagger_hash=card.tagger_hash,
        taxonomy_version=card.taxonomy_version,
        embedding_model=card.embedding_model,
        training_data_hash=card.training_data_hash,
        thresholds=card.thresholds,
        cv_macro_f1=card.cv_metrics.get("macro_f1"),
        created=card.created,
        criteria_model=CriteriaModelVersions(
            method=criteria.method,
            model_hash=criteria.model_hash,
            training_data_hash=criteria.training_data_hash,
            flag_ratio=criteria.flag_ratio,
            cv_macro_f1=criteria.cv_metrics.get("macro_f1"),
            created=criteria.created,
        ),
        embedding_runtime=runtime,
        labels_hash=labels_hash,
        pdf_reader=settings.pdf_reader,
        settings_digest=hashlib.sha256(shaping.encode()).hexdigest()[:16],
    )
