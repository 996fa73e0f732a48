"""Is the document a health and care digital or data strategy at all? The tagger scores any text
against the seven measures, and a digital strategy of a ministry or a research strategy of a
trust earns some "evidenced" verdicts; a reviewer must be told plainly that such a document is
out of scope, and why, before reading its verdicts (which are still computed and shown).

Four signs, each measured on the review's own passages and thresholded by settings chosen on
the real-world corpus and the samples (benchmarks/scope_corpus.py): a health or care
organisation is named; a fair share of the passages uses the language of health and care; a
fair share uses the language of digital, data and technology; some passages evidence a measure.
Any sign missed makes the document out of scope, and the warning names each one missed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.models import Document, Passage, ReviewWarning, Tag
from pipeline.settings import Settings

# Organisations of the health and care system; the acronyms only in capitals ("ICS", not "ics").
ORGANISATIONS = re.compile(
    r"\b(?:NHS|ICS|ICB|ICP|CCG|PCN)s?\b|(?i:\b(?:integrated care (?:system|board|partnership)"
    r"|clinical commissioning group|(?:foundation|hospital|ambulance|mental health|community|acute) trust"
    r"|primary care network|gp practice|general practice|hospital|hospice|care home|social care"
    r"|health and (?:social )?care (?:partnership|system|organisation|provider)|health board"
    r"|public health|local authorit(?:y|ies))s?\b)"
)
# Words of health and care work, to tell a care strategy from one that mentions the NHS in passing.
HEALTH_TERMS = re.compile(
    r"(?i:\b(?:patients?|clinical|clinicians?|health|healthcare|hospitals?|care|carers?|nurs(?:e|es|ing)"
    r"|gps?|medicines?|medical|wellbeing|treatment|diagnos\w*|pathways?|residents?|citizens?)\b)"
)

# Words of digital, data and technology work; the acronyms only in capitals ("IT", not "it").
DIGITAL_TERMS = re.compile(
    r"\b(?:IT|ICT|AI|EPR)\b|(?i:\b(?:digital\w*|data(?:sets?|bases?)?|technolog\w*|electronic|online|cyber\w*"
    r"|software|apps?|cloud|interoperab\w*|informatics|infrastructure|devices?|platforms?|portals?|analytics"
    r"|automat\w*|artificial intelligence|broadband|wi-?fi|computers?)\b)"
)


@dataclass(frozen=True)
class ScopeSigns:
    """What the scope check measured on one document."""

    passages: int
    organisation_mentions: int
    tagged: int  # passages scoring at or above some measure's threshold
    health: int  # passages using health and care words
    digital: int  # passages using digital, data and technology words

    @property
    def tagged_share(self) -> float:
        return self.tagged / self.passages if self.passages else 0.0

    @property
    def health_share(self) -> float:
        return self.health / self.passages if self.passages else 0.0

    @property
    def digital_share(self) -> float:
        return self.digital / self.passages if self.passages else 0.0


def scope_signs(passages: Sequence[Passage], tags: Sequence[Tag], thresholds: Mapping[str, float]) -> ScopeSigns:
    scores = {tag.passage_id: tag.scores for tag in tags}
    tagged = sum(
        1
        for p in passages
        if any(score >= thresholds[m] for m, score in scores.get(p.passage_id, {}).items() if m in thresholds)
    )
    return ScopeSigns(
        passages=len(passages),
        organisation_mentions=sum(len(ORGANISATIONS.findall(p.text)) for p in passages),
        tagged=tagged,
        health=sum(1 for p in passages if HEALTH_TERMS.search(p.text)),
        digital=sum(1 for p in passages if DIGITAL_TERMS.search(p.text)),
    )


def scope_reasons(signs: ScopeSigns, settings: Settings) -> list[str]:
    """Why the document does not read like a health and care digital or data strategy; empty
    when it does."""
    reasons = []
    if signs.organisation_mentions < settings.scope_min_organisation_mentions:
        reasons.append(
            f"it names no health or care organisation (NHS, integrated care system, trust, hospital, social care "
            f"and the like: {signs.organisation_mentions} mention{'s' if signs.organisation_mentions != 1 else ''})"
        )
    if signs.health_share < settings.scope_min_health_share:
        reasons.append(
            f"little health and care language: {signs.health} of its {signs.passages} passages "
            f"({signs.health_share:.0%}) speak of patients, care, clinicians or health, where a strategy has at "
            f"least {settings.scope_min_health_share:.0%}"
        )
    if signs.digital_share < settings.scope_min_digital_share:
        reasons.append(
            f"little digital or data language: {signs.digital} of its {signs.passages} passages "
            f"({signs.digital_share:.0%}) speak of digital, data or technology, where a strategy has at least "
            f"{settings.scope_min_digital_share:.0%}"
        )
    if signs.tagged_share < settings.scope_min_tagged_share:
        reasons.append(
            f"little of the framework's substance: {signs.tagged} of its {signs.passages} passages "
            f"({signs.tagged_share:.0%}) evidence any WGLL measure, where a strategy has at least "
            f"{settings.scope_min_tagged_share:.0%}"
        )
    return reasons


def scope_warnings(
    document: Document,
    passages: Sequence[Passage],
    tags: Sequence[Tag],
    thresholds: Mapping[str, float],
    settings: Settings,
) -> list[ReviewWarning]:
    """An ``out_of_scope`` warning naming why, or nothing."""
    reasons = scope_reasons(scope_signs(passages, tags, thresholds), settings)
    if not reasons:
        return []
    message = (
        f"{document.file} does not read like a health and care digital or data strategy: {'; '.join(reasons)}. "
        "Its verdicts are computed as for any strategy, but read them as the tagger's view of a document outside the "
        "framework, not as gaps."
    )
    return [ReviewWarning(code="out_of_scope", message=message)]
