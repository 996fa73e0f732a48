"""``wgll export-review`` and ``import-review``: the reviewer loop, passages worth a look out
as CSV and Label Studio tasks, reviewers' verdicts back into the labelled passages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flows.cli_checks import existing
from flows.cli_options import LabelsOption, ReviewsOption, cli_settings
from flows.cli_output import console


def export_review(
    targets: Annotated[
        list[str],
        typer.Argument(help="Run ids (numbers) or documents (short name, id or its start, review JSON, file name)."),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="CSV to write; Label Studio tasks (.json) and config (.label-config.xml) go beside it."
        ),
    ],
    reviews: ReviewsOption = Path("out"),
    margin: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Scores this close to a threshold count as uncertain.")
    ] = 0.1,
    limit: Annotated[int, typer.Option(min=0, help="Most passages chosen besides the evidence of weak measures.")] = 50,
) -> None:
    """Write the passages most worth a reviewer's look (near a threshold, zero-shot and trained
    taggers disagreeing, evidence behind a weak verdict) as CSV and Label Studio tasks."""
    from pipeline.feedback import export_for_review

    settings = cli_settings()
    try:
        paths, count = export_for_review(targets, reviews, out, settings, margin=margin, limit=limit)
    except LookupError as error:
        raise typer.BadParameter(str(error), param_hint="TARGETS") from error
    console.print(f"{count} passage(s) for review:")
    for path in paths:
        console.print(f"  {path}")


def import_review(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A filled-in review CSV, or a Label Studio JSON export.")
    ],
    reviews: ReviewsOption = Path("out"),
    labels: LabelsOption = None,
    reviewer: Annotated[str | None, typer.Option(help="Reviewer id for verdicts that name none.")] = None,
) -> None:
    """Check a reviewer's verdicts and add them to the labelled passages as `reviewed`; a verdict
    contradicting an earlier label is listed, never written over it (exit status 1)."""
    from pipeline.errors import ReviewFileError
    from pipeline.feedback import import_verdicts

    settings = cli_settings()
    target = existing(labels or settings.labels_path, "--labels")
    try:
        report = import_verdicts(file, reviews, target, settings, reviewer or "")
    except LookupError as error:
        raise typer.BadParameter(str(error), param_hint="--reviews") from error
    except ReviewFileError as error:
        console.print(str(error), markup=False, highlight=False, style="red")
        raise typer.Exit(1) from error
    console.print(
        f"{len(report.added)} verdict(s) added to {target}; {report.unchanged} already labelled the same way."
    )
    if report.conflicts:
        table = Table("row", "passage", "verdict", "earlier label", "of", "origin")
        for c in report.conflicts:
            table.add_row(
                c.where,
                c.passage_id,
                ", ".join(c.verdict) or "none",
                ", ".join(c.earlier) or "none",
                c.earlier_id,
                c.earlier_origin,
            )
        console.print(
            f"{len(report.conflicts)} verdict(s) contradict an earlier label and were not written "
            f"(edit {target} by hand to settle them):"
        )
        console.print(table)
        raise typer.Exit(1)
