"""Cross-ICS coverage audit: one matrix of every review's measure statuses, the gaps found most often,
and how each ICS's strategy changed between years; written as CSV, Parquet, a heatmap and one HTML page
that stands alone. Every piece of text taken from reviews is escaped by Jinja2's autoescaping."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from pipeline.commitments_audit import write_commitments_audit
from pipeline.html import html_templates
from pipeline.models import DocumentReview, Record
from pipeline.taxonomy import MEASURE_IDS

UNREADABLE = "unreadable"
STATUSES = ("evidenced", "weak", "no_evidence", UNREADABLE)
# NHS identity colours; evidenced and no_evidence differ in lightness too, not only in hue.
STATUS_COLOURS = {"evidenced": "#005a30", "weak": "#ffb81c", "no_evidence": "#d5281b", UNREADABLE: "#aeb7bd"}
STATUS_TEXT_COLOURS = {"evidenced": "white", "weak": "black", "no_evidence": "white", UNREADABLE: "black"}
STATUS_RANK = {"no_evidence": 0, "weak": 1, "evidenced": 2}
# out_of_scope: the document does not read like a health and care digital strategy (pipeline/scope.py).
DOCUMENT_COLUMNS = ["document_id", "file", "title", "ics", "organisation_level", "year", "error", "out_of_scope"]
NO_ICS = "(ICS not given)"
INPUTS_FILE = "audit-inputs.sha256"


class AuditFiles(Record):
    """Where ``write_audit`` put each output."""

    csv: Path
    parquet: Path
    gaps_csv: Path
    changes_csv: Path
    heatmap_png: Path
    html: Path
    commitments_csv: Path
    revisited_csv: Path


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


def _readable(table: pd.DataFrame) -> pd.Series:
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
    readable = current[_readable(current)]
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
        statuses = group.loc[_readable(group), STATUS_COLUMNS]
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


def document_labels(table: pd.DataFrame) -> list[str]:
    """Row labels "ICS (organisation level, year)"; the file name is added where that is ambiguous."""
    labels = []
    for row in table.itertuples():
        details = ", ".join(str(v) for v in (row.organisation_level, row.year) if not pd.isna(v))
        labels.append(f"{row.ics if not pd.isna(row.ics) else NO_ICS}" + (f" ({details})" if details else ""))
    counts = pd.Series(labels).value_counts()
    return [
        f"{label}: {file}" if counts[label] > 1 else label for label, file in zip(labels, table["file"], strict=False)
    ]


def measure_names(reviews: Iterable[DocumentReview]) -> dict[str, str]:
    """Each measure's name as the reviews give it (the taxonomy's), for headings and axis labels."""
    names: dict[str, str] = {}
    for review in reviews:
        names.update({m.id: m.name for m in review.measures if m.id not in names})
    return {m: names.get(m, "") for m in MEASURE_IDS}


def plot_heatmap(table: pd.DataFrame, names: dict[str, str], path: Path) -> Path:
    """Documents by measure, coloured by status with the score in each cell. The figure grows with
    the rows, so 40 or 400 documents stay legible (rendered with Agg, no display needed)."""
    labels = document_labels(table)
    codes = table[STATUS_COLUMNS].map(STATUSES.index).to_numpy()
    rows = len(table)
    label_inches = 0.075 * max(len(label) for label in labels)
    figure = Figure(figsize=(label_inches + 0.95 * len(MEASURE_IDS) + 0.6, 0.3 * rows + 2.6), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.imshow(
        codes,
        cmap=ListedColormap([STATUS_COLOURS[s] for s in STATUSES]),
        vmin=-0.5,
        vmax=len(STATUSES) - 0.5,
        aspect="auto",
        interpolation="nearest",
    )
    for (row, column), code in np.ndenumerate(codes):
        status = STATUSES[code]
        score = table.iat[row, table.columns.get_loc(SCORE_COLUMNS[column])]
        axes.text(
            column,
            row,
            "–" if status == UNREADABLE else f"{score:.2f}",
            ha="center",
            va="center",
            fontsize=8.5,
            color=STATUS_TEXT_COLOURS[status],
        )
    measure_labels = [f"{m}\n" + textwrap.fill(names[m], 14) for m in MEASURE_IDS]
    axes.set_xticks(range(len(MEASURE_IDS)), labels=measure_labels, fontsize=8.5)
    axes.set_yticks(range(rows), labels=labels, fontsize=9)
    for label in axes.get_yticklabels():
        label.set_parse_math(False)  # a "$" in an ICS name or file is text, not mathtext
    axes.tick_params(top=True, labeltop=True, length=0)
    axes.set_xticks(np.arange(-0.5, len(MEASURE_IDS)), minor=True)
    axes.set_yticks(np.arange(-0.5, rows), minor=True)
    axes.grid(which="minor", color="white", linewidth=1.5)
    axes.tick_params(which="minor", length=0)
    axes.spines[:].set_visible(False)
    documents = f"{rows} document{'s' if rows != 1 else ''}"
    figure.suptitle(f"WGLL measure coverage: {documents} (score = mean of the 3 best passages)", fontsize=11)
    figure.legend(
        handles=[Patch(facecolor=STATUS_COLOURS[s], label=s.replace("_", " ")) for s in STATUSES],
        loc="outside lower center",
        ncol=len(STATUSES),
        frameon=False,
        fontsize=9,
    )
    figure.savefig(path, format="png", dpi=110)
    return path


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with missing values as None, so the template can test them plainly."""
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def _change_groups(changes: pd.DataFrame) -> list[dict[str, Any]]:
    """One entry per compared pair of strategies, holding its seven measure changes."""
    keys = ["ics", "organisation_level", "earlier_year", "later_year", "earlier_file", "later_file"]
    groups = []
    for _, group in changes.groupby(keys, dropna=False, sort=False):
        records = _records(group)
        groups.append({key: records[0][key] for key in keys} | {"measures": {r["measure"]: r for r in records}})
    return groups


