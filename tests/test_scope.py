"""The out-of-scope signs counted on passages and tags, and the reasons given for each one missed.
(Real documents through the real tagger: tests/flows/test_front_door.py and the samples' batch in
tests/flows/test_review.py; thresholds measured by benchmarks/scope_corpus.py.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeline.errors import ReviewTimeout
from pipeline.models import Passage, Tag
from pipeline.review import within_limit
from pipeline.scope import ScopeSigns, scope_reasons, scope_signs
from pipeline.settings import Settings

THRESHOLDS = {"M1": 0.5, "M2": 0.4}
TEXTS = [
    "NHS Marlshire Integrated Care Board and Tamsey Valley Hospitals NHS Foundation Trust agree the plan.",
    "Our shared care record lets clinicians see online what the hospital changed.",
    "The ics folder and the icb setting are file names, not organisations; it is the IT team's data.",
    "Resurfacing of the ring road starts in spring.",
]


def _passages() -> tuple[list[Passage], list[Tag]]:
    passages = [
        Passage(
            passage_id=f"d-{i}",
            document_id="d",
            ordinal=i,
            text=text,
            heading=None,
            pages=[1],
            start_char=0,
            end_char=len(text),
        )
        for i, text in enumerate(TEXTS)
    ]
    scores = [{"M1": 0.9, "M2": 0.1}, {"M1": 0.1, "M2": 0.4}, {"M1": 0.49, "M2": 0.39}, {"M1": 0.0, "M2": 0.0}]
    return passages, [Tag(passage_id=p.passage_id, scores=s) for p, s in zip(passages, scores, strict=False)]


def test_signs_count_organisations_tagged_passages_and_health_words() -> None:
    signs = scope_signs(*_passages(), THRESHOLDS)
    # NHS twice, Integrated Care Board, Hospitals, Foundation Trust, the hospital; lower-case "ics" and
    # "icb" are not names.
    assert signs.organisation_mentions == 6
    assert (signs.passages, signs.tagged, signs.health, signs.digital) == (4, 2, 2, 2)
    assert (signs.tagged_share, signs.health_share, signs.digital_share) == (0.5, 0.5, 0.5)


def test_a_strategy_like_document_has_no_reason() -> None:
    signs = ScopeSigns(passages=60, organisation_mentions=90, tagged=50, health=50, digital=55)
    assert scope_reasons(signs, Settings()) == []


def test_each_missed_sign_is_named_with_its_figures() -> None:
    settings = Settings(
        scope_min_organisation_mentions=3,
        scope_min_health_share=0.2,
        scope_min_digital_share=0.4,
        scope_min_tagged_share=0.1,
    )
    reasons = scope_reasons(
        ScopeSigns(passages=200, organisation_mentions=1, tagged=10, health=20, digital=60), settings
    )
    assert reasons == [
        "it names no health or care organisation (NHS, integrated care system, trust, hospital, social care and the "
        "like: 1 mention)",
        "little health and care language: 20 of its 200 passages (10%) speak of patients, care, clinicians or "
        "health, where a strategy has at least 20%",
        "little digital or data language: 60 of its 200 passages (30%) speak of digital, data or technology, "
        "where a strategy has at least 40%",
        "little of the framework's substance: 10 of its 200 passages (5%) evidence any WGLL measure, where a "
        "strategy has at least 10%",
    ]


def test_a_review_over_its_time_limit_ends_in_timeout() -> None:
    within_limit(Path("plan.pdf"), time.monotonic() + 60, "tagging")
    with pytest.raises(ReviewTimeout, match=r"plan\.pdf: the review took longer .* after tagging") as caught:
        within_limit(Path("plan.pdf"), time.monotonic() - 1, "tagging")
    assert caught.value.code == "timeout"
