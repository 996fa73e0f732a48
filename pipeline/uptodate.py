"""Is a batch already done? Like `make`, a re-run over unchanged inputs should cost seconds: the
command line asks this before starting a flow, and starts none when every document is current."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipeline.manifest import BatchItem
from pipeline.models import DocumentReview, Versions
from pipeline.outputs import review_files_current
from pipeline.settings import Settings
from pipeline.store import find_review
from pipeline.store_schema import SQLITE_FILE, open_store


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
