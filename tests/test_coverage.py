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
        Passage(passage_id=f"d-{i}", document_id="d", ordinal=i, text=f"text {i}", heading="3 Foundations",
                pages=[i + 1, i + 2], start_char=i * 10, end_char=i * 10 + 6)
        for i in range(4)
    ]
    scores = [0.95, 0.9, 0.85, 0.2]
    tags = [
        Tag(passage_id=p.passage_id, scores={m: (s if m == "M2" else 0.01) for m in taxonomy.measure_ids},
            criteria={"M2": ["M2.ICS.6"]})
        for p, s in zip(passages, scores)
    ]
    thresholds = {m: 0.5 for m in taxonomy.measure_ids}
    measures = {m.id: m for m in assess_coverage(passages, tags, taxonomy, thresholds, Settings())}
    m2 = measures["M2"]
    assert m2.status == "evidenced"
    assert [e.passage_id for e in m2.evidence] == ["d-0", "d-1", "d-2"]
    assert m2.evidence[0].pages == [1, 2] and m2.evidence[0].heading == "3 Foundations"
    assert {c.id: c.status for c in m2.criteria}["M2.ICS.6"] == "evidenced"
    assert measures["M5"].status == "no_evidence" and measures["M5"].evidence == []
