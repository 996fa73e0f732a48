"""Scores the register of commitments against the written gold (docs/commitments.md).

    python benchmarks/commitments_eval.py [--reviews DIR] [--gold DIR] [--json]

Without ``--reviews`` it reviews every sample PDF that has a gold register (the real pipeline,
in this process, no pack): ingest, segment, embed, tag, coverage, commitments. With
``--reviews out`` it scores the review JSONs already in that folder (after ``make run``). It
prints, per document and in all, precision and recall of the commitments found, the share of
the found (and matched) ones with the right due date and owner, and, for an earlier strategy
whose gold names its successor, how the audit's "mentioned again" flag agrees with the gold
beside the baseline that says yes to all. ``--json`` prints the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.commitments_audit import semantic_similarity  # noqa: E402
from pipeline.commitments_eval import read_gold, score, score_mentions  # noqa: E402
from pipeline.manifest import collect_items  # noqa: E402
from pipeline.models import DocumentReview  # noqa: E402
from pipeline.review_files import read_reviews  # noqa: E402
from pipeline.settings import get_settings  # noqa: E402

SAMPLES = ROOT / "corpora" / "sample"


def review_samples(names: set[str]) -> dict[str, DocumentReview]:
    """Review the sample PDFs named in the gold, in this process."""
    from pipeline.review import review_item
    from pipeline.versions import current_versions

    settings = get_settings()
    versions = current_versions(settings)
    items = [item for item in collect_items([SAMPLES]) if item.path.name in names]
    return {item.path.name: review_item(item, settings, versions).review for item in items}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=Path, help="folder of review JSONs to score instead of reviewing the samples")
    parser.add_argument(
        "--gold", type=Path, default=SAMPLES / "commitments", help="folder of <name>.gold.json registers"
    )
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args()
    gold = read_gold(args.gold)
    if args.reviews:
        reviews = {r.document.file: r for r in read_reviews(args.reviews) if r.document.file in gold}
    else:
        reviews = review_samples(set(gold))
    scores = score({file: review.commitments for file, review in reviews.items()}, gold)
    settings = get_settings()
    mentions = [
        score_mentions(
            reviews[file],
            reviews[str(record["later"])],
            record["commitments"],  # type: ignore[arg-type]
            semantic_similarity(settings),
            settings.commitment_mention_similarity,
        )
        for file, record in sorted(gold.items())
        if record.get("later") in reviews and file in reviews
    ]
    if args.json:
        report = {"commitments": scores.model_dump(), "mentions": [m.model_dump() for m in mentions]}
        print(json.dumps(report, indent=2))
        return 0
    print(f"{'document':32} {'gold':>5} {'found':>5} {'match':>5} {'prec':>6} {'recall':>6} {'due':>6} {'owner':>6}")
    for d in scores.documents:
        print(
            f"{d.file:32} {d.gold:5} {d.found:5} {d.matched:5} {d.matched / max(d.found, 1):6.3f} "
            f"{d.matched / max(d.gold, 1):6.3f} {d.due_right / max(d.matched, 1):6.3f} "
            f"{d.owner_right / max(d.matched, 1):6.3f}"
        )
    print(
        f"{'all':32} {scores.gold:5} {scores.found:5} {scores.matched:5} "
        f"{scores.precision:6.3f} {scores.recall:6.3f} "
        f"{scores.due_share:6.3f} {scores.owner_share:6.3f}   (F1 {scores.f1:.3f})"
    )
    for m in mentions:
        print(
            f"\nmentioned again, {m.earlier} -> {m.later} "
            f"({m.commitments} commitments, {m.gold_yes} mentioned in the gold; "
            f"threshold {settings.commitment_mention_similarity}):"
        )
        print(
            f"  flagged {m.predicted_yes}: precision {m.precision:.3f}, recall {m.recall:.3f}, "
            f"accuracy {m.accuracy:.3f}, "
            f"AUC {m.auc}; saying yes to all: precision {m.always_yes_precision:.3f}, recall 1.000"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
