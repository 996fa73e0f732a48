"""The ``wgll`` command line: each command parses its options and makes one call."""

from __future__ import annotations

import json
import os
import tempfile
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from flows.cli_checks import check_model, checked_items, checked_reviews, existing
from flows.cli_output import (
    console,
    print_before_after,
    print_cv,
    print_gaps,
    print_outcomes,
    print_reports,
    print_versions,
    print_where,
)
from flows.server_cli import before_flow, server_app

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

EXIT_STATUS = (
    "Exit status: 0 when everything asked for was done; 1 when a command ran but part of it failed (a document "
    "ended in an error code such as corrupt, needs_ocr or encrypted, a model was not saved, a file was not "
    "imported); 2 for a usage error, reported before any work starts (an unknown option, a path that does not "
    "exist, a folder without a PDF, a manifest that cannot be read)."
)
app = typer.Typer(
    help="Review ICS digital strategies against What Good Looks Like.", epilog=EXIT_STATUS, no_args_is_help=True
)
command = partial(app.command, epilog=EXIT_STATUS)
app.add_typer(server_app, name="server")

ModelOption = Annotated[str | None, typer.Option(help="sentence-transformers model name or folder.")]
TaggerOption = Annotated[
    Path | None, typer.Option(exists=True, dir_okay=False, help="A fitted tagger (.joblib with its .json card).")
]
LabelsOption = Annotated[
    Path | None,
    typer.Option(exists=True, dir_okay=False, help="Labelled passages (JSONL); default labels/passages.jsonl."),
]


WorkersOption = Annotated[
    int | None,
    typer.Option(min=1, help="Documents reviewed at once: threads, or local Dask worker processes (default 2)."),
]
TaskRunnerOption = Annotated[
    str | None, typer.Option(help="threads (default) or dask (worker processes; see docs/scale-out.md).")
]
DaskAddressOption = Annotated[
    str | None,
    typer.Option(help="Scheduler of a running Dask cluster, e.g. tcp://host:8786 (implies --task-runner dask)."),
]


def _settings(
    embedding_model: str | None = None,
    tagger: Path | None = None,
    cache_dir: Path | None = None,
    workers: int | None = None,
    task_runner: str | None = None,
    dask_address: str | None = None,
) -> Settings:
    """Settings from the environment, with the options given on the command line on top; an invalid
    value is reported as a usage error naming the option."""
    from pydantic import ValidationError

    from pipeline.settings import Settings

    overrides = {
        "embedding_model": embedding_model,
        "tagger_path": tagger,
        "cache_dir": cache_dir,
        "workers": workers,
        "task_runner": "dask" if dask_address and task_runner is None else task_runner,
        "dask_address": dask_address,
    }
    try:
        return Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as error:
        problem = error.errors()[0]
        option = "--" + str(problem["loc"][0]).replace("_", "-")
        raise typer.BadParameter(problem["msg"], param_hint=option) from error


def _show_versions(asked: bool) -> None:
    if asked:
        raise typer.Exit(0 if print_versions(_settings()) else 1)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_show_versions,
            help="Print the package version and the versions a review depends on (taxonomy, tagger, embedding model), then exit.",
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
    items = checked_items(paths, skip_missing)
    if password:
        items = [item.model_copy(update={"password": item.password or password}) for item in items]
    settings = _settings(embedding_model, tagger, cache_dir, workers, task_runner, dask_address)
    check_model(settings)
    from pipeline.index_page import write_index
    from pipeline.uptodate import split_current  # after the checks: a usage error answers at once
    from pipeline.versions import current_versions

    versions = current_versions(settings)
    done, to_do = split_current(items, out, settings, versions)
    if to_do or force:
        reviews = _run_batch(items, out, settings, versions, refresh=force)
    else:
        console.print(
            f"All {len(items)} document(s) already reviewed in {out}/ under the current versions; "
            "nothing to do (--force reviews them again)."
        )
        reviews = done
        write_index(out)
    failed = print_outcomes(reviews)
    print_where(out, reviews)
    if failed:
        raise typer.Exit(1)


def _run_batch(
    items: list[BatchItem], out: Path, settings: Settings, versions: Versions, refresh: bool
) -> list[DocumentReview]:
    """The review_batch flow on the configured task runner, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
            help="Short name (marlshire-ics-2023.ca795e2f), document id or its start, review JSON, or strategy file name."
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
    html_path, pdf_path = write_pack(found, load_taxonomy(_settings().taxonomy_path), out)
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
    from pipeline.index_page import INDEX_FILE, write_index

    target = out or reviews / "audit"
    found = checked_reviews(reviews)
    files = None if force else current_audit(found, target)
    if files is not None:
        console.print(f"The audit in {target}/ is up to date with the reviews in {reviews}/ (--force writes it again).")
        write_index(reviews)
    else:
        from flows.audit import audit_coverage
        from flows.runners import task_runner_for

        settings = _settings(task_runner=task_runner, dask_address=dask_address)
        before_flow(settings)
        files = audit_coverage.with_options(task_runner=task_runner_for(settings))(reviews, target)
    for name, path in {**files.model_dump(), "index": reviews / INDEX_FILE}.items():
        console.print(f"{name}: {path}")


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
    unless its macro-F1 falls below the previous model's training set on the same folds."""
    settings = _settings()
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


