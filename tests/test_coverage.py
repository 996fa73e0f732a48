from pipeline.coverage import assess_coverage, status_and_score
from pipeline.models import Passage, Tag
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy


def test_status_counts_passages_above_threshold() -> None:
    assert status_and_score([0.9, 0.8, 0.7, 0.1], 0.5, evidenced_at=3, weak_at=2) == ("evidenced", 0.8)
    assert status_and_score([0.9, 0.6, 0.1], 0.5, evidenced_at=3, weak_at=2)[0] == "weak"
    assert status_and_score([0.9, 0.2, 0.1], 0.5, evidenced_at=3, weak_at=2)[0] == "no_evidence"
    assert status_and_score([0.4, 0.3], 0.5, evidenced_at=3, weak_at=2) == ("no_evidence", round(0.7 / 3, 4))
    assert status_and_score([], 0.5, evidenced_at=3, weak_at=1) == ("no_evidence", 0.0)


def test_evidence_cites_passage_pages_heading_and_criteria() -> None:
    taxonomy = load_taxonomy(Settings().taxonomy_path)
    passages = [
        Passage(
            passage_id=f"d-{i}",
            document_id="d",
            ordinal=i,
            text=f"text {i}",
            heading="3 Foundations",
            pages=[i + 1, i + 2],
            start_char=i * 10,
            end_char=i * 10 + 6,
        )
        for i in range(4)
    ]
    scores = [0.95, 0.9, 0.85, 0.2]
    tags = [
        Tag(
            passage_id=p.passage_id,
            scores={m: (s if m == "M2" else 0.01) for m in taxonomy.measure_ids},
            criteria={"M2": ["M2.ICS.6"]},
        )
        for p, s in zip(passages, scores, strict=False)
    ]
    thresholds = {m: 0.5 for m in taxonomy.measure_ids}
    measures = {m.id: m for m in assess_coverage(passages, tags, taxonomy, thresholds, Settings())}
    m2 = measures["M2"]
    assert m2.status == "evidenced"
    assert [e.passage_id for e in m2.evidence] == ["d-0", "d-1", "d-2"]
    assert m2.evidence[0].pages == [1, 2] and m2.evidence[0].heading == "3 Foundations"
    assert {c.id: c.status for c in m2.criteria}["M2.ICS.6"] == "evidenced"
    assert measures["M5"].status == "no_evidence" and measures["M5"].evidence == []


def _passages(n: int) -> list[Passage]:
    return [
        Passage(
            passage_id=f"d-{i}",
            document_id="d",
            ordinal=i,
            text=f"passage {i}",
            heading="2 Our plans",
            pages=[i + 1],
            start_char=i * 20,
            end_char=i * 20 + 9,
        )
        for i in range(n)
    ]


def _tag(passage: Passage, taxonomy, m2: float, credited: list[str], criterion_scores: dict[str, float]) -> Tag:
    return Tag(
        passage_id=passage.passage_id,
        scores={m: (m2 if m == "M2" else 0.01) for m in taxonomy.measure_ids},
        criteria={"M2": credited} if credited else {},
        criterion_scores=criterion_scores,
    )


def test_no_criterion_has_evidence_under_a_measure_without() -> None:
    """One passage clears M2's threshold and credits net zero: the measure has no evidence
    (one stray passage is not enough), so neither has the criterion."""
    taxonomy = load_taxonomy(Settings().taxonomy_path)
    passages = _passages(3)
    tags = [_tag(passages[0], taxonomy, 0.9, ["M2.ICS.2"], {"M2.ICS.2": 0.8})] + [
        _tag(p, taxonomy, 0.1, [], {"M2.ICS.2": 0.05}) for p in passages[1:]
    ]
    m2 = next(
        m
        for m in assess_coverage(passages, tags, taxonomy, {m: 0.5 for m in taxonomy.measure_ids}, Settings())
        if m.id == "M2"
    )
    assert m2.status == "no_evidence"
    assert all(c.status == "no_evidence" for c in m2.criteria)
    net_zero = next(c for c in m2.criteria if c.id == "M2.ICS.2")
    assert net_zero.closest is not None and net_zero.closest.passage_id == "d-0" and net_zero.closest.score == 0.8


def test_twins_share_a_verdict_and_evidence_names_the_document_level() -> None:
    taxonomy = load_taxonomy(Settings().taxonomy_path)
    passages = _passages(4)
    tags = [_tag(p, taxonomy, 0.9, ["M2.ICS.2"], {"M2.ICS.2": 0.7, "M2.ORG.7": 0.2}) for p in passages]
    thresholds = {m: 0.5 for m in taxonomy.measure_ids}
    for level, shown in (("ORG", ["M2.ORG.2"]), ("ICS", ["M2.ICS.2"]), (None, ["M2.ICS.2", "M2.ORG.2"])):
        m2 = next(
            m for m in assess_coverage(passages, tags, taxonomy, thresholds, Settings(), level=level) if m.id == "M2"
        )
        verdicts = {c.id: c for c in m2.criteria}
        assert verdicts["M2.ICS.2"].status == verdicts["M2.ORG.2"].status == "evidenced"
        assert verdicts["M2.ORG.2"].twin == "M2.ICS.2"
        assert m2.evidence[0].criteria == shown
        assert verdicts["M2.ORG.7"].status == "no_evidence" and verdicts["M2.ORG.7"].closest is not None
    assert verdicts["M2.ORG.7"].closest.score == 0.2


