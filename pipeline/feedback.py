"""The reviewer feedback loop's two ends, over the results store: choose and write the passages
worth a human look (``wgll export-review``), and take the verdicts back into the labels
(``wgll import-review``). The choosing, reading and merging live in ``review_queue`` and
``verdicts``; this module finds what they work on."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from pipeline.labels import read_labelled
from pipeline.review_files import locate_review
from pipeline.review_queue import select_for_review, write_queue, zero_shot_scores
from pipeline.settings import Settings
from pipeline.stamps import SQLITE_FILE
from pipeline.store import StoredReview, stored_passage_texts, stored_reviews
from pipeline.store_schema import open_store
from pipeline.taxonomy import load_taxonomy
from pipeline.train import fit_zero_shot
from pipeline.verdicts import MergeReport, merge_verdicts, read_verdicts


def open_existing_store(settings: Settings, reviews_dir: Path) -> Engine:
    """The store the reviews in ``reviews_dir`` were saved to; never a new, empty one."""
    if settings.database_url is None and not (reviews_dir / SQLITE_FILE).is_file():
        raise LookupError(f"no results store in {reviews_dir} ({SQLITE_FILE}): run `wgll review` first")
    return open_store(settings.database_url, reviews_dir)


def find_reviews(engine: Engine, targets: Sequence[str], reviews_dir: Path) -> list[StoredReview]:
    """Stored reviews named by run ids (plain numbers) or by documents (an id or its start,
    its short name, a review JSON, a strategy's file name), each document once, failed reads left out."""
    found: dict[str, StoredReview] = {}
    for target in targets:
        if target.isdigit():
            matches = stored_reviews(engine, run_id=int(target))
            if not matches:
                raise LookupError(
                    f"run {target} has no reviews in the store (a later run that re-saved its documents holds them)"
                )
        else:
            document_id = locate_review(reviews_dir, target).document.id
            matches = stored_reviews(engine, document_ids=[document_id])
            if not matches:
                raise LookupError(f"{target}: document {document_id[:12]} has a review JSON but nothing in the store")
        found.update({m.review.document.id: m for m in matches if not m.review.errors})
    return list(found.values())


def export_for_review(
    targets: Sequence[str], reviews_dir: Path, out: Path, settings: Settings, margin: float, limit: int
) -> tuple[list[Path], int]:
    """Write the review queue of the named runs or documents; returns the files and row count."""
    stored = find_reviews(open_existing_store(settings, reviews_dir), targets, reviews_dir)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    zero_shot = fit_zero_shot(read_labelled(settings.labels_path, taxonomy.measure_ids), taxonomy, settings)
    passages = [p for item in stored for p in item.passages]
    texts = [p.text for p in passages]
    probabilities = zero_shot.predict_proba(texts) if texts else np.zeros((0, len(taxonomy.measure_ids)))
    rows = select_for_review(
        stored,
        zero_shot_scores([p.passage_id for p in passages], probabilities, taxonomy.measure_ids),
        dict(zip(taxonomy.measure_ids, map(float, zero_shot.thresholds_), strict=False)),
        margin,
        limit,
        taxonomy,
    )
    model_version = stored[0].review.model.tagger_hash[:12] if stored else ""
    return write_queue(rows, out, taxonomy, model_version), len(rows)


def import_verdicts(
    file: Path, reviews_dir: Path, labels_path: Path, settings: Settings, reviewer: str = ""
) -> MergeReport:
    """Check a verdict file against the taxonomy and the stored passages, then merge it into
    ``labels_path``; raises ReviewFileError (and writes nothing) if any row is faulty."""
    taxonomy = load_taxonomy(settings.taxonomy_path)
    engine = open_existing_store(settings, reviews_dir)
    verdicts = read_verdicts(file, taxonomy, lambda ids: stored_passage_texts(engine, list(ids)), reviewer)
    return merge_verdicts(verdicts, labels_path, taxonomy)
