"""Turns passage tags into a per-document verdict for every measure and criterion.

A measure is ``evidenced`` when enough passages clear its threshold (three by default), ``weak``
when fewer but still several do (two), and ``no_evidence`` otherwise; its score is the mean of
its best passage scores. Counting passages, rather than trusting one maximum score, keeps a lone
stray passage from hiding a gap. Criteria follow the same rule with smaller counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipeline.models import CriterionCoverage, Document, Evidence, MeasureCoverage, Passage, Status, Tag
from pipeline.settings import Settings, get_settings
from pipeline.taxonomy import Taxonomy


def status_and_score(
    scores: Sequence[float], threshold: float, evidenced_at: int, weak_at: int
) -> tuple[Status, float]:
    """The status rule shared by measures and criteria."""
    top = sorted(scores, reverse=True)[:evidenced_at]
    score = round(sum(top) / evidenced_at, 4)
    supporting = sum(1 for s in scores if s >= threshold)
    if supporting >= evidenced_at:
        return "evidenced", score
    return ("weak" if supporting >= weak_at else "no_evidence"), score


def assess_coverage(
    passages: Sequence[Passage],
    tags: Sequence[Tag],
    taxonomy: Taxonomy,
    thresholds: Mapping[str, float],
    settings: Settings | None = None,
) -> list[MeasureCoverage]:
    """Status, score and best evidence for every measure and criterion of one document."""
    settings = settings or get_settings()
    by_id = {p.passage_id: p for p in passages}
    results = []
    for measure in taxonomy.measures:
        threshold = thresholds[measure.id]
        scored = sorted(
            ((tag.scores[measure.id], tag) for tag in tags), key=lambda pair: -pair[0]
        )
        status, score = status_and_score(
            [s for s, _ in scored], threshold, settings.measure_evidenced_passages, settings.measure_weak_passages
        )
        supporting = [(s, tag) for s, tag in scored if s >= threshold]
        criteria = []
        for criterion in measure.criteria:
            criterion_scores = [s for s, tag in supporting if criterion.id in tag.criteria.get(measure.id, [])]
            c_status, c_score = status_and_score(
                criterion_scores, threshold, settings.criterion_evidenced_passages, settings.criterion_weak_passages
            )
            criteria.append(CriterionCoverage(id=criterion.id, status=c_status, score=c_score))
        evidence = [
            Evidence(
                passage_id=tag.passage_id,
                pages=by_id[tag.passage_id].pages,
                heading=by_id[tag.passage_id].heading,
                text=by_id[tag.passage_id].text,
                score=round(s, 4),
                criteria=tag.criteria.get(measure.id, []),
            )
            for s, tag in supporting[: settings.evidence_shown]
        ]
        results.append(
            MeasureCoverage(
                id=measure.id, name=measure.name, status=status, score=score,
                criteria=criteria, evidence=evidence,
            )
        )
    return results


def withhold_silence(measures: list[MeasureCoverage], document: Document, settings: Settings | None = None) -> list[MeasureCoverage]:
    """When too much of the document could not be read (``max_unread_page_share`` of its pages with
    content), a measure or criterion without evidence may well be covered on the unread pages: it is
    ``unreadable``, never a gap. Found evidence stands."""
    settings = settings or get_settings()
    if document.unread_share <= settings.max_unread_page_share:
        return measures

    def unless_silent(status: Status) -> Status:
        return "unreadable" if status == "no_evidence" else status

    return [
        measure.model_copy(update={
            "status": unless_silent(measure.status),
            "criteria": [c.model_copy(update={"status": unless_silent(c.status)}) for c in measure.criteria],
        })
        for measure in measures
    ]
