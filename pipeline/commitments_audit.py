"""The audit's view of the registers of commitments: how many each strategy makes per measure, and,
where an ICS has an earlier strategy in the folder, the earlier commitments due by the later
strategy's year and whether the later strategy mentions them again ("what became of this?").

"Mentioned again" is the cosine between the earlier commitment and the closest sentence of the
later review (its commitments and evidence passages) under the configured embedding model, at or
above ``Settings.commitment_mention_similarity``. Measured on the two Wyvern Vale samples
(benchmarks/commitments_eval.py): it is a pointer for a reviewer, who is shown the closest
sentence, not a verdict."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from pipeline.due_dates import period_end
from pipeline.html import html_templates
from pipeline.models import DocumentReview
from pipeline.settings import Settings, get_settings

COUNT_COLUMNS = ["ics", "organisation_level", "year", "file", "document_id", "commitments", "dated", "untagged"]
REVISIT_COLUMNS = [
    "ics",
    "organisation_level",
    "earlier_year",
    "later_year",
    "earlier_file",
    "later_file",
    "due",
    "due_end",
    "status",
    "commitment",
    "owner",
    "measures",
    "pages",
    "mentioned_again",
    "similarity",
    "closest",
    "closest_pages",
]
Similarity = Callable[[list[str], list[str]], np.ndarray]


def commitment_counts(reviews: Sequence[DocumentReview], measure_ids: Sequence[str]) -> pd.DataFrame:
    """One row per readable review: its commitments, how many are dated, and how many sit in
    passages of each measure (a commitment of two measures counts under both)."""
    rows = []
    for review in reviews:
        if review.errors or not review.measures:
            continue
        d, commitments = review.document, review.commitments
        rows.append(
            {
                "ics": d.ics,
                "organisation_level": d.organisation_level,
                "year": d.year,
                "file": d.file,
                "document_id": d.id,
                "commitments": len(commitments),
                "dated": sum(c.due is not None for c in commitments),
                "untagged": sum(not c.measures for c in commitments),
            }
            | {m: sum(m in c.measures for c in commitments) for m in measure_ids}
        )
    counts = pd.DataFrame(rows, columns=COUNT_COLUMNS + list(measure_ids)).astype({"year": "Int64"})
    return counts.sort_values(["ics", "organisation_level", "year", "file"], na_position="last", ignore_index=True)


def semantic_similarity(settings: Settings | None = None) -> Similarity:
    """Cosine similarities of two lists of texts under the configured embedding model (cached)."""
    from pipeline.embed import embed_texts  # loads PyTorch: only when there is something to compare

    def similarity(first: list[str], second: list[str]) -> np.ndarray:
        return embed_texts(first, settings) @ embed_texts(second, settings).T

    return similarity


def _later_sentences(review: DocumentReview) -> list[tuple[str, list[int]]]:
    """What the later review says, as the audit can see it: its commitments and evidence passages."""
    seen: dict[str, list[int]] = {c.text: c.pages for c in review.commitments}
    for measure in review.measures:
        for evidence in measure.evidence:
            seen.setdefault(evidence.text, evidence.pages)
    return list(seen.items())


def closest(texts: list[str], later: DocumentReview, similarity: Similarity) -> list[tuple[str, list[int], float]]:
    """For each text, the closest sentence of the later review (text, pages) and its similarity."""
    sentences = _later_sentences(later)
    if not texts or not sentences:
        return []
    scores = similarity(texts, [text for text, _ in sentences])
    best = scores.argmax(axis=1)
    return [(*sentences[b], round(float(row[b]), 3)) for b, row in zip(best, scores, strict=True)]


def _pairs(reviews: Sequence[DocumentReview]) -> list[tuple[DocumentReview, DocumentReview]]:
    """(earlier, later) strategies of the same ICS and organisation level in consecutive years."""
    readable = [r for r in reviews if not r.errors and r.measures and r.document.ics and r.document.year]
    groups: dict[tuple[str, str | None], list[DocumentReview]] = {}
    for review in readable:
        groups.setdefault((review.document.ics or "", review.document.organisation_level), []).append(review)
    pairs = []
    for group in groups.values():
        years = sorted({r.document.year for r in group if r.document.year})
        for earlier_year, later_year in zip(years, years[1:], strict=False):
            earlier = [r for r in group if r.document.year == earlier_year]
            pairs += [(e, r) for e in earlier for r in group if r.document.year == later_year]
    return pairs


def revisited(
    reviews: Sequence[DocumentReview], similarity: Similarity | None = None, threshold: float | None = None
) -> pd.DataFrame:
    """Every commitment of an earlier strategy due by the end of its successor's year: "past due"
    when its period ended before that year began, "due in <year>" otherwise; with the closest
    sentence of the successor and whether that is close enough to count as mentioned again."""
    threshold = get_settings().commitment_mention_similarity if threshold is None else threshold
    rows = []
    for earlier, later in _pairs(reviews):
        later_year = later.document.year or 0
        due = [(c, end) for c in earlier.commitments if (end := period_end(c.due)) and end <= date(later_year, 12, 31)]
        if not due or not _later_sentences(later):
            continue
        similarity = similarity or semantic_similarity()
        found = closest([c.text for c, _ in due], later, similarity)
        for (commitment, end), (text, pages, score) in zip(due, found, strict=True):
            rows.append(
                {
                    "ics": earlier.document.ics,
                    "organisation_level": earlier.document.organisation_level,
                    "earlier_year": earlier.document.year,
                    "later_year": later_year,
                    "earlier_file": earlier.document.file,
                    "later_file": later.document.file,
                    "due": commitment.due,
                    "due_end": end.isoformat(),
                    "status": "past due" if end < date(later_year, 1, 1) else f"due in {later_year}",
                    "commitment": commitment.text,
                    "owner": commitment.owner,
                    "measures": ";".join(commitment.measures),
                    "pages": ";".join(map(str, commitment.pages)),
                    "mentioned_again": score >= threshold,
                    "similarity": score,
                    "closest": text,
                    "closest_pages": ";".join(map(str, pages)),
                }
            )
    table = pd.DataFrame(rows, columns=REVISIT_COLUMNS)
    return table.sort_values(["ics", "later_year", "due_end", "commitment"], ignore_index=True)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def render_commitments_section(counts: pd.DataFrame, revisits: pd.DataFrame, names: dict[str, str]) -> Markup:
    """The audit page's section on commitments (escaped by the template; safe to insert as is)."""
    groups: list[dict[str, Any]] = []
    keys = ["ics", "organisation_level", "earlier_year", "later_year", "earlier_file", "later_file"]
    for _, group in revisits.groupby(keys, dropna=False, sort=False):
        records = _records(group)
        groups.append({k: records[0][k] for k in keys} | {"rows": records})
    page = (
        html_templates()
        .get_template("audit_commitments.html")
        .render(
            counts=_records(counts),
            measures=list(names),
            names=names,
            groups=groups,
        )
    )
    return Markup(page)  # noqa: S704 - rendered by the autoescaping environment above


def write_commitments_audit(
    reviews: Sequence[DocumentReview], counts_csv: Path, revisited_csv: Path, names: dict[str, str]
) -> Markup:
    """Write both tables as CSV and return the HTML section for the audit page; ``names`` are the
    measures' names by id, in order."""
    counts, revisits = commitment_counts(reviews, list(names)), revisited(reviews)
    counts.to_csv(counts_csv, index=False)
    revisits.to_csv(revisited_csv, index=False)
    return render_commitments_section(counts, revisits, names)
