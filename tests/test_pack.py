"""The pre-briefing pack: what a reviewer reads before a visit, in HTML and PDF, from hostile text."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from markupsafe import escape

from pipeline.models import (
    ClosestPassage,
    CriterionCoverage,
    DocumentReview,
    DocumentSummary,
    Evidence,
    LabelledNeighbour,
    MeasureCoverage,
    ReviewErrorRecord,
    Status,
    Why,
)
from pipeline.pack import render_pack_html, write_pack
from pipeline.pack_pdf import PrintFailed, chromium_path, print_pdf
from pipeline.settings import PackPrinter, get_settings
from pipeline.taxonomy import Taxonomy, load_taxonomy

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
GENERATED = date(2026, 11, 23)
# A system strategy strong on leadership and foundations, weak on safe practice and staff,
# silent on citizens and population health.
MEASURE_STATUS: dict[str, Status] = {
    "M1": "evidenced",
    "M2": "evidenced",
    "M3": "weak",
    "M4": "weak",
    "M5": "no_evidence",
    "M6": "evidenced",
    "M7": "no_evidence",
}
MODEL = {
    "pipeline_version": "0.1.0",
    "tagger": "MeasureTagger",
    "tagger_hash": "062d86d8b43ffdeef1b5ceb7d73096dd955fdcd5e50613ded75c1ca1cfc13268",
    "taxonomy_version": "1.0",
    "embedding_model": "sentence-transformers/all-MiniLM-L6-v2",
    "training_data_hash": "388e21e5310c945c17297740b4f4bf54d2143abd209f567712e406daac5d6919",
    "thresholds": {"M1": 0.324, "M2": 0.367, "M3": 0.378, "M4": 0.354, "M5": 0.384, "M6": 0.346, "M7": 0.402},
    "cv_macro_f1": 0.802,
    "created": "2026-11-22T10:00:00",
}


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(get_settings().taxonomy_path)


def _criterion_status(measure_status: Status, level: str, ordinal: int) -> Status:
    """ICS criteria follow the measure; ORG criteria are mostly silent in a system strategy."""
    if measure_status == "no_evidence" or level == "ORG":
        return "weak" if measure_status == "evidenced" and ordinal == 1 else "no_evidence"
    if measure_status == "weak":
        return "weak" if ordinal == 1 else "no_evidence"
    return "evidenced" if ordinal <= 2 else "weak"


def _review(taxonomy: Taxonomy) -> DocumentReview:
    measures = []
    for measure in taxonomy.measures:
        status = MEASURE_STATUS[measure.id]
        criteria = []
        for criterion in measure.criteria:
            ordinal = int(criterion.id.rsplit(".", 1)[1])
            c_status = _criterion_status(status, criterion.level, ordinal)
            c_score = {"evidenced": 0.71, "weak": 0.42, "no_evidence": 0.12}[c_status]
            criteria.append(CriterionCoverage(id=criterion.id, status=c_status, score=c_score))
        n_evidence = {"evidenced": 4, "weak": 2, "no_evidence": 0}[status]
        evidence = [
            Evidence(
                passage_id=f"doc-{measure.id}-{i}",
                pages=[3 + i, 4 + i] if i == 0 else [6 + i],
                heading=f"{measure.name}: our commitments",
                text=f"By 2026 the ICB board will fund a {measure.name.lower()} programme across all partners "
                f"(passage {i}).",
                score=round(0.9 - 0.1 * i, 2),
                criteria=[measure.criteria[0].id],
            )
            for i in range(n_evidence)
        ]
        measures.append(
            MeasureCoverage(
                id=measure.id,
                name=measure.name,
                status=status,
                score={"evidenced": 0.81, "weak": 0.47, "no_evidence": 0.18}[status],
                criteria=criteria,
                evidence=evidence,
            )
        )
    hostile = Evidence(
        passage_id="doc-M1-hostile",
        pages=[12],
        heading=f"Governance {IMG}",
        text=f"Our digital board meets monthly and reports to the ICB. {SCRIPT}",
        score=0.95,
        criteria=["M1.ICS.2"],
    )
    m1 = measures[0]
    measures[0] = m1.model_copy(update={"evidence": [hostile, *m1.evidence]})
    return DocumentReview(
        document=DocumentSummary(
            id="7f3a" * 16,
            file="marlshire-ics-2023.pdf",
            ics="Marlshire",
            title="Marlshire ICS Digital and Data Strategy 2023 to 2028",
            pages=48,
            organisation_level="ICS",
            year=2023,
        ),
        model=MODEL,
        measures=measures,
    )


def _section(html: str, heading: str) -> str:
    """The HTML of the <section> whose <h2> is ``heading``."""
    start = html.index(f"<h2>{heading}</h2>")
    return html[start : html.index("</section>", start)]


def test_pack_shows_summary_criteria_evidence_and_metadata(taxonomy: Taxonomy) -> None:
    html = render_pack_html(_review(taxonomy), taxonomy, GENERATED)
    assert "Marlshire ICS Digital and Data Strategy 2023 to 2028" in html
    assert "marlshire-ics-2023.pdf" in html and "48" in html and "2023" in html
    summary = _section(html, "The seven measures at a glance")
    for measure in taxonomy.measures:
        assert measure.name in summary
    assert summary.count("<tr>") == 8  # header plus the seven measures
    assert "No evidence</span>" in summary and "Weak</span>" in summary and "Evidenced</span>" in summary
    for criterion in taxonomy.criteria:
        assert escape(criterion.title) in html
    assert "Pages 3, 4" in html and "Page 12 · under" in html
    assert "matches M1.ICS.2" in html
    run = _section(html, "How this review was produced")
    for value in (
        "MeasureTagger",
        MODEL["tagger_hash"],
        MODEL["training_data_hash"],
        "all-MiniLM-L6-v2",
        "0.1.0",
        "0.402",
        "23 November 2026",
        "Taxonomy version",
    ):
        assert value in run


def test_only_the_best_quotes_are_shown(taxonomy: Taxonomy) -> None:
    html = render_pack_html(_review(taxonomy), taxonomy, GENERATED)
    m1 = html[html.index('id="measure-M1"') : html.index('id="measure-M2"')]
    assert m1.count("<blockquote>") == 3
    assert m1.index("digital board meets monthly") < m1.index("(passage 0)")  # best score first
    assert "3 best of 5 passages" in m1


def test_silent_section_lists_gaps_with_taxonomy_questions(taxonomy: Taxonomy) -> None:
    html = render_pack_html(_review(taxonomy), taxonomy, GENERATED)
    silent = _section(html, "Where the strategy is silent")
    cards = re.findall(r'<div class="card (\w+)">(.*?)</div>', silent, re.S)
    assert [re.search(r"M\d", body).group() for _, body in cards] == ["M3", "M4", "M5", "M7"]
    for _, body in cards:
        assert 2 <= body.count("<li>") <= 3, body
        measure = taxonomy.measure(re.search(r"M\d", body).group())
        asked = {q for c in measure.criteria for q in c.questions}
        for question in re.findall(r"<li>(.*?)</li>", body):
            assert unescape(question) in asked
    # M5 has no evidence: its first question comes from its first ICS criterion (document level first).
    m5_card = next(body for _, body in cards if "M5" in body)
    first = unescape(re.search(r"<li>(.*?)</li>", m5_card).group(1))
    assert first == taxonomy.measure("M5").criteria[0].questions[0]
    # Criteria: the ICS group comes before the ORG group, and every listed criterion has questions.
    assert silent.index("System (ICS) criteria") < silent.index("Organisation (ORG) criteria")
    assert "own level: start here" in silent
    items = re.findall(r'<div class="item">(.*?)</div>', silent, re.S)
    silent_ids = {c.id for m in _review(taxonomy).measures for c in m.criteria if c.status != "evidenced"}
    assert {re.search(r'class="id">([^<]+)<', item).group(1) for item in items} == silent_ids
    assert all(2 <= item.count("<li>") <= 3 for item in items)
    assert "M1.ICS.1<" not in silent  # evidenced criteria are not listed as silent


def test_a_criterion_weak_on_a_mention_shows_that_passage(taxonomy: Taxonomy) -> None:
    """A criterion weak on a passage that touches it without a credit: the reviewer reads that
    passage (page, score, escaped text) where the criterion is listed, and its table row names it."""
    review = _review(taxonomy)
    mention = ClosestPassage(
        passage_id="doc-M2-mention",
        pages=[17],
        heading="Our estate",
        text=f"Greener data centres. {SCRIPT}",
        score=0.46,
    )
    m2 = review.measures[1]
    criteria = [
        c.model_copy(update={"status": "weak", "mention": mention}) if c.id == "M2.ICS.4" else c for c in m2.criteria
    ]
    measures = [m2.model_copy(update={"criteria": criteria}) if m.id == "M2" else m for m in review.measures]
    html = render_pack_html(review.model_copy(update={"measures": measures}), taxonomy, GENERATED)
    silent = _section(html, "Where the strategy is silent")
    item = next(i for i in re.findall(r'<div class="item">(.*?)</div>', silent, re.S) if ">M2.ICS.4<" in i)
    assert "Possibly touched on here, not credited, page 17" in item and "score 0.46" in item
    assert "&lt;script&gt;" in item and "<script" not in html.lower()
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if ">M2.ICS.4<" in r)
    assert "p. 17</span>, 0.46 (mention)" in row


def test_trust_strategy_puts_org_criteria_first(taxonomy: Taxonomy) -> None:
    review = _review(taxonomy)
    trust = review.model_copy(update={"document": review.document.model_copy(update={"organisation_level": "trust"})})
    silent = _section(render_pack_html(trust, taxonomy, GENERATED), "Where the strategy is silent")
    assert silent.index("Organisation (ORG) criteria") < silent.index("System (ICS) criteria")


def test_hostile_pdf_text_is_escaped(taxonomy: Taxonomy) -> None:
    review = _review(taxonomy)
    hostile_doc = review.document.model_copy(update={"title": f"Strategy {SCRIPT}", "file": f"{IMG}.pdf"})
    html = render_pack_html(review.model_copy(update={"document": hostile_doc}), taxonomy, GENERATED)
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_pack_is_self_contained(taxonomy: Taxonomy) -> None:
    html = render_pack_html(_review(taxonomy), taxonomy, GENERATED)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html, re.I)
    assert "<link" not in html and "@import" not in html and "url(" not in html


@pytest.fixture(params=["chromium", "weasyprint"])
def printer(request: pytest.FixtureRequest) -> PackPrinter:
    """Each way the pack's PDF can be printed; Chromium's where it is installed (make services)."""
    if request.param == "chromium" and chromium_path() is None:
        pytest.skip("Chromium is not installed (make services installs it)")
    return request.param  # type: ignore[no-any-return]


def test_write_pack_makes_a_real_pdf(taxonomy: Taxonomy, tmp_path: Path, printer: str) -> None:
    plain = _review(taxonomy)
    title = f'{plain.document.title} "{SCRIPT}" \\ – 2023'  # the footer's CSS string must hold it
    review = plain.model_copy(update={"document": plain.document.model_copy(update={"title": title})})
    html_path, pdf_path = write_pack(review, taxonomy, tmp_path, printer, generated=GENERATED)
    stem = f"{Path(review.document.file).stem}.{review.document.id[:8]}"
    assert (html_path.name, pdf_path.name) == (f"{stem}-pack.html", f"{stem}-pack.pdf")
    assert html_path.read_text(encoding="utf-8") == render_pack_html(review, taxonomy, GENERATED)
    pdf = pdfium.PdfDocument(pdf_path)
    try:
        assert len(pdf) >= 1
        pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()
    text = "\n".join(pages)
    assert "Where the strategy is silent" in text
    assert "<script>alert(1)</script>" in text  # shown as text, never run
    assert f"Page 1 of {len(pages)}" in pages[0]
    footer = f"WGLL pre-briefing pack · {title}"
    assert footer in " ".join(pages[-1].split()), "the footer names the strategy"
    width, height = pdfium.PdfDocument(pdf_path)[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_unreadable_document_gets_a_plain_pack(taxonomy: Taxonomy, tmp_path: Path) -> None:
    review = DocumentReview(
        document=DocumentSummary(
            id="9c" * 32,
            file="severn-coast-ics-2022.pdf",
            ics="Severn Coast",
            title=None,
            pages=None,
            organisation_level="ICS",
            year=2022,
        ),
        model=MODEL,
        measures=[],
        errors=[ReviewErrorRecord(code="encrypted", message=f"severn-coast-ics-2022.pdf: password required {SCRIPT}")],
    )
    html_path, pdf_path = write_pack(review, taxonomy, tmp_path, "auto", generated=GENERATED)
    html = html_path.read_text(encoding="utf-8")
    assert "This strategy could not be read" in html
    assert "encrypted" in html and "password required &lt;script&gt;" in html
    assert "<script" not in html
    assert "Where the strategy is silent" not in html and "at a glance" not in html
    assert "<blockquote>" not in html and 'class="questions"' not in html
    assert "MeasureTagger" in html
    pdf = pdfium.PdfDocument(pdf_path)
    try:
        text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()
    assert "could not be read" in text and "encrypted" in text


def test_review_from_another_taxonomy_version_is_flagged(taxonomy: Taxonomy) -> None:
    review = _review(taxonomy)
    m7 = review.measures[6]
    stray = CriterionCoverage(id="M7.ICS.9", status="no_evidence", score=0.1)
    old = review.model_copy(
        update={
            "model": review.model.model_copy(update={"taxonomy_version": "0.9"}),
            "measures": [*review.measures[:6], m7.model_copy(update={"criteria": [*m7.criteria, stray]})],
        }
    )
    html = render_pack_html(old, taxonomy, GENERATED)
    assert "produced with taxonomy version 0.9" in html
    assert "M7.ICS.9" in html and "Not in this taxonomy version" in html


def test_pack_says_why_each_quote_was_tagged_and_escapes_it(taxonomy: Taxonomy) -> None:
    review = _review(taxonomy)
    neighbour = LabelledNeighbour(
        id="r-0042",
        text=f"Our board signs off the digital plan. {SCRIPT}",
        measures=["M1"],
        origin="reviewed",
        similarity=0.8123,
    )
    why = Why(terms={"M1.ICS.2": ["digital board", IMG]}, nearest=[neighbour])
    m1 = review.measures[0]
    explained = [m1.evidence[0].model_copy(update={"why": why}), *m1.evidence[1:]]
    review = review.model_copy(
        update={"measures": [m1.model_copy(update={"evidence": explained}), *review.measures[1:]]}
    )

    html = render_pack_html(review, taxonomy, GENERATED)
    measure = _section(html, '<span class="id">M1</span> Well led')
    assert "Why:" in measure and "“digital board”" in measure and "(M1.ICS.2)" in measure
    assert "r-0042" in measure and "similarity 0.81" in measure and "Closest labelled passages of M1" in measure
    assert SCRIPT not in html and IMG not in html
    assert str(escape(SCRIPT)) in measure and str(escape(IMG)) in measure


def test_a_chromium_that_fails_gives_way_to_weasyprint_unless_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "bin" / "chromium"
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    broken.chmod(0o755)
    html = "<html><body><p>A pack</p></body></html>"
    monkeypatch.setenv("PATH", str(broken.parent))
    print_pdf(html, tmp_path / "auto.pdf", "auto")
    assert "A pack" in pdfium.PdfDocument(tmp_path / "auto.pdf")[0].get_textpage().get_text_range()
    assert "Chromium could not print auto.pdf: cannot open display; printing auto.pdf with WeasyPrint" in caplog.text

    with pytest.raises(PrintFailed, match="cannot open display"):
        print_pdf(html, tmp_path / "asked.pdf", "chromium")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(PrintFailed, match="none of chromium, chromium-browser, google-chrome is on the PATH"):
        print_pdf(html, tmp_path / "absent.pdf", "chromium")
    assert not (tmp_path / "asked.pdf").exists() and not (tmp_path / "absent.pdf").exists()
