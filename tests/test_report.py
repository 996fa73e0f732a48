import json
from pathlib import Path

from pipeline.models import (
    DocumentReview,
    DocumentSummary,
    Evidence,
    MeasureCoverage,
)
from pipeline.outputs import write_outputs

HOSTILE = "<script>alert('x')</script> & <b>bold</b>"


def _review() -> DocumentReview:
    evidence = Evidence(passage_id="abc-1", pages=[3], heading="<h1>Intro</h1>", text=HOSTILE, score=0.9)
    measures = [
        MeasureCoverage(id="M1", name="Well led", status="evidenced", score=0.9, criteria=[], evidence=[evidence]),
        MeasureCoverage(id="M7", name="Healthy populations", status="no_evidence", score=0.0, criteria=[], evidence=[]),
    ]
    return DocumentReview(
        document=DocumentSummary(id="abc", file="<img src=x>.pdf", ics="Test ICS", title=HOSTILE, pages=3),
        model={"tagger": "ZeroShotTagger"},
        measures=measures,
    )


def test_html_escapes_pdf_text(tmp_path: Path) -> None:
    _, html_path = write_outputs(_review(), tmp_path)
    html = html_path.read_text()
    assert "<script>" not in html and "<img src=x>" not in html and "<h1>Intro" not in html
    assert "&lt;script&gt;alert(" in html


def test_gaps_are_listed_before_the_measures(tmp_path: Path) -> None:
    _, html_path = write_outputs(_review(), tmp_path)
    html = html_path.read_text()
    assert html.index("Measures with no evidence") < html.index('id="summary"')
    gap_section = html[html.index('id="no-evidence"') : html.index('id="summary"')]
    assert "M7 Healthy populations" in gap_section and "M1 Well led" not in gap_section


def test_json_follows_the_contract(tmp_path: Path) -> None:
    json_path, _ = write_outputs(_review(), tmp_path)
    data = json.loads(json_path.read_text())
    assert set(data) == {"document", "model", "measures", "errors", "commitments"}
    assert set(data["document"]) >= {"id", "file", "ics", "title", "pages"}
    assert json_path.name == "img-src-x.abc.json"  # the file name, slugged, then the short id
    evidence = data["measures"][0]["evidence"][0]
    assert set(evidence) == {"passage_id", "pages", "heading", "text", "score", "criteria", "why"}
