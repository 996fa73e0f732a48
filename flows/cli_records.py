"""The up-to-date records `wgll review` and `wgll audit` leave once they end with everything
current, so that a plain re-run is answered from them (``flows.entry``). A command that did work
checks it again from a new start first, as a re-run would: a record vouches only for files seen
unchanged since the check that found them current began (``pipeline.uptodate_record``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flows.cli_output import outcome_rows, pack_pages
from pipeline.stamps import fs_clock

if TYPE_CHECKING:
    from pipeline.audit import AuditFiles
    from pipeline.manifest import BatchItem
    from pipeline.models import DocumentReview
    from pipeline.settings import Settings


def remember_review(
    paths: list[Path],
    out: Path,
    settings: Settings,
    started: int,
    checked: tuple[list[BatchItem], list[DocumentReview]],
    worked: bool,
) -> None:
    """Leave the up-to-date record of ``wgll review PATHS --out OUT`` when every document is done
    without error in the SQLite store there. ``started``: when the command started (the versions
    were read then, and kept); ``checked``: the items and those found current then, found again
    when the command ``worked``."""
    from pipeline.uptodate import batch_dependencies, versions_dependencies
    from pipeline.uptodate_record import write_record

    since = started
    items, done = checked
    if worked:
        since = fs_clock()
        items, done = _current_after(paths, out, settings)
    if settings.database_url is not None or len(done) != len(items) or any(r.errors for r in done):
        return
    summary = {
        "documents": len(items),
        "rows": outcome_rows(done),
        "packs": [pack.name for pack in pack_pages(out, done)],
    }
    files = batch_dependencies(paths, items, out, done)
    read_once = versions_dependencies(settings)
    named = [str(path) for path in paths]
    write_record("review", named, str(out), files, summary, since, str(out), read_once=read_once, started=started)


def _current_after(paths: list[Path], out: Path, settings: Settings) -> tuple[list[BatchItem], list[DocumentReview]]:
    """The documents PATHS stand for now, and those of them current in ``out``."""
    from pipeline.errors import ModelCardMismatch, TaxonomyError
    from pipeline.inputs import gather_inputs
    from pipeline.uptodate import split_current
    from pipeline.versions import current_versions

    inputs = gather_inputs(paths)
    if inputs.problems:
        return inputs.items, []
    try:
        versions = current_versions(settings)
    except (ModelCardMismatch, TaxonomyError, OSError):
        return inputs.items, []
    return inputs.items, split_current(inputs.items, out, settings, versions)[0]


def remember_audit(reviews: Path, target: Path, started: int, files: AuditFiles, worked: bool) -> None:
    """Leave the up-to-date record of the audit of ``reviews`` in ``target`` (``started`` and
    ``worked`` as for ``remember_review``): nothing when the audit written is no longer current."""
    from pipeline.audit import audit_dependencies
    from pipeline.uptodate_record import write_record

    since = started
    if worked:
        since = fs_clock()
        current = _audit_after(reviews, target)
        if current is None:
            return
        files = current
    names = {name: path.name for name, path in files.model_dump().items()}
    depends = [str(path) for path in audit_dependencies(reviews, target)]
    summary: dict[str, object] = {"files": names}
    write_record(
        "audit", [str(reviews)], str(target), depends, summary, since, str(reviews), [str(reviews)], started=started
    )


def _audit_after(reviews: Path, target: Path) -> AuditFiles | None:
    """The audit in ``target`` when it is current with the reviews now in ``reviews``."""
    from pipeline.audit import current_audit
    from pipeline.review_files import MalformedReview, read_reviews

    try:
        return current_audit(read_reviews(reviews), target)
    except (MalformedReview, OSError):
        return None