def test_passages_set_aside_count_for_nothing() -> None:
    taxonomy = load_taxonomy(Settings().taxonomy_path)
    passages = _passages(3)
    tags = [_tag(p, taxonomy, 0.9, ["M2.ICS.6"], {"M2.ICS.6": 0.9}) for p in passages]
    thresholds = {m: 0.5 for m in taxonomy.measure_ids}
    kept = {m.id: m for m in assess_coverage(passages, tags, taxonomy, thresholds, Settings())}
    cut = {m.id: m for m in assess_coverage(passages, tags, taxonomy, thresholds, Settings(), excluded={"d-0"})}
    assert kept["M2"].status == "evidenced" and cut["M2"].status == "weak"
    assert "d-0" not in {e.passage_id for e in cut["M2"].evidence}


def test_one_credit_makes_a_criterion_weak_and_two_make_it_evidenced() -> None:
    """Net zero credited by one passage is weak; by two, evidenced; by none, no_evidence with
    the passage that came closest shown beside the flag."""
    taxonomy = load_taxonomy(Settings().taxonomy_path)
    passages = _passages(4)
    thresholds = {m: 0.5 for m in taxonomy.measure_ids}

    def net_zero(credits: list[float], near_miss: float = 0.1):
        scores = [*credits, near_miss, 0.1, 0.1, 0.1]
        tags = [
            _tag(p, taxonomy, 0.9, ["M2.ICS.2"] if i < len(credits) else [], {"M2.ICS.2": x})
            for i, (p, x) in enumerate(zip(passages, scores, strict=False))
        ]
        m2 = next(m for m in assess_coverage(passages, tags, taxonomy, thresholds, Settings()) if m.id == "M2")
        return next(c for c in m2.criteria if c.id == "M2.ICS.2")

    assert net_zero([0.8]).status == "weak"
    assert net_zero([0.8, 0.75]).status == "evidenced"
    flagged = net_zero([], near_miss=0.6)
    assert flagged.status == "no_evidence" and flagged.closest is not None
    assert (flagged.closest.passage_id, flagged.closest.score) == ("d-0", 0.6)


def test_a_measure_given_one_plain_paragraph_is_weak_not_a_gap() -> None:
    """A thin measure: one passage tags M2 at 0.97 and credits net zero at 0.9; at 0.9 the same
    passage would be a stray and M2 a gap."""
    taxonomy = load_taxonomy(Settings().taxonomy_path)
    passages = _passages(3)
    thresholds = {m: 0.5 for m in taxonomy.measure_ids}

    def m2(probability: float):
        tags = [_tag(passages[0], taxonomy, probability, ["M2.ICS.2"], {"M2.ICS.2": 0.9})] + [
            _tag(p, taxonomy, 0.1, [], {"M2.ICS.2": 0.05}) for p in passages[1:]
        ]
        return next(m for m in assess_coverage(passages, tags, taxonomy, thresholds, Settings()) if m.id == "M2")

    thin = m2(0.97)
    assert thin.status == "weak" and {c.id: c.status for c in thin.criteria}["M2.ICS.2"] == "weak"
    assert m2(0.9).status == "no_evidence"


def test_a_mention_makes_a_criterion_weak_only_inside_a_measure_mostly_found() -> None:
    """Every substance of M2 but the ORG-only M2.ORG.9 is credited; a supporting passage gives
    M2.ORG.9 0.5 against a flag cut of 0.4: weak, citing that passage. The same score in a measure
    with a single credit, or under the cut, leaves the flag, with its closest passage."""
    taxonomy = load_taxonomy(Settings().taxonomy_path)
    passages = _passages(3)
    thresholds = {m: 0.5 for m in taxonomy.measure_ids}
    substances = sorted({taxonomy.substance_of(c.id) for c in taxonomy.measure("M2").criteria} - {"M2.ORG.9"})
    cuts = {s: 0.4 for s in [*substances, "M2.ORG.9"]}

    def org9(credited: list[str], mention: float, settings: Settings = Settings()):
        scores = {**{s: 0.95 for s in credited}, "M2.ORG.9": mention}
        tags = [_tag(p, taxonomy, 0.9, credited, scores) for p in passages]
        coverage = assess_coverage(passages, tags, taxonomy, thresholds, settings, flag_cuts=cuts)
        return next(c for m in coverage if m.id == "M2" for c in m.criteria if c.id == "M2.ORG.9")

    mentioned = org9(substances, 0.5)
    assert mentioned.status == "weak" and mentioned.closest is None and mentioned.flag_confident is None
    assert mentioned.mention is not None and (mentioned.mention.passage_id, mentioned.mention.score) == ("d-0", 0.5)
    for flagged in (
        org9(substances[:1], 0.5),
        org9(substances, 0.35),
        org9(substances, 0.5, Settings(criterion_mention_share=1.0)),
    ):
        assert flagged.status == "no_evidence" and flagged.mention is None and flagged.closest is not None
