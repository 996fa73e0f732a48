"""What the command line prints: outcome tables, evaluation tables and the versions behind a
review. Kept apart from ``flows/cli.py`` (which parses options) and cheap to import (rich and the
standard library: ``flows.entry`` prints a finished batch's summary with it): every heavy module is
imported inside the function that needs it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline.stamps import INDEX_FILE

if TYPE_CHECKING:
    from pipeline.evaluate import DetailedReport, EvaluationReport, GapReport
    from pipeline.model_card import ModelCard
    from pipeline.models import DocumentReview
    from pipeline.settings import Settings

MAX_PACKS_LISTED = 5
# Soft wrap: a long path is printed whole on one line, never broken where the terminal ends,
# so it can be copied (and found by a script).
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


class OutcomeRow(NamedTuple):
    """One document's line of the outcome table; ``error`` is the code it ended in, if any."""

    file: str
    outcome: str
    short_id: str
    error: str | None


def outcome_rows(reviews: list[DocumentReview]) -> list[OutcomeRow]:
    from pipeline.report import outcome
    from pipeline.review_files import SHORT_ID_LENGTH

    return [
        OutcomeRow(r.document.file, outcome(r), r.document.id[:SHORT_ID_LENGTH], r.errors[0].code if r.errors else None)
        for r in reviews
    ]


def pack_pages(out: Path, reviews: list[DocumentReview]) -> list[Path]:
    """The pack (HTML) of every review that has one in ``out``."""
    from pipeline.review_files import review_files

    return [
        files.pack_html
        for files in (review_files(r, out) for r in reviews if not r.errors)
        if files.pack_html.is_file()
    ]


def print_nothing_to_do(documents: int, out: Path) -> None:
    console.print(
        f"All {documents} document(s) already reviewed in {out}/ under the current versions; "
        "nothing to do (--force reviews them again)."
    )


def print_outcomes(rows: list[OutcomeRow]) -> int:
    """The table of every document's outcome, then a line counting those that ended in an error
    code; returns that count, which makes the exit status."""
    table = Table("file", "outcome", "short id")  # its files are <file name>.<short id>.*
    for row in rows:
        table.add_row(Text(row.file), Text(row.outcome, style="red" if row.error else ""), row.short_id)
    console.print(table)
    failed = [row.error for row in rows if row.error]
    if failed:
        listed = ", ".join(f"{count} {code}" for code, count in Counter(failed).most_common())
        console.print(
            Text(
                f"{len(failed)} of {len(rows)} document(s) could not be reviewed ({listed}); "
                "their outcomes are above and every other review is written.",
                style="red",
            )
        )
    return len(failed)


def print_where(out: Path, packs: list[Path]) -> None:
    """Where to start reading: the folder's index and, for a few documents, each one's pack."""
    for pack in packs if len(packs) <= MAX_PACKS_LISTED else []:
        console.print(Text(f"Pack: {pack} (and {pack.with_suffix('.pdf').name})"))
    if len(packs) > MAX_PACKS_LISTED:
        console.print(f"{len(packs)} packs (-pack.html, -pack.pdf) beside the reviews, each linked from the index.")
    console.print(Text(f"Index of every review in {out}: {out / INDEX_FILE}"))


def print_audit_current(target: Path, reviews: Path) -> None:
    console.print(f"The audit in {target}/ is up to date with the reviews in {reviews}/ (--force writes it again).")


def print_audit_files(files: dict[str, Path], reviews: Path) -> None:
    """Every file of the audit, then the index of the reviews folder."""
    for name, path in {**files, "index": reviews / INDEX_FILE}.items():
        console.print(f"{name}: {path}")


def print_versions(settings: Settings) -> bool:
    """The package version and what a review made now would record as its versions (taxonomy,
    tagger hash, embedding model, training data, labels, settings digest), read from the model
    card without loading a model. Every scalar of the review's ``model`` block is listed, so a
    field added there shows here too. Returns False when the configured tagger cannot be used."""
    from pipeline import __version__
    from pipeline.errors import ModelCardMismatch, TaxonomyError
    from pipeline.versions import current_versions

    console.print(f"wgll-review {__version__}", highlight=False)
    try:
        summary = current_versions(settings).model_dump()
    except (ModelCardMismatch, TaxonomyError, OSError) as error:
        errors.print(Text(f"No review can be made with these settings: {error}", style="red"))
        return False
    shown = {
        key: value for key, value in summary.items() if key != "pipeline_version" and not isinstance(value, dict | list)
    }
    shown.update(taxonomy_file=settings.taxonomy_path, tagger_file=settings.tagger_path)
    width = max(map(len, shown))
    for key, value in shown.items():
        console.print(Text(f"{key:<{width}}  {value}"))
    return True


