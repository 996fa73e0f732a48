"""Scores a register of commitments against a written gold (docs/commitments.md): precision and
recall of the commitments found, and how many of those found carry the right due date and owner.
A found commitment matches a gold one when it contains the gold's text (case, spacing, quotes
and dashes aside); each side is matched at most once, in reading order."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel

from pipeline.commitments_audit import Similarity, closest
from pipeline.due_dates import same_due
from pipeline.models import Commitment, DocumentReview

DETERMINERS = re.compile(r"^(?:the|each|every|all|our|both|a|an)\s+")


def normalise(text: str) -> str:
    """Text as compared: lower case, one space, straight quotes, plain hyphens."""
    text = re.sub(r"[\u2018\u2019]", "'", re.sub(r"[\u201c\u201d]", '"', text))
    return " ".join(re.sub(r"[\u2010-\u2015]", "-", text).lower().split())


def read_gold(folder: Path) -> dict[str, dict[str, object]]:
    """The gold registers in ``folder`` (``<name>.gold.json``), keyed by the PDF file they describe."""
    records = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.gold.json"))]
    return {record["file"]: record for record in records}


def match(found: Sequence[Commitment], gold: Sequence[Mapping[str, object]]) -> list[tuple[int, int]]:
    """Pairs (found index, gold index): each gold text inside at most one found commitment."""
    texts = [normalise(c.text) for c in found]
    used: set[int] = set()
    pairs = []
    for g, entry in enumerate(gold):
        wanted = normalise(str(entry["text"]))
        for f, text in enumerate(texts):
            if f not in used and wanted in text:
                used.add(f)
                pairs.append((f, g))
                break
    return pairs


def same_owner(found: str | None, gold: object) -> bool:
    """Owners agree when both are absent or one names the other ("partners", "All NHS partners")."""
    if found is None or gold is None:
        return found is None and gold is None
    a, b = (DETERMINERS.sub("", normalise(str(x))) for x in (found, gold))
    return a in b or b in a


class DocumentScore(BaseModel):
    file: str
    gold: int
    found: int
    matched: int
    due_right: int
    owner_right: int
    missed: list[str] = []
    extra: list[str] = []
    wrong_due: list[str] = []


class CommitmentScores(BaseModel):
    """Totals over the documents, and each document's counts and mistakes."""

    gold: int
    found: int
    matched: int
    precision: float
    recall: float
    f1: float
    due_share: float
    owner_share: float
    documents: list[DocumentScore]


def score_document(file: str, found: Sequence[Commitment], gold: Sequence[Mapping[str, object]]) -> DocumentScore:
    pairs = match(found, gold)
    matched_found = {f for f, _ in pairs}
    matched_gold = {g for _, g in pairs}
    wrong = [(found[f], gold[g]) for f, g in pairs if not same_due(found[f].due, gold[g].get("due"))]  # type: ignore[arg-type]
    return DocumentScore(
        file=file,
        gold=len(gold),
        found=len(found),
        matched=len(pairs),
        due_right=len(pairs) - len(wrong),
        owner_right=sum(same_owner(found[f].owner, gold[g].get("owner")) for f, g in pairs),
        missed=[str(e["text"]) for i, e in enumerate(gold) if i not in matched_gold],
        extra=[c.text for i, c in enumerate(found) if i not in matched_found],
        wrong_due=[f"{c.due} (gold {e.get('due')}): {e['text']}" for c, e in wrong],
    )


def score(found: Mapping[str, Sequence[Commitment]], gold: Mapping[str, Mapping[str, object]]) -> CommitmentScores:
    """Scores over every gold document (a document with no register found counts as nothing found)."""
    documents = [
        score_document(file, found.get(file, []), record["commitments"])  # type: ignore[arg-type]
        for file, record in sorted(gold.items())
    ]
    g, f, m = (sum(getattr(d, k) for d in documents) for k in ("gold", "found", "matched"))
    precision, recall = (m / f if f else 0.0), (m / g if g else 0.0)
    return CommitmentScores(
        gold=g,
        found=f,
        matched=m,
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(2 * precision * recall / (precision + recall), 4) if m else 0.0,
        due_share=round(sum(d.due_right for d in documents) / m, 4) if m else 0.0,
        owner_share=round(sum(d.owner_right for d in documents) / m, 4) if m else 0.0,
        documents=documents,
    )


class MentionScores(BaseModel):
    """How well "mentioned again" agrees with the gold over an earlier strategy's commitments
    (those matched to the gold, dated or not), beside the baseline that says yes to all."""

    earlier: str
    later: str
    commitments: int
    gold_yes: int
    predicted_yes: int
    precision: float
    recall: float
    accuracy: float
    auc: float | None
    always_yes_precision: float


def score_mentions(
    earlier: DocumentReview,
    later: DocumentReview,
    gold: Sequence[Mapping[str, object]],
    similarity: Similarity,
    threshold: float,
) -> MentionScores:
    """Score the audit's "mentioned again" flag (closest later sentence at or above ``threshold``)."""
    from sklearn.metrics import roc_auc_score

    pairs = [(f, g) for f, g in match(earlier.commitments, gold) if "mentioned_again" in gold[g]]
    truth = [bool(gold[g]["mentioned_again"]) for _, g in pairs]
    scores = [score for _, _, score in closest([earlier.commitments[f].text for f, _ in pairs], later, similarity)]
    predicted = [score >= threshold for score in scores]
    hits = sum(p and t for p, t in zip(predicted, truth, strict=True))
    n, yes, said = len(pairs), sum(truth), sum(predicted)
    return MentionScores(
        earlier=earlier.document.file,
        later=later.document.file,
        commitments=n,
        gold_yes=yes,
        predicted_yes=said,
        precision=round(hits / said, 4) if said else 0.0,
        recall=round(hits / yes, 4) if yes else 0.0,
        accuracy=round(sum(p == t for p, t in zip(predicted, truth, strict=True)) / n, 4) if n else 0.0,
        auc=round(float(roc_auc_score(truth, scores)), 4) if 0 < yes < n else None,
        always_yes_precision=round(yes / n, 4) if n else 0.0,
    )
