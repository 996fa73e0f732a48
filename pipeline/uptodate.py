"""Is a batch already done? Like `make`, a re-run over unchanged inputs should cost seconds: the
command line asks this before starting a flow, and starts none when every document is current."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipeline.manifest import BatchItem
from pipeline.models import DocumentReview, versions_key
from pipeline.outputs import review_files_current
from pipeline.settings import Settings
from pipeline.store import SQLITE_FILE, find_review, open_store
from pipeline.versions import load_card, model_summary


def split_current(
    items: Sequence[BatchItem], out_dir: Path, settings: Settings
) -> tuple[list[DocumentReview], list[BatchItem]]:
    """The reviews already done, and the items still to do: an item is done when its review is
    both in the store and in ``out_dir`` under the current versions, with the same manifest
    details. Failed reviews count as to do: a password may have been added, or the failure may
    have been transient, and the flow's cache decides cheaply."""
    if settings.database_url is None and not (out_dir / SQLITE_FILE).is_file():
        return [], list(items)
    key = versions_key(model_summary(load_card(settings), settings))
    engine = open_store(settings.database_url, out_dir)
    done: list[DocumentReview] = []
    to_do: list[BatchItem] = []
    try:
        for item in items:
            stored = find_review(engine, item.identity(), key)
            if stored is not None and _current(stored, item, out_dir, settings.write_packs):
                done.append(stored)
            else:
                to_do.append(item)
    finally:
        engine.dispose()
    return done, to_do


def _current(stored: DocumentReview, item: BatchItem, out_dir: Path, with_packs: bool) -> bool:
    if stored.errors or stored.document.file != item.path.name:
        return False
    return _same_manifest_details(stored, item) and review_files_current(stored, out_dir, with_packs)


def _same_manifest_details(stored: DocumentReview, item: BatchItem) -> bool:
    """ICS, level and year as the manifest gives them now: where it gives one, the review used
    it; where it gives none, the review did not take one from a manifest (it read it from the
    text, or has none), so a manifest edit in either direction reviews the document again."""
    document = stored.document
    details = (
        (item.source.ics, document.ics, document.ics_source),
        (item.source.organisation_level, document.organisation_level, document.level_source),
        (item.source.year, document.year, document.year_source),
    )
    return all(
        (value == given and source == "manifest") if given else source != "manifest"
        for given, value, source in details
    )
