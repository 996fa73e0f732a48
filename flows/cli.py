"""The ``wgll`` command line: each command parses its options and makes one call."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli_checks import check_model, checked_items, checked_reviews, existing
from flows.cli_evaluate import evaluate
from flows.cli_feedback import export_review, import_review
from flows.cli_options import (
    EXIT_STATUS,
    DaskAddressOption,
    LabelsOption,
    ModelOption,
    TaggerOption,
    TaskRunnerOption,
    WorkersOption,
    cli_settings,
)
from flows.cli_output import (
    console,
    outcome_rows,
    pack_pages,
    print_audit_current,
    print_audit_files,
    print_before_after,
    print_nothing_to_do,
    print_outcomes,
    print_versions,
    print_where,
)
from flows.cli_records import remember_audit, remember_review
from flows.server_cli import before_flow, server_app
from pipeline.stamps import fs_clock

if TYPE_CHECKING:
    from pipeline.manifest import BatchItem
    from pipeline.models import DocumentReview, Versions
    from pipeline.settings import Settings

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# Prefect's temporary local server gives up after 20 s; on a loaded 2-core machine its first start
# (database migrations) can take longer.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")

app = typer.Typer(
    help="Review ICS digital strategies against What Good Looks Like.", epilog=EXIT_STATUS, no_args_is_help=True
)
command = partial(app.command, epilog=EXIT_STATUS)
app.add_typer(server_app, name="server")


def _show_versions(asked: bool) -> None:
    if asked:
        raise typer.Exit(0 if print_versions(cli_settings()) else 1)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_show_versions,
            help="Print the package version and the versions a review depends on (taxonomy, tagger, "
            "embedding model), then exit.",
        ),
    ] = False,
) -> None:
    """Options that come before the command."""


@command()
def review(
    paths: Annotated[list[Path], typer.Argument(help="PDF files, folders of PDFs, or manifest CSVs.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder for the reviews: <file name>.<short id>.json, .html, -pack.html, -pack.pdf, and index.html.",
        ),
    ] = Path("out"),
    password: Annotated[str | None, typer.Option(help="Password for encrypted PDFs named directly.")] = None,
    workers: WorkersOption = None,
    task_runner: TaskRunnerOption = None,
    dask_address: DaskAddressOption = None,
    embedding_model: ModelOption = None,
    tagger: TaggerOption = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Where embeddings are cached.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Review every document again, even those already done.")
    ] = False,
    skip_missing: Annotated[
        bool, typer.Option("--skip-missing", help="Review the usable paths and list the others, instead of stopping.")
    ] = False,
) -> None:
    """Review every strategy in PATHS through the review_batch flow and write results to --out.

    When every document is already reviewed in --out under the current versions, say so and stop.
    Paths that cannot be reviewed (missing, a folder without a PDF, an unreadable manifest) stop
    the command before it starts (exit status 2), unless --skip-missing lists and skips them. A
    document that ends in an error code makes the exit status 1, once every other review is written."""
    started = fs_clock()  # before anything is read: a file changed after it is not vouched for
    items = checked_items(paths, skip_missing)
    if password:
        items = [item.model_copy(update={"password": item.password or password}) for item in items]
    settings = cli_settings(embedding_model, tagger, cache_dir, workers, task_runner, dask_address)
    check_model(settings)
    from pipeline.index_page import write_index
    from pipeline.uptodate import split_current  # after the checks: a usage error answers at once
    from pipeline.uptodate_record import forget_record
    from pipeline.versions import current_versions

    versions = current_versions(settings)
    if out.is_dir():
        forget_record("review", str(out))
    done, to_do = split_current(items, out, settings, versions)
    if to_do or force:
        reviews = _run_batch(items, out, settings, versions, refresh=force)
    else:
        print_nothing_to_do(len(items), out)
        reviews = done
        write_index(out)
    failed = print_outcomes(outcome_rows(reviews))
    print_where(out, pack_pages(out, reviews))
    if failed:
        raise typer.Exit(1)
    # Only a plain `wgll review PATHS --out OUT` is answered from the record (flows/entry.py).
    if not (skip_missing or any((password, workers, task_runner, dask_address, embedding_model, tagger, cache_dir))):
        remember_review(paths, out, settings, started, (items, done), worked=bool(to_do or force))


def _run_batch(
    items: list[BatchItem], out: Path, settings: Settings, versions: Versions, refresh: bool
) -> list[DocumentReview]:
    """The review_batch flow on the configured task runner, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if settings.task_runner == "threads":
        from pipeline.heap import limit_heap_arenas
        from pipeline.ingest import prepare_reading

        limit_heap_arenas()  # before the batch's threads start
        prepare_reading()  # the first PDF's parsing process starts while Prefect starts the flow
    before_flow(settings)
    from flows.progress import listening
    from flows.review import review_batch
    from flows.runners import task_runner_for

    batch = review_batch.with_options(task_runner=task_runner_for(settings))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task(f"Reviewing {len(items)} document(s) into {out}/", total=len(items))

        def advance(done: int, total: int, finished: DocumentReview) -> None:
            progress.update(bar, completed=done, description=f"Reviewed {finished.document.file}")

        with listening(advance):
            return batch(items, out, settings, refresh=refresh, versions=versions)