def print_reports(reports: dict[str, EvaluationReport]) -> None:
    """One column per model: F1 with (precision/recall) beneath the same measure."""
    names = list(reports)
    table = Table("measure", "support", *[f"{name}\nF1 (P/R)" for name in names])
    first = next(iter(reports.values()))
    for measure, metrics in first.per_measure.items():
        cells = []
        for name in names:
            m = reports[name].per_measure[measure]
            cells.append(f"{m.f1:.3f} ({m.precision:.2f}/{m.recall:.2f})")
        table.add_row(measure, str(metrics.support), *cells)
    for label, attribute in (("macro-F1", "macro_f1"), ("micro-F1", "micro_f1")):
        table.add_row(label, "", *[f"{getattr(reports[n], attribute):.3f}" for n in names])
    console.print(table)


def print_cv(reports: dict[str, DetailedReport]) -> None:
    """The cross-validated comparison: every tagger overall; the last (the trained one) by
    training set and writing style; every tagger's recall by measures per passage, negatives
    tagged and calibration error."""
    print_reports(dict(reports))
    name, last = list(reports.items())[-1]
    columns = {"all": last, **last.by_set, **last.by_writer}
    table = Table("measure", *[f"{column}\n(n={report.n})" for column, report in columns.items()])
    for measure in last.per_measure:
        table.add_row(measure, *[f"{report.per_measure[measure].f1:.3f}" for report in columns.values()])
    table.add_row("macro-F1", *[f"{report.macro_f1:.3f}" for report in columns.values()])
    console.print(f"{name}: F1 by training set and by writing style (out of fold)")
    console.print(table)
    print_details(reports)


def print_details(reports: dict[str, DetailedReport]) -> None:
    """Each report's recall by measures per passage, negatives tagged and calibration error."""
    last = list(reports.values())[-1]
    counts = list(dict.fromkeys(count for report in reports.values() for count in report.recall_by_count))
    table = Table("", *reports)
    for count in counts:
        table.add_row(
            f"recall, {count} measure(s) per passage (n={last.recall_by_count[count].passages})",
            *[f"{r.recall_by_count[count].recall:.3f}" if count in r.recall_by_count else "" for r in reports.values()],
        )
    table.add_row(
        f"passages with no measure tagged anyway (of {last.negatives})",
        *[str(r.negatives_tagged) for r in reports.values()],
    )
    table.add_row(
        "expected calibration error", *[f"{r.calibration.ece:.4f}" if r.calibration else "" for r in reports.values()]
    )
    console.print(table)


def print_before_after(card: ModelCard) -> None:
    """The before/after table of a training run: the previous training set and the new one,
    cross-validated on the same folds."""
    from pipeline.evaluate import EvaluationReport

    if card.before is None:
        console.print("No reviewer verdicts new since the previous model: no before/after comparison.")
        return
    before = EvaluationReport.model_validate(card.before.cv_metrics)
    after = EvaluationReport.model_validate(card.cv_metrics)
    console.print(
        f"Before review: {card.before.n_training_passages} passages; after: {card.n_training_passages} "
        f"({len(card.reviewed_ids)} reviewer verdicts); same {card.cv_folds} grouped folds"
        + ("" if card.before.exact else " (the previous training set could not be rebuilt exactly)")
    )
    print_reports({"before review": before, "after review": after})
    console.print(f"macro-F1 {before.macro_f1:.4f} -> {after.macro_f1:.4f} ({after.macro_f1 - before.macro_f1:+.4f})")


def print_gaps(gaps: GapReport) -> None:
    table = Table("measure", "flag precision", "flag recall", "flagged", "truly absent")
    for measure, metrics in gaps.per_measure.items():
        table.add_row(
            measure, f"{metrics.precision:.2f}", f"{metrics.recall:.2f}", str(metrics.flagged), str(metrics.absent)
        )
    table.add_row("all", f"{gaps.precision:.2f}", f"{gaps.recall:.2f}", "", "")
    console.print(f"Gap detection (no_evidence flags) on {gaps.documents} documents with gold labels:")
    console.print(table)
