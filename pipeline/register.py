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
# The pack lists this many commitments per measure, earliest due first: a pre-briefing pack that
# listed all of them (400 in a 59-page strategy, some under two measures) ran to 80 pages, longer
# than the strategy. The register CSV beside it keeps every one.
PACK_COMMITMENTS_PER_MEASURE = 8


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
    """The first commitments of one measure (or of none), earliest due first, and how many it has."""

    id: str | None
    name: str
    items: list[Commitment]
    total: int


def commitment_groups(review: DocumentReview, shown: int = PACK_COMMITMENTS_PER_MEASURE) -> list[CommitmentGroup]:
    """One group per measure of the review, in its order, and one for commitments whose passage
    clears no measure's threshold, each with its first ``shown`` commitments (dated ones lead) and
    the same commitment repeated on other pages merged into one; a commitment of two measures is
    listed under both."""
    groups: list[tuple[str | None, str, list[Commitment]]] = [
        (m.id, m.name, [c for c in review.commitments if m.id in c.measures]) for m in review.measures
    ]
    untagged = [c for c in review.commitments if not c.measures]
    if untagged:
        groups.append((None, NO_MEASURE, untagged))
    merged = [(id, name, _merge_repeats(items)) for id, name, items in groups]
    return [CommitmentGroup(id, name, sorted(items, key=due_order)[:shown], len(items)) for id, name, items in merged]


def _merge_repeats(commitments: list[Commitment]) -> list[Commitment]:
    """One row per distinct commitment: strategies repeat a commitment in the summary, the body
    and an appendix, and the pack lists it once with all its pages."""
    rows: dict[tuple[str, str | None, str | None], Commitment] = {}
    for c in commitments:
        key = (" ".join(c.text.split()), c.due, c.owner)
        if key in rows:
            rows[key] = rows[key].model_copy(update={"pages": sorted({*rows[key].pages, *c.pages})})
        else:
            rows[key] = c
    return list(rows.values())
