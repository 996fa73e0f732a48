"""``wgll evaluate``: the tagger and the criterion model scored on a labelled file; on strategies
with a gold (``--gold-dir``: the shipped models review them through the review flow and their
gap flags and criterion verdicts are scored); or by cross-validation, with the same document
check on the sample strategies."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli_checks import check_model, existing
from flows.cli_options import LabelsOption, ModelOption, TaggerOption, cli_settings
from flows.cli_output import console, print_cv, print_details, print_gaps, print_reports
from flows.server_cli import before_flow

if TYPE_CHECKING:
    from pipeline.evaluate import GapReport
    from pipeline.manifest import BatchItem
    from pipeline.models import DocumentReview
    from pipeline.settings import Settings
    from pipeline.taxonomy import Taxonomy


def evaluate(
    passages: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Score the shipped tagger on this JSONL file.")
    ] = None,
    cv: Annotated[
        bool, typer.Option("--cv", help="Cross-validate the baselines and the trained tagger on the labels.")
    ] = False,
    labels: LabelsOption = None,
    gold_dir: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            file_okay=False,
            help="Folder of PDFs with <name>.gold.json: review them with the shipped models and score their "
            "gap flags and criterion verdicts (with --cv: default corpora/sample).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    embedding_model: ModelOption = None,
    tagger: TaggerOption = None,
) -> None:
    """Measure the tagger: on a labelled file (--passages), on strategies with a gold (--gold-dir),
    or by cross-validation (--cv)."""
    if passages is None and gold_dir is None and not cv:
        raise typer.BadParameter("give --passages FILE, --gold-dir DIR or --cv (or several)")
    settings = cli_settings(embedding_model, tagger)
    check_model(settings)
    labels_path = existing(labels or settings.labels_path, "--labels") if cv else None
    gold_folder = gold_dir or (Path("corpora/sample") if cv else None)
    gold_items = _gold_items(gold_folder) if gold_folder else None
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
        if as_json and not cv and gold_dir is None:
            print(json.dumps(payload, indent=2, default=lambda m: m.model_dump()))
            return
        results["passages"] = json.loads(json.dumps(payload, default=lambda m: m.model_dump()))
        if not as_json:
            print_reports({str(passages): report})
            print_details({str(passages): report})
            if criteria:
                print_criteria_passages(console, criteria.model_dump())
    if labels_path is not None:
        from flows.criteria_tables import criteria_results, print_criteria_results
        from pipeline.criteria import criterion_labels
        from pipeline.embed import seed_cache
        from pipeline.explain import labelled_vectors_path
        from pipeline.labels import read_labelled
        from pipeline.model_card import read_previous_card
        from pipeline.taxonomy import load_taxonomy
        from pipeline.train import compare_taggers

        taxonomy = load_taxonomy(settings.taxonomy_path)
        labelled = read_labelled(labels_path, taxonomy.measure_ids)
        seed_cache(labelled_vectors_path(settings.tagger_path), settings)
        reports = compare_taggers(labelled, taxonomy, settings, previous=read_previous_card(settings.tagger_path))
        assert gold_items is not None
        gold, reviews, gaps = _review_gold(*gold_items, settings, taxonomy)
        results.update({"cv": {k: v.model_dump() for k, v in reports.items()}, "gaps": gaps.model_dump()})
        results.update(
            criteria_results(criterion_labels(labelled, taxonomy, settings), taxonomy, settings, reviews, gold)
        )
        if not as_json:
            console.print(f"Cross-validated on {len(labelled)} passages, 5 folds grouped by source document:")
            print_cv(reports)
            print_gaps(gaps)
            print_criteria_results(console, results)
    elif gold_items is not None:
        from flows.criteria_tables import document_criteria_results, print_document_criteria
        from pipeline.taxonomy import load_taxonomy

        taxonomy = load_taxonomy(settings.taxonomy_path)
        gold, reviews, gaps = _review_gold(*gold_items, settings, taxonomy)
        documents = document_criteria_results(taxonomy, reviews, gold)
        results.update({"gaps": gaps.model_dump(), **documents})
        if not as_json:
            print_gaps(gaps)
            if documents["criteria_documents"]:
                print_document_criteria(console, documents["criteria_documents"])
    if as_json:
        print(json.dumps(results, indent=2))


def _gold_items(gold_dir: Path) -> tuple[dict[str, Any], list[BatchItem]]:
    """The gold of ``gold_dir`` and its PDFs that have one; a usage error, before any work,
    when there are none."""
    from pipeline.evaluate import read_gold
    from pipeline.manifest import collect_items

    gold = read_gold(gold_dir)
    items = [i for i in collect_items([gold_dir]) if i.path.name in gold]
    if not items:
        raise typer.BadParameter(f"{gold_dir} holds no PDF with a <name>.gold.json beside it", param_hint="--gold-dir")
    return gold, items


def _review_gold(
    gold: dict[str, Any], items: list[BatchItem], settings: Settings, taxonomy: Taxonomy
) -> tuple[dict[str, Any], list[DocumentReview], GapReport]:
    """Review the strategies that have a gold, in a throwaway folder, and score their measure gap
    flags; the gold and the reviews are returned for the criterion tables. Every document is
    reviewed afresh (no cached review: a measurement is of the code as it is now), without packs."""
    from flows.review import review_batch
    from pipeline.evaluate import score_review_gaps

    before_flow(settings)
    with tempfile.TemporaryDirectory() as out:
        reviews = review_batch(items, Path(out), settings.model_copy(update={"write_packs": False}), refresh=True)
    absent = {f: set(g["absent"]) for f, g in gold.items()}
    return gold, reviews, score_review_gaps(reviews, absent, taxonomy.measure_ids)
