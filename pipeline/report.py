"""The review record (DESIGN.md contract 1) of a document that was read, or of one that could not
be, with the warnings a reviewer must see about how it was read; and its one-line outcome for
logs. ``pipeline.outputs`` writes it to files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pipeline.document_facts import DocumentFacts, document_facts
from pipeline.errors import ReviewError
from pipeline.html import page_ranges
from pipeline.models import (
    Document,
    DocumentReview,
    DocumentSummary,
    MeasureCoverage,
    Passage,
    ReviewErrorRecord,
    ReviewWarning,
    SetAside,
    SourceInfo,
    Versions,
    pages_by_extractor,
)
from pipeline.settings import Settings, get_settings


def build_review(
    document: Document,
    measures: list[MeasureCoverage],
    model: Versions,
    settings: Settings | None = None,
    warnings: Sequence[ReviewWarning] = (),
    facts: DocumentFacts | None = None,
    set_aside: Mapping[str, str] | None = None,
    passages: Sequence[Passage] = (),
) -> DocumentReview:
    """The review record; ``warnings`` (such as out of scope) follow those about reading; ``facts``
    (ICS, level, year and where each came from) default to the manifest's, ``set_aside`` names the
    passages kept out of every verdict and why."""
    facts = facts or document_facts(document)
    pages = {p.passage_id: p.pages for p in passages}
    return DocumentReview(
        document=DocumentSummary(
            id=document.id,
            file=document.file,
            ics=facts.ics,
            title=document.title,
            pages=document.page_count,
            organisation_level=facts.organisation_level,
            year=facts.year,
            ics_source=facts.ics_source,
            level_source=facts.level_source,
            year_source=facts.year_source,
            extractors=pages_by_extractor(document.pages),
            missing_pages=document.missing_pages,
            warnings=[*reading_warnings(document, settings or get_settings()), *warnings],
            set_aside=[
                SetAside(passage_id=pid, pages=pages.get(pid, []), reason=reason)
                for pid, reason in (set_aside or {}).items()
            ],
        ),
        model=model,
        measures=measures,
    )


def reading_warnings(document: Document, settings: Settings) -> list[ReviewWarning]:
    """What a reviewer must know about how the text was read: pages missing (and what that does to
    the verdicts), and how pages the layout readers could not read were read."""
    warnings = [ReviewWarning(code="extraction", message=f"{document.file}: {note}") for note in document.notes]
    missing = document.missing_pages
    if missing:
        by_reason: dict[str, list[int]] = {}
        for page in missing:
            by_reason.setdefault(page.reason, []).append(page.page)
        reasons = "; ".join(f"{_pages_phrase(pages)}: {reason}" for reason, pages in by_reason.items())
        read = document.page_count - len(missing)
        which = "page" if len(missing) == 1 else "pages"
        numbers = page_ranges(page.page for page in missing)
        message = (
            f"{document.file}: {which} {numbers} of {document.page_count} could not be read ({reasons}); "
            f"results cover the other {read}"
        )
        if document.unread_share > settings.max_unread_page_share:
            message += (
                f". That is {document.unread_share:.0%} of the pages with content, so measures without "
                "evidence are marked unreadable, not missing"
            )
        warnings.append(ReviewWarning(code="pages_missing", message=message))
    return warnings


def _pages_phrase(pages: list[int]) -> str:
    return f"page {pages[0]}" if len(pages) == 1 else f"pages {page_ranges(pages)}"


def failed_review(
    document_id: str, path: Path, error: ReviewError, model: Versions, source: SourceInfo
) -> DocumentReview:
    """The record of a document that could not be read: no measures, one error entry."""
    return DocumentReview(
        document=DocumentSummary(
            id=document_id,
            file=path.name,
            ics=source.ics,
            title=None,
            pages=None,
            organisation_level=source.organisation_level,
            year=source.year,
        ),
        model=model,
        measures=[],
        errors=[ReviewErrorRecord(code=error.code, message=str(error))],
    )


def outcome(review: DocumentReview) -> str:
    """One line for progress logs and summaries: the error, or the gaps and weak measures."""
    if review.errors:
        return f"{review.errors[0].code}: {review.errors[0].message}"
    gaps = [m.id for m in review.measures if m.status == "no_evidence"]
    weak = [m.id for m in review.measures if m.status == "weak"]
    unreadable = [m.id for m in review.measures if m.status == "unreadable"]
    line = f"no evidence: {', '.join(gaps) or 'none'}; weak: {', '.join(weak) or 'none'}"
    if unreadable:
        line += f"; unreadable: {', '.join(unreadable)}"
    missing = review.document.missing_pages
    if missing:
        line += f" ({len(missing)} of {review.document.pages} pages not read)"
    return line + ("; OUT OF SCOPE" if any(w.code == "out_of_scope" for w in review.document.warnings) else "")