@command()
def evaluate(
    passages: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Score the shipped tagger on this JSONL file.")
    ] = None,
    cv: Annotated[
        bool, typer.Option("--cv", help="Cross-validate the baselines and the trained tagger on the labels.")
    ] = False,
    labels: LabelsOption = None,
    gold_dir: Annotated[
        Path,
        typer.Option(
            exists=True, file_okay=False, help="Folder of PDFs with <name>.gold.json, for gap detection (--cv)."
        ),
    ] = Path("corpora/sample"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    embedding_model: ModelOption = None,
    tagger: TaggerOption = None,
) -> None:
    """Measure the tagger: on a labelled file (--passages), or by cross-validation (--cv)."""
    if passages is None and not cv:
        raise typer.BadParameter("give --passages FILE, --cv, or both")
    settings = _settings(embedding_model, tagger)
    check_model(settings)
    labels_path = existing(labels or settings.labels_path, "--labels") if cv else None
    results: dict[str, object] = {}
    if passages is not None:
        from flows.criteria_tables import print_criteria_passages
        from pipeline.criteria import evaluate_criteria_passages
        from pipeline.evaluate import evaluate_passages
        from pipeline.labels import read_labelled
        from pipeline.review import load_components

        components = load_components(settings)
        report = evaluate_passages(passages, components.tagger)
        criteria = evaluate_criteria_passages(
            read_labelled(passages), components.tagger, components.criteria, components.taxonomy
        )
        payload = {
            **report.model_dump(),
            **(
                {"per_criterion": criteria.per_criterion, "criteria": criteria.model_dump(exclude={"per_criterion"})}
                if criteria
                else {}
            ),
        }
        if as_json and not cv:
            print(json.dumps(payload, indent=2, default=lambda m: m.model_dump()))
            return
        results["passages"] = json.loads(json.dumps(payload, default=lambda m: m.model_dump()))
        if not as_json:
            print_reports({str(passages): report})
            if criteria:
                print_criteria_passages(console, criteria.model_dump())
    if labels_path is not None:
        from flows.review import review_batch
        from pipeline.evaluate import score_review_gaps
        from pipeline.labels import read_labelled
        from pipeline.manifest import collect_items
        from pipeline.model_card import read_previous_card
        from pipeline.taxonomy import load_taxonomy
        from pipeline.train import compare_taggers

        taxonomy = load_taxonomy(settings.taxonomy_path)
        labelled = read_labelled(labels_path, taxonomy.measure_ids)
        reports = compare_taggers(labelled, taxonomy, settings, previous=read_previous_card(settings.tagger_path))
        gold = {
            g["file"]: g
            for g in (json.loads(p.read_text()) for p in gold_dir.glob("*.gold.json"))
            if (gold_dir / g["file"]).is_file()
        }
        items = [i for i in collect_items([gold_dir]) if i.path.name in gold]
        before_flow(settings)
        with tempfile.TemporaryDirectory() as out:
            reviews = review_batch(items, Path(out), settings)
        gaps = score_review_gaps(reviews, {f: set(g["absent"]) for f, g in gold.items()}, taxonomy.measure_ids)
        results.update({"cv": {k: v.model_dump() for k, v in reports.items()}, "gaps": gaps.model_dump()})
        from flows.criteria_tables import criteria_results, print_criteria_results

        results.update(criteria_results(labelled, taxonomy, settings, reviews, gold))
        if not as_json:
            console.print(f"Cross-validated on {len(labelled)} passages, 5 folds grouped by source document:")
            print_cv(reports)
            print_gaps(gaps)
            print_criteria_results(console, results)
    if as_json:
        print(json.dumps(results, indent=2))


ReviewsOption = Annotated[
    Path, typer.Option(exists=True, file_okay=False, help="Folder holding the reviews and their store (wgll.sqlite).")
]


@command("export-review")
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

    settings = _settings()
    try:
        paths, count = export_for_review(targets, reviews, out, settings, margin=margin, limit=limit)
    except LookupError as error:
        raise typer.BadParameter(str(error), param_hint="TARGETS") from error
    console.print(f"{count} passage(s) for review:")
    for path in paths:
        console.print(f"  {path}")


@command("import-review")
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

    settings = _settings()
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