def render_audit_html(
    table: pd.DataFrame,
    gaps: pd.DataFrame,
    changes: pd.DataFrame,
    names: dict[str, str],
    heatmap_png: bytes,
    commitments: str = "",
) -> str:
    """The audit page: summary, matrix, ranked gaps, changes, and the heatmap inlined so it stands alone."""
    gap_records = _records(gaps)
    return (
        html_templates()
        .get_template("audit.html")
        .render(
            rows=_records(table),
            ics_count=table["ics"].nunique(),
            unreadable=int((~_readable(table)).sum()),
            out_of_scope=int(table["out_of_scope"].sum()),
            measures=MEASURE_IDS,
            names=names,
            statuses=STATUSES,
            colours=STATUS_COLOURS,
            text_colours=STATUS_TEXT_COLOURS,
            measure_gaps=[r for r in gap_records if r["by"] == "measure"],
            ics_gaps=[r for r in gap_records if r["by"] == "ics"],
            change_groups=_change_groups(changes),
            heatmap=base64.b64encode(heatmap_png).decode("ascii"),
            commitments=commitments,
        )
    )


def write_audit(reviews: Sequence[DocumentReview], out_dir: Path) -> AuditFiles:
    """Write the matrix (CSV, Parquet), ranked gaps, year-on-year changes, heatmap and HTML page."""
    if not reviews:
        raise ValueError("no reviews to audit: run `wgll review` into the folder first")
    out_dir.mkdir(parents=True, exist_ok=True)
    files = audit_files(out_dir)
    (out_dir / INPUTS_FILE).unlink(missing_ok=True)
    table = coverage_table(reviews)
    gaps = ranked_gaps(table)
    changes = year_changes(table)
    names = measure_names(reviews)
    table.to_csv(files.csv, index=False)
    table.to_parquet(files.parquet, index=False)
    gaps.to_csv(files.gaps_csv, index=False)
    changes.to_csv(files.changes_csv, index=False)
    plot_heatmap(table, names, files.heatmap_png)
    section = write_commitments_audit(reviews, files.commitments_csv, files.revisited_csv, names)
    page = render_audit_html(table, gaps, changes, names, files.heatmap_png.read_bytes(), section)
    files.html.write_text(page, encoding="utf-8")
    (out_dir / INPUTS_FILE).write_text(inputs_digest(reviews), encoding="utf-8")  # last: marks the audit complete
    return files


def audit_files(out_dir: Path) -> AuditFiles:
    return AuditFiles(
        csv=out_dir / "audit.csv",
        parquet=out_dir / "audit.parquet",
        gaps_csv=out_dir / "audit-gaps.csv",
        changes_csv=out_dir / "audit-changes.csv",
        heatmap_png=out_dir / "audit-heatmap.png",
        html=out_dir / "audit.html",
        commitments_csv=out_dir / "audit-commitments.csv",
        revisited_csv=out_dir / "audit-commitments-revisited.csv",
    )


def inputs_digest(reviews: Sequence[DocumentReview]) -> str:
    """One hash of every review audited, whatever order they were read in."""
    digest = hashlib.sha256()
    for review in sorted(reviews, key=lambda r: (r.document.id, r.document.file)):
        digest.update(review.model_dump_json().encode())
    return digest.hexdigest()


def current_audit(reviews: Sequence[DocumentReview], out_dir: Path) -> AuditFiles | None:
    """The audit files in ``out_dir`` when they were written, completely, from exactly these
    reviews; None when the audit must be written again."""
    files = audit_files(out_dir)
    marker = out_dir / INPUTS_FILE
    complete = marker.is_file() and all(Path(path).is_file() for path in files.model_dump().values())
    return files if complete and marker.read_text(encoding="utf-8") == inputs_digest(reviews) else None


def _markdown_text(text: str) -> str:
    """Text from reviews shown as literal text in Markdown: HTML escaped, Markdown syntax disarmed."""
    return re.sub(r"([\\`*_\[\]()#|~!])", r"\\\1", html.escape(text))


def audit_markdown(reviews: Sequence[DocumentReview], files: AuditFiles) -> str:
    """A short summary for the Prefect UI: what was audited and the gaps found most often."""
    table = coverage_table(reviews)
    gaps = ranked_gaps(table)
    names = measure_names(reviews)
    unreadable = int((~_readable(table)).sum())
    lines = [
        "# WGLL coverage audit",
        "",
        f"{len(table)} documents ({unreadable} unreadable) from {table['ics'].nunique()} ICSs.",
        "",
        "## Most often missing measures",
        "",
        "Counted over each ICS's latest strategy per organisation level.",
        "",
        "| Rank | Measure | No evidence in | ICSs |",
        "|---|---|---|---|",
    ]
    for gap in gaps[(gaps["by"] == "measure") & (gaps["gaps"] > 0)].itertuples():
        lines.append(
            f"| {gap.rank} | {gap.name} {_markdown_text(names[gap.name])} | {gap.gaps} of {gap.documents} "
            f"| {_markdown_text(gap.gap_in)} |"
        )
    top_ics = gaps[(gaps["by"] == "ics") & (gaps["gaps"] > 0)].head(5)
    lines += ["", "## ICSs with the most gaps", ""] + [
        f"- {_markdown_text(row.name)}: {row.gaps} gap{'s' if row.gaps != 1 else ''} ({row.gap_in})"
        for row in top_ics.itertuples()
    ]
    lines += ["", f"Full audit: `{files.html}` (matrix: `{files.csv}`, `{files.parquet}`)."]
    return "\n".join(lines) + "\n"
