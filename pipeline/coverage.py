"""Turns passage tags into a per-document verdict for every measure and criterion.

A measure is ``evidenced`` when enough passages clear its threshold (three by default), ``weak``
when fewer but still several do (two), or when its one passage is all but certain (a thin measure
given a single paragraph), and ``no_evidence`` otherwise; its score is the mean of its best passage
scores. Counting passages, rather than trusting one maximum score, keeps a lone stray passage from
hiding a gap. Criteria follow the same rule with smaller counts (one convincing passage makes a
criterion weak), counting only passages that support their measure, so the verdicts of a document
never contradict each other. Inside a measure the strategy mostly covers, a criterion no passage
credits is still weak on a mention: a supporting passage where it reaches a middling probability.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Literal

from pipeline.models import (
    ClosestPassage,
    CriterionCoverage,
    Document,
    Evidence,
    MeasureCoverage,
    Passage,
    Status,
    Tag,
)
from pipeline.settings import Settings, get_settings
from pipeline.taxonomy import Taxonomy

Level = Literal["ICS", "ORG"]


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
    *,
    level: Level | None = None,
    excluded: Collection[str] = (),
    flag_cuts: Mapping[str, float] | None = None,
) -> list[MeasureCoverage]:
    """Status, score and best evidence for every measure and criterion of one document.

    A criterion counts the passages that support its measure and credit it (``Tag.criteria``),
    so no criterion has evidence under a measure without; ``excluded`` passages (forewords,
    signposts: ``non_evidence``) count for nothing. Twins share one verdict; ``level`` (``ICS``
    or ``ORG``) picks the wording evidence names. A criterion without evidence carries its
    closest passage, and is a confident flag when its measure has no evidence either, or when that
    passage scored below its ``flag_cuts`` entry (by substance id; none: every flag is confident).
    The same cuts decide mentions (``_weak_on_mentions``); without them, nothing is weak on a mention."""
    settings = settings or get_settings()
    by_id = {p.passage_id: p for p in passages}
    counted = [tag for tag in tags if tag.passage_id not in excluded]
    cuts = flag_cuts or {}
    results = []
    for measure in taxonomy.measures:
        threshold = thresholds[measure.id]
        scored = sorted(((tag.scores[measure.id], tag) for tag in counted), key=lambda pair: -pair[0])
        status, score = status_and_score(
            [s for s, _ in scored], threshold, settings.measure_evidenced_passages, settings.measure_weak_passages
        )
        if status == "no_evidence" and scored and scored[0][0] >= settings.measure_single_passage_probability:
            status = "weak"  # one paragraph stated so plainly is no stray
        supporting = [(s, tag) for s, tag in scored if s >= threshold]
        criteria = [
            _criterion(criterion.id, measure.id, status, supporting, counted, by_id, taxonomy, level, settings, cuts)
            for criterion in measure.criteria
        ]
        if status != "no_evidence":
            criteria = _weak_on_mentions(criteria, supporting, by_id, taxonomy, settings, cuts)
        evidence = [
            Evidence(
                passage_id=tag.passage_id,
                pages=by_id[tag.passage_id].pages,
                heading=by_id[tag.passage_id].heading,
                text=by_id[tag.passage_id].text,
                score=round(s, 4),
                criteria=shown_criteria(tag.criteria.get(measure.id, []), taxonomy, level),
            )
            for s, tag in supporting[: settings.evidence_shown]
        ]
        results.append(
            MeasureCoverage(
                id=measure.id,
                name=measure.name,
                status=status,
                score=score,
                criteria=criteria,
                evidence=evidence,
            )
        )
    return results


def shown_criteria(substances: Sequence[str], taxonomy: Taxonomy, level: Level | None) -> list[str]:
    """The criterion ids a passage's credited substances are shown as: the document level's
    wording of each twin pair, or both wordings when the level is not known."""
    shown: list[str] = []
    for substance in substances:
        twin = taxonomy.twin_of(substance)
        shown += [taxonomy.shown_as(substance, level)] if level or twin is None else [substance, twin]
    return shown


def _criterion(
    criterion_id: str,
    measure_id: str,
    measure_status: Status,
    supporting: Sequence[tuple[float, Tag]],
    counted: Sequence[Tag],
    by_id: Mapping[str, Passage],
    taxonomy: Taxonomy,
    level: Level | None,
    settings: Settings,
    flag_cuts: Mapping[str, float],
) -> CriterionCoverage:
    """A criterion's verdict: its probability in each passage supporting its measure (the
    measure's score where a tag has none), counted where the passage credits it."""
    substance = taxonomy.substance_of(criterion_id)
    gated = [
        (tag.criterion_scores.get(substance, s), substance in tag.criteria.get(measure_id, [])) for s, tag in supporting
    ]
    credited = [p for p, credits in gated if credits] if measure_status != "no_evidence" else []
    c_status, _ = status_and_score(
        credited, 0.0, settings.criterion_evidenced_passages, settings.criterion_weak_passages
    )
    top = sorted((p for p, _ in gated), reverse=True)[: settings.criterion_evidenced_passages]
    c_score = round(sum(top) / settings.criterion_evidenced_passages, 4)
    closest = _closest(substance, counted, by_id) if c_status == "no_evidence" else None
    confident = None
    if c_status == "no_evidence":  # under a measure without evidence, the measure's gap flag stands for it
        cut = flag_cuts.get(substance)
        confident = measure_status == "no_evidence" or closest is None or cut is None or closest.score < cut
    return CriterionCoverage(
        id=criterion_id,
        status=c_status,
        score=min(c_score, 1.0),
        twin=taxonomy.twin_of(criterion_id),
        shown_as=taxonomy.shown_as(criterion_id, level),
        closest=closest,
        flag_confident=confident,
    )


