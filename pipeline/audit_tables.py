"""The tables of the cross-ICS coverage audit, as pandas frames: one row of measure statuses and
scores per review, the gaps found most often (by measure and by ICS), and how each ICS's strategy
changed between years. ``pipeline.audit_render`` draws them; ``pipeline.audit`` writes the files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from pipeline.models import DocumentReview
from pipeline.taxonomy import MEASURE_IDS

UNREADABLE = "unreadable"
STATUSES = ("evidenced", "weak", "no_evidence", UNREADABLE)
STATUS_RANK = {"no_evidence": 0, "weak": 1, "evidenced": 2}
# out_of_scope: the document does not read like a health and care digital strategy (pipeline/scope.py).
DOCUMENT_COLUMNS = ["document_id", "file", "title", "ics", "organisation_level", "year", "error", "out_of_scope"]
NO_ICS = "(ICS not given)"


def status_column(measure: str) -> str:
    return f"{measure}_status"


def score_column(measure: str) -> str:
    return f"{measure}_score"


STATUS_COLUMNS = [status_column(m) for m in MEASURE_IDS]
SCORE_COLUMNS = [score_column(m) for m in MEASURE_IDS]
TABLE_COLUMNS = DOCUMENT_COLUMNS + [c for m in MEASURE_IDS for c in (status_column(m), score_column(m))]
GAP_COLUMNS = ["by", "rank", "name", "gaps", "weak", "documents", "unreadable", "gap_share", "gap_in"]
CHANGE_COLUMNS = [
    "ics",
    "organisation_level",
    "earlier_year",
    "later_year",
    "earlier_file",
    "later_file",
    "measure",
    "earlier_status",
    "later_status",
    "earlier_score",
    "later_score",
    "score_change",
    "change",
    "direction",
]


def _is_unreadable(review: DocumentReview) -> bool:
    return bool(review.errors) or not review.measures


def _row(review: DocumentReview) -> dict[str, Any]:
    document = review.document
    row: dict[str, Any] = {
        "document_id": document.id,
        "file": document.file,
        "title": document.title,
        "ics": document.ics,
        "organisation_level": document.organisation_level,
        "year": document.year,
        "error": review.errors[0].code if review.errors else None,
        "out_of_scope": any(w.code == "out_of_scope" for w in document.warnings),
    }
    if _is_unreadable(review):
        return row | {status_column(m): UNREADABLE for m in MEASURE_IDS}
    measures = {m.id: m for m in review.measures}
    missing = [m for m in MEASURE_IDS if m not in measures]
    if missing:
        raise ValueError(f"{document.file}: review has no verdict for {', '.join(missing)}")
    for measure in MEASURE_IDS:
        row[status_column(measure)] = measures[measure].status
        row[score_column(measure)] = measures[measure].score
    return row


def coverage_table(reviews: Iterable[DocumentReview]) -> pd.DataFrame:
    """One row per document with each measure's status and score. Unreadable documents get status
    ``unreadable`` and no score, so they are never mistaken for gaps."""
    table = pd.DataFrame([_row(r) for r in reviews], columns=TABLE_COLUMNS)
    table = table.astype(
        {"year": "Int64", "out_of_scope": "bool"}
        | {c: "float64" for c in SCORE_COLUMNS}
        | {c: "str" for c in TABLE_COLUMNS if c not in SCORE_COLUMNS and c not in ("year", "out_of_scope")}
    )
    order = ["ics", "organisation_level", "year", "file"]
    return table.sort_values(order, na_position="last", ignore_index=True)


def readable_rows(table: pd.DataFrame) -> pd.Series:
    """True for the rows of documents that could be read (no measure unreadable)."""
    return (table[STATUS_COLUMNS] != UNREADABLE).all(axis=1)


def current_documents(table: pd.DataFrame) -> pd.DataFrame:
    """Rows not superseded by a later-year strategy of the same ICS and organisation level: gaps an ICS
    has since closed are not held against it (``year_changes`` shows them)."""
    latest = table.groupby(["ics", "organisation_level"], dropna=False)["year"].transform("max")
    superseded = (table["year"] < latest).fillna(False).astype(bool) & table["ics"].notna()
    return table[~superseded]


def ranked_gaps(table: pd.DataFrame) -> pd.DataFrame:
    """Measures ranked by how many current strategies give them no evidence (``by == "measure"``, with
    the ICSs concerned), then ICSs ranked by their number of gaps (``by == "ics"``, with the measures
    concerned). Unreadable documents are counted apart, never as gaps."""
    current = current_documents(table)
    readable = current[readable_rows(current)]
    ics_names = current["ics"].fillna(NO_ICS)
    measure_rows = []
    for measure in MEASURE_IDS:
        gap = readable[status_column(measure)] == "no_evidence"
        measure_rows.append(
            {
                "by": "measure",
                "name": measure,
                "gaps": int(gap.sum()),
                "weak": int((readable[status_column(measure)] == "weak").sum()),
                "documents": len(readable),
                "unreadable": len(current) - len(readable),
                "gap_in": ", ".join(sorted(set(ics_names[gap[gap].index]))),
            }
        )
    ics_rows = []
    for ics, group in current.groupby(ics_names, sort=True):
        statuses = group.loc[readable_rows(group), STATUS_COLUMNS]
        gap_measures = [m for m in MEASURE_IDS if (statuses[status_column(m)] == "no_evidence").any()]
        ics_rows.append(
            {
                "by": "ics",
                "name": ics,
                "gaps": int((statuses == "no_evidence").to_numpy().sum()),
                "weak": int((statuses == "weak").to_numpy().sum()),
                "documents": len(statuses),
                "unreadable": len(group) - len(statuses),
                "gap_in": ", ".join(gap_measures),
            }
        )
    parts = []
    # A measure's share is over documents; an ICS's over all its documents' measure cells.
    for rows, cells_per_document in ((measure_rows, 1), (ics_rows, len(MEASURE_IDS))):
        part = pd.DataFrame(rows, columns=[c for c in GAP_COLUMNS if c not in ("rank", "gap_share")])
        cells = part["documents"] * cells_per_document
        part["gap_share"] = (part["gaps"] / cells.where(cells > 0)).round(3)
        # Stable sort keeps measure order (M1..M7) and ICS names in order among equal counts.
        part = part.sort_values(["gaps", "gap_share"], ascending=False, kind="stable", na_position="last")
        part["rank"] = part["gaps"].rank(method="min", ascending=False).astype("int64")
        parts.append(part)
    gaps = pd.concat(parts, ignore_index=True)[GAP_COLUMNS]
    return gaps.astype({c: "int64" for c in ("rank", "gaps", "weak", "documents", "unreadable")})


def _change(before: str, after: str) -> tuple[str, str]:
    """The status change as text, and whether it is an improvement, a decline or not comparable."""
    if before == after:
        return "unchanged", "unchanged" if before != UNREADABLE else "not comparable"
    if UNREADABLE in (before, after):
        return f"{before} -> {after}", "not comparable"
    return f"{before} -> {after}", "improved" if STATUS_RANK[after] > STATUS_RANK[before] else "worsened"


def year_changes(table: pd.DataFrame) -> pd.DataFrame:
    """For every ICS and organisation level with strategies from two or more years, each measure's
    status and score in consecutive years and the change between them. Where one year holds several
    documents of the same ICS and level, every earlier/later pair is compared and named by file."""
    dated = table[table["ics"].notna() & table["year"].notna()]
    rows = []
    for (ics, level), group in dated.groupby(["ics", "organisation_level"], dropna=False, sort=True):
        years = sorted(group["year"].unique())
        for earlier_year, later_year in zip(years, years[1:], strict=False):
            for _, earlier in group[group["year"] == earlier_year].iterrows():
                for _, later in group[group["year"] == later_year].iterrows():
                    for measure in MEASURE_IDS:
                        before, after = earlier[status_column(measure)], later[status_column(measure)]
                        change, direction = _change(before, after)
                        rows.append(
                            {
                                "ics": ics,
                                "organisation_level": level,
                                "earlier_year": earlier_year,
                                "later_year": later_year,
                                "earlier_file": earlier["file"],
                                "later_file": later["file"],
                                "measure": measure,
                                "earlier_status": before,
                                "later_status": after,
                                "earlier_score": earlier[score_column(measure)],
                                "later_score": later[score_column(measure)],
                                "change": change,
                                "direction": direction,
                            }
                        )
    changes = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    changes["score_change"] = (changes["later_score"] - changes["earlier_score"]).round(4)
    numeric = {"earlier_year": "Int64", "later_year": "Int64"} | {
        c: "float64" for c in ("earlier_score", "later_score", "score_change")
    }
    return changes.astype(numeric | {c: "str" for c in CHANGE_COLUMNS if c not in numeric})


def measure_names(reviews: Iterable[DocumentReview]) -> dict[str, str]:
    """Each measure's name as the reviews give it (the taxonomy's), for headings and axis labels."""
    names: dict[str, str] = {}
    for review in reviews:
        names.update({m.id: m.name for m in review.measures if m.id not in names})
    return {m: names.get(m, "") for m in MEASURE_IDS}