@command()
def pack(
    document: Annotated[
        str,
        typer.Argument(
            help="Short name (marlshire-ics-2023.ca795e2f), document id or its start, review JSON, "
            "or strategy file name."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", exists=True, file_okay=False, help="Folder holding the reviews; the pack is written there."
        ),
    ] = Path("out"),
) -> None:
    """Write the reviewer pre-briefing pack of one reviewed document, as HTML and PDF."""
    from pipeline.pack import write_pack
    from pipeline.review_files import locate_review
    from pipeline.taxonomy import load_taxonomy

    try:
        found = locate_review(out, document)
    except LookupError as error:
        raise typer.BadParameter(str(error), param_hint="DOCUMENT") from error
    settings = cli_settings()
    html_path, pdf_path = write_pack(found, load_taxonomy(settings.taxonomy_path), out, settings.pack_printer)
    console.print(f"{html_path}\n{pdf_path}")


@command()
def audit(
    reviews: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="Folder of review JSON files written by `wgll review`.")
    ] = Path("out"),
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for the audit files (default REVIEWS/audit).")
    ] = None,
    task_runner: TaskRunnerOption = None,
    dask_address: DaskAddressOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write the audit again even if the reviews have not changed.")
    ] = False,
) -> None:
    """Audit coverage across documents: ICS x measure matrix (CSV, Parquet), heatmap (PNG, HTML),
    ranked gaps and year-on-year changes (audit_coverage flow). When the audit in --out was written
    from exactly the reviews now in REVIEWS, say so and stop."""
    from pipeline.audit import current_audit
    from pipeline.index_page import write_index
    from pipeline.uptodate_record import forget_record

    started = fs_clock()  # before anything is read: a file changed after it is not vouched for
    target = out or reviews / "audit"
    found = checked_reviews(reviews)
    if target.is_dir():
        forget_record("audit", str(target))
    files = None if force else current_audit(found, target)
    written = files is None
    if files is not None:
        print_audit_current(target, reviews)
        write_index(reviews)
    else:
        from flows.audit import audit_coverage
        from flows.runners import task_runner_for

        settings = cli_settings(task_runner=task_runner, dask_address=dask_address)
        before_flow(settings)
        files = audit_coverage.with_options(task_runner=task_runner_for(settings))(reviews, target)
    print_audit_files(files.model_dump(), reviews)
    # Only a plain `wgll audit [REVIEWS] [--out OUT]` is answered from the record (flows/entry.py).
    if not (task_runner or dask_address):
        remember_audit(reviews, target, started, files, worked=written)


@command()
def train(
    labels: LabelsOption = None,
    output: Annotated[Path | None, typer.Option(help="Where to write the tagger (.joblib).")] = None,
    folds: Annotated[int, typer.Option(min=2, help="Grouped cross-validation folds (fewer is faster, noisier).")] = 5,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the model at --output even if macro-F1 drops.")
    ] = False,
) -> None:
    """Fit the tagger on labelled passages (train_tagger flow) and write it with its model card,
    unless its macro-F1 falls below the previous model's training set on the same folds; the
    criterion model beside it learns from those passages and the whole strategies labelled in
    the document labels file (setting ``document_labels_path``)."""
    settings = cli_settings()
    labels_path = existing(labels or settings.labels_path, "--labels")
    target = output or settings.tagger_path
    from flows.train import train_tagger  # after the checks: a usage error answers at once

    before_flow(settings)
    result = train_tagger(labels_path, target, settings, folds=folds, force=force)
    print_before_after(result.card)
    if not result.saved:
        console.print(f"[red]Kept the model at {target}: {result.refused}.[/red] Use --force to replace it anyway.")
        raise typer.Exit(1)
    console.print(f"Saved {target}; cross-validated macro-F1 {result.card.cv_metrics['macro_f1']}")
    if result.criteria is not None:
        console.print(
            f"Saved the criterion model beside it; cross-validated macro-F1 over criteria "
            f"{result.criteria.cv_metrics['macro_f1']}"
        )


command()(evaluate)
command("export-review")(export_review)
command("import-review")(import_review)
