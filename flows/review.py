"""The review flow: a batch in which a failing document never stops the rest.
Results are written and stored as each document finishes, so an interrupted batch loses nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.futures import as_completed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import NotSet, quote

from flows.progress import document_finished
from flows.tasks import run_review, run_save, run_write, run_write_index
from pipeline.errors import as_review_error
from pipeline.manifest import BatchItem
from pipeline.models import DocumentReview, Versions
from pipeline.outputs import review_files_current
from pipeline.report import outcome
from pipeline.review import ReviewResult, failed_result
from pipeline.review_files import review_stem
from pipeline.settings import Settings, get_settings
from pipeline.store import finish_run, start_run
from pipeline.store_schema import open_store
from pipeline.taxonomy import load_taxonomy
from pipeline.versions import current_versions

# Annotated: Prefect types a runner by its futures, and the flow decorator expects any kind.
THREADS: TaskRunner[Any] = ThreadPoolTaskRunner(max_workers=2)


@flow(name="review-batch", task_runner=THREADS)
def review_batch(
    items: list[BatchItem],
    out_dir: Path,
    settings: Settings | None = None,
    refresh: bool = False,
    versions: Versions | None = None,
) -> list[DocumentReview]:
    """Review every item on the flow's task runner (two threads unless given another with
    ``review_batch.with_options(task_runner=task_runner_for(settings))``, as the command line does).
    The task that reviews a document also writes its files to ``out_dir`` (JSON, reviewer page and,
    unless ``settings.write_packs`` is off, the pre-briefing pack); the flow stores each result as
    soon as it is ready and writes only files a cached result lacks. Returns the reviews in the
    order of ``items``, after rewriting the folder's ``index.html``. Unchanged documents come
    from the task cache unless ``refresh``. The batch's ``versions`` (built from ``settings`` unless
    given) go to every review, its cache key and the store."""
    settings = settings or get_settings()
    versions = versions or current_versions(settings)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    engine = open_store(settings.database_url, out_dir)
    run_id = start_run(engine, versions, out_dir)
    reviewing = run_review.with_options(refresh_cache=True if refresh else NotSet)
    more_to_read = [index < len(items) - 1 for index in range(len(items))]
    futures = reviewing.map(items, unmapped(settings), unmapped(versions), unmapped(out_dir), more_to_read)
    position = {future: index for index, future in enumerate(futures)}
    reviews: dict[int, DocumentReview] = {}
    for done, future in enumerate(as_completed(futures), start=1):
        item = items[position[future]]
        result = future.result(raise_on_failure=False)
        if not isinstance(result, ReviewResult):
            result = failed_result(item, as_review_error(item.path, result), versions)
        # quote(): Prefect would walk every field of a review (hundreds of passages and tags)
        # looking for futures to resolve, 0.4-0.7 s a call against 0.03 s for the save itself.
        # Prefect unwraps it before the task runs; its type hints do not say so.
        run_save(engine, run_id, quote(result))  # type: ignore[call-overload]
        if not review_files_current(result.review, out_dir, settings.write_packs):
            run_write(quote(result.review), quote(taxonomy), out_dir, settings.write_packs, settings.pack_printer)  # type: ignore[call-overload]
        reviews[position[future]] = result.review
        get_run_logger().info("%d/%d %s: %s", done, len(items), item.path.name, outcome(result.review))
        document_finished(done, len(items), result.review)
    ordered = [reviews[i] for i in range(len(items))]
    finish_run(engine, run_id, documents=len(ordered), failures=sum(1 for r in ordered if r.errors))
    run_write_index(out_dir)
    _publish_summary(ordered, out_dir)
    return ordered


def _publish_summary(reviews: list[DocumentReview], out_dir: Path) -> None:
    create_table_artifact(
        key="review-batch",
        table=[{"file": r.document.file, "outcome": outcome(r), "files": review_stem(r)} for r in reviews],
        description=f"{len(reviews)} documents reviewed into {out_dir}",
    )
    failures = [r for r in reviews if r.errors]
    missing = Counter(m.id for r in reviews for m in r.measures if m.status == "no_evidence")
    lines = [
        f"# Review batch: {len(reviews)} documents, {len(failures)} could not be read",
        "",
        "## Measures most often without evidence",
        *([f"- {measure}: {count} document(s)" for measure, count in missing.most_common()] or ["- none"]),
        "",
        "## Documents that could not be read",
        *([f"- {r.document.file}: {r.errors[0].code}" for r in failures] or ["- none"]),
    ]
    create_markdown_artifact(key="review-batch-summary", markdown="\n".join(lines))
