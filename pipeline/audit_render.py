"""The cross-ICS coverage audit drawn for people: the heatmap (documents by measure, coloured by
status), the HTML page that stands alone, and the short Markdown summary for the Prefect UI. Every
piece of text taken from reviews is escaped: by Jinja2's autoescaping in the page, by hand in the
Markdown."""

from __future__ import annotations

import base64
import html
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from pipeline.audit_tables import (
    NO_ICS,
    SCORE_COLUMNS,
    STATUS_COLUMNS,
    STATUSES,
    UNREADABLE,
    coverage_table,
    measure_names,
    ranked_gaps,
    readable_rows,
)
from pipeline.html import html_templates
from pipeline.models import DocumentReview
from pipeline.taxonomy import MEASURE_IDS

# NHS identity colours; evidenced and no_evidence differ in lightness too, not only in hue.
STATUS_COLOURS = {"evidenced": "#005a30", "weak": "#ffb81c", "no_evidence": "#d5281b", UNREADABLE: "#aeb7bd"}
STATUS_TEXT_COLOURS = {"evidenced": "white", "weak": "black", "no_evidence": "white", UNREADABLE: "black"}


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
            unreadable=int((~readable_rows(table)).sum()),
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


def _markdown_text(text: str) -> str:
    """Text from reviews shown as literal text in Markdown: HTML escaped, Markdown syntax disarmed."""
    return re.sub(r"([\\`*_\[\]()#|~!])", r"\\\1", html.escape(text))


def audit_markdown(reviews: Sequence[DocumentReview], page: Path, matrix: Sequence[Path]) -> str:
    """A short summary for the Prefect UI: what was audited and the gaps found most often, with
    where the audit's ``page`` and ``matrix`` files are."""
    table = coverage_table(reviews)
    gaps = ranked_gaps(table)
    names = measure_names(reviews)
    unreadable = int((~readable_rows(table)).sum())
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
    lines += ["", f"Full audit: `{page}` (matrix: {', '.join(f'`{path}`' for path in matrix)})."]
    return "\n".join(lines) + "\n"