def _weak_on_mentions(
    criteria: list[CriterionCoverage],
    supporting: Sequence[tuple[float, Tag]],
    by_id: Mapping[str, Passage],
    taxonomy: Taxonomy,
    settings: Settings,
    flag_cuts: Mapping[str, float],
) -> list[CriterionCoverage]:
    """Inside a measure with at least ``criterion_mention_share`` of its criteria found, a criterion
    no passage credits is ``weak`` when a passage supporting the measure gives it its flag cut and
    at least ``criterion_mention_probability``; that passage is its ``mention``. Why: strategies
    that cover a measure well touch its remaining criteria in passing, in a clause the model scores
    between its flag cut and its credit floor: in the samples such flags were wrong 15 times in 17.
    In a measure mostly without credits the same scores mean a gap far more often (docs/quality.md)."""
    found = sum(1 for c in criteria if c.status != "no_evidence")
    if found < settings.criterion_mention_share * len(criteria):
        return criteria
    weighed = []
    for criterion in criteria:
        substance = taxonomy.substance_of(criterion.id)
        cut = flag_cuts.get(substance)
        if criterion.status == "no_evidence" and cut is not None and supporting:
            score, passage_id = max(
                ((tag.criterion_scores.get(substance, 0.0), tag.passage_id) for _, tag in supporting),
                key=lambda pair: pair[0],  # the first of equals: the passage that best supports the measure
            )
            if score >= max(cut, settings.criterion_mention_probability):
                criterion = criterion.model_copy(
                    update={
                        "status": "weak",
                        "mention": _cited(passage_id, score, by_id),
                        "closest": None,
                        "flag_confident": None,
                    }
                )
        weighed.append(criterion)
    return weighed


def _closest(substance: str, counted: Sequence[Tag], by_id: Mapping[str, Passage]) -> ClosestPassage | None:
    """The passage with the criterion's best probability anywhere in the document, tagged with
    its measure or not: what a reviewer reads to check that the criterion is really absent."""
    scored = [(tag.criterion_scores[substance], tag.passage_id) for tag in counted if substance in tag.criterion_scores]
    if not scored:
        return None
    score, passage_id = max(scored)
    return _cited(passage_id, score, by_id)


def _cited(passage_id: str, score: float, by_id: Mapping[str, Passage]) -> ClosestPassage:
    passage = by_id[passage_id]
    return ClosestPassage(
        passage_id=passage_id, pages=passage.pages, heading=passage.heading, text=passage.text, score=round(score, 4)
    )


def withhold_silence(
    measures: list[MeasureCoverage], document: Document, settings: Settings | None = None
) -> list[MeasureCoverage]:
    """When too much of the document could not be read (``max_unread_page_share`` of its pages with
    content), a measure or criterion without evidence may well be covered on the unread pages: it is
    ``unreadable``, never a gap. Found evidence stands."""
    settings = settings or get_settings()
    if document.unread_share <= settings.max_unread_page_share:
        return measures

    def unless_silent(status: Status) -> Status:
        return "unreadable" if status == "no_evidence" else status

    return [
        measure.model_copy(
            update={
                "status": unless_silent(measure.status),
                "criteria": [c.model_copy(update={"status": unless_silent(c.status)}) for c in measure.criteria],
            }
        )
        for measure in measures
    ]
