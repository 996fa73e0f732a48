"""Tables ``wgll evaluate`` prints about criteria: the models compared by cross-validation, the
shipped models on a labelled file, and criterion verdicts of documents against their gold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from pipeline.labels import LabelledPassage
from pipeline.models import DocumentReview
from pipeline.settings import Settings
from pipeline.taxonomy import Taxonomy


def criteria_results(
    labelled: Sequence[LabelledPassage],
    taxonomy: Taxonomy,
    settings: Settings,
    reviews: Sequence[DocumentReview],
    gold: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """Criterion models compared on the labels, and the shipped ones on the gold documents."""
    from pipeline.criteria import compare_criterion_models

    return {
        "criteria_cv": compare_criterion_models(labelled, taxonomy, settings),
        **document_criteria_results(taxonomy, reviews, gold),
    }


def document_criteria_results(
    taxonomy: Taxonomy, reviews: Sequence[DocumentReview], gold: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The shipped models' criterion verdicts on documents whose gold lists the criteria covered."""
    from pipeline.criteria_eval import score_reviews

    documents = score_reviews(reviews, gold, [c.id for c in taxonomy.criteria])
    return {"criteria_documents": documents.model_dump() if documents else None}


def print_criteria_results(console: Console, results: Mapping[str, Any]) -> None:
    print_criteria_comparison(console, results["criteria_cv"])
    if results["criteria_documents"]:
        print_document_criteria(console, results["criteria_documents"])


def print_criteria_comparison(console: Console, results: dict[str, dict[str, Any]]) -> None:
    table = Table(
        "criterion model",
        "macro-F1",
        "macro P",
        "macro R",
        "micro-F1",
        "criteria",
        "per-document detection F1 (P/R)",
        "flag precision (inside covered measures)",
    )
    for name, result in results.items():
        p = result["passages"]
        d = result.get("per_source_document")
        table.add_row(
            name,
            f"{p['macro_f1']:.3f}",
            f"{p['macro_precision']:.3f}",
            f"{p['macro_recall']:.3f}",
            f"{p['micro_f1']:.3f}",
            str(p["criteria_with_support"]),
            f"{d['detection_f1']:.3f} ({d['detection_precision']:.2f}/{d['detection_recall']:.2f})" if d else "",
            f"{d['flag_precision']:.2f} ({d['flag_precision_inside_covered_measures']:.2f})" if d else "",
        )
    console.print(
        "Criteria, cross-validated on the same folds grouped by source document "
        "(twins as one criterion; each credited only inside its labelled measure):"
    )
    console.print(table)


def print_criteria_passages(console: Console, report: dict[str, Any]) -> None:
    table = Table("criterion", "support", "F1 (P/R)")
    for criterion, m in report["per_criterion"].items():
        if m["support"]:
            table.add_row(criterion, str(m["support"]), f"{m['f1']:.3f} ({m['precision']:.2f}/{m['recall']:.2f})")
    table.add_row(
        "macro",
        str(report["criteria_with_support"]),
        f"{report['macro_f1']:.3f} ({report['macro_precision']:.2f}/{report['macro_recall']:.2f})",
    )
    table.add_row("micro", "", f"{report['micro_f1']:.3f}")
    console.print(table)


def print_document_criteria(console: Console, report: dict[str, Any]) -> None:
    table = Table(
        "documents",
        "criteria judged",
        "detection P",
        "R",
        "F1",
        "no_evidence flags",
        "flag P",
        "flag R",
        "flags in covered measures",
        "their P",
        "confident flags",
        "their P",
        "confident in covered",
        "their P",
    )
    table.add_row(
        *(
            str(report[k]) if isinstance(report[k], int) else f"{report[k]:.2f}"
            for k in (
                "documents",
                "pairs",
                "detection_precision",
                "detection_recall",
                "detection_f1",
                "flags",
                "flag_precision",
                "flag_recall",
                "flags_inside_covered_measures",
                "flag_precision_inside_covered_measures",
                "confident_flags",
                "confident_flag_precision",
                "confident_flags_inside_covered_measures",
                "confident_flag_precision_inside_covered_measures",
            )
        )
    )
    console.print("Criterion verdicts of the documents with a criterion gold:")
    console.print(table)
