"""Is a batch already done? Like `make`, a re-run over unchanged inputs should cost seconds: the
command line asks this before starting a flow, and starts none when every document is current."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pipeline.manifest import MANIFEST_NAME, BatchItem
from pipeline.models import DocumentReview, Versions
from pipeline.outputs import review_files_current
from pipeline.register import commitments_csv_path
from pipeline.review_files import review_files
from pipeline.settings import Settings
from pipeline.stamps import SQLITE_FILE
from pipeline.store import find_review
from pipeline.store_schema import open_store


def split_current(
    items: Sequence[BatchItem], out_dir: Path, settings: Settings, versions: Versions
) -> tuple[list[DocumentReview], list[BatchItem]]:
    """The reviews already done, and the items still to do: an item is done when its review is
    both in the store and in ``out_dir`` under ``versions`` (the current ones), with the same manifest
    details. Failed reviews count as to do: a password may have been added, or the failure may
    have been transient, and the flow's cache decides cheaply."""
    if settings.database_url is None and not (out_dir / SQLITE_FILE).is_file():
        return [], list(items)
    engine = open_store(settings.database_url, out_dir)
    done: list[DocumentReview] = []
    to_do: list[BatchItem] = []
    try:
        for item in items:
            stored = find_review(engine, item.identity(), versions.key)
            if stored is not None and _current(stored, item, out_dir, settings.write_packs):
                done.append(stored)
            else:
                to_do.append(item)
    finally:
        engine.dispose()
    return done, to_do


def _current(stored: DocumentReview, item: BatchItem, out_dir: Path, with_packs: bool) -> bool:
    if stored.errors:
        return False
    document = stored.document
    given = (
        _from_manifest(document.ics, document.ics_source),
        _from_manifest(document.organisation_level, document.level_source),
        _from_manifest(document.year, document.year_source),
    )
    same_entry = document.file == item.path.name and given == (
        item.source.ics,
        item.source.organisation_level,
        item.source.year,
    )
    return same_entry and review_files_current(stored, out_dir, with_packs)


def _from_manifest(value: object, source: str | None) -> object:
    """What the manifest gave for a fact of a stored review: nothing when the review read the fact
    from the strategy's text (so a PDF named without a manifest stays current); reviews from
    before facts were read from the text name no source, and theirs came from the manifest."""
    return None if source == "text" else value


def versions_dependencies(settings: Settings) -> list[str]:
    """The files a review's versions are read from, once per process (their reads are cached):
    taxonomy, labels, tagger and criterion model with their cards, the labelled passages' vectors
    shipped beside them, the embedding model's files."""
    from pipeline.criteria_card import criteria_card_path, criteria_model_path
    from pipeline.encoder import resolve_model_location
    from pipeline.explain import labelled_vectors_path
    from pipeline.model_card import card_path

    tagger, criteria = settings.tagger_path, criteria_model_path(settings.tagger_path)
    model = Path(resolve_model_location(settings.embedding_model))
    files = [
        settings.taxonomy_path,
        settings.labels_path,
        tagger,
        card_path(tagger),
        criteria,
        criteria_card_path(criteria),
        labelled_vectors_path(tagger),
        model,
        *(sorted(model.rglob("*")) if model.is_dir() else ()),
    ]
    return list(dict.fromkeys(os.path.abspath(file) for file in files))


def batch_dependencies(
    paths: Sequence[Path], items: Sequence[BatchItem], out_dir: Path, done: Sequence[DocumentReview]
) -> list[str]:
    """The other files whose change could change what ``wgll review PATHS --out OUT_DIR`` finds
    once ``done`` are current: the paths and any folder's manifest, each document, the store and
    every output file."""
    store = out_dir / SQLITE_FILE
    files: list[Path] = [
        *paths,
        *(path / MANIFEST_NAME for path in paths),
        *(item.path for item in items),
        *(store.with_name(store.name + suffix) for suffix in ("", "-wal", "-journal", "-shm")),
    ]
    for review in done:
        files.extend([*review_files(review, out_dir).all(), commitments_csv_path(review, out_dir)])
    return list(dict.fromkeys(os.path.abspath(file) for file in files))
