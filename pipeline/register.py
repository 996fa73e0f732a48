"""The register of commitments as a reviewer reads it: ``<review>-commitments.csv`` beside the
review JSON, and the groups of the pack's "Commitments and dates" page (by measure, earliest due
first). The CSV's name is derived from the JSON's, whatever names the JSON."""

from __future__ import annotations

import calendar
import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.due_dates import period_end
from pipeline.models import Commitment, DocumentReview
from pipeline.review_files import review_files

CSV_COLUMNS = [
    "due",
    "due_end",
    "text",
    "owner",
    "measures",
    "criteria",
    "pages",
    "heading",
    "passage_id",
    "document_id",
    "file",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NO_MEASURE = "Not tagged to a measure"


def commitments_csv_path(review: DocumentReview, out_dir: Path) -> Path:
    """``<stem of the review JSON>-commitments.csv``, in the JSON's folder."""
    json_path = review_files(review, out_dir).json
    return json_path.with_name(f"{json_path.stem}-commitments.csv")


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: PDF text starting like a formula is quoted."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def due_order(commitment: Commitment) -> tuple[date, str]:
    """Sort key: earliest end of the due period first, undated last, then by text."""
    return period_end(commitment.due) or date.max, commitment.text


def write_commitments_csv(review: DocumentReview, out_dir: Path) -> Path:
    """Write the register, earliest due first (a header alone when the review has none)."""
    path = commitments_csv_path(review, out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for c in sorted(review.commitments, key=due_order):
            end = period_end(c.due)
            writer.writerow(
                [
                    _cell(v)
                    for v in (
                        c.due,
                        end.isoformat() if end else None,
                        c.text,
                        c.owner,
                        ";".join(c.measures),
                        ";".join(c.criteria),
                        ";".join(map(str, c.pages)),
                        c.heading,
                        c.passage_id,
                        review.document.id,
                        review.document.file,
                    )
                ]
            )
    return path


def due_label(value: str | None) -> str:
    """A due value as a reviewer reads it: "Mar 2025" for the end of a month, "1 Jul 2025" for a
    day, "2025" and "2025/26" as they are; "no date" when there is none."""
    end = period_end(value)
    if value is None or end is None:
        return "no date"
    if len(value) != 10:
        return value
    last_day = calendar.monthrange(end.year, end.month)[1]
    return f"{end:%b %Y}" if end.day == last_day else f"{end.day} {end:%b %Y}"


@dataclass(frozen=True)
class CommitmentGroup:
    """The commitments of one measure (or of none), earliest due first."""

    id: str | None
    name: str
    items: list[Commitment]


def commitment_groups(review: DocumentReview) -> list[CommitmentGroup]:
    """One group per measure of the review, in its order, and one for commitments whose passage
    clears no measure's threshold; a commitment of two measures is listed under both."""
    groups = [
        CommitmentGroup(m.id, m.name, sorted((c for c in review.commitments if m.id in c.measures), key=due_order))
        for m in review.measures
    ]
    untagged = sorted((c for c in review.commitments if not c.measures), key=due_order)
    return groups + ([CommitmentGroup(None, NO_MEASURE, untagged)] if untagged else [])
