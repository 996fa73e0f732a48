"""A document read only in part: the review says which pages are missing and why, and measures
without evidence are not called gaps when too much went unread (review page, pack and audit)."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.audit_tables import coverage_table, ranked_gaps
from pipeline.coverage import withhold_silence
from pipeline.models import CriterionCoverage, Document, MeasureCoverage, MissingPage, Page, Versions
from pipeline.outputs import render_html
from pipeline.pack import render_pack_html
from pipeline.report import build_review, outcome
from pipeline.settings import Settings, get_settings
from pipeline.taxonomy import load_taxonomy

TEXT = "Our shared care record connects every partner across the system."
NEEDS_OCR = "a scanned image without a text layer; it needs OCR, but Tesseract is not installed"


def _document(missing: list[int], blank: tuple[int, ...] = (), pages: int = 10) -> Document:
    read = [
        Page(number=n, text="" if n in blank else TEXT, extractor="pypdfium2" if n == 1 else "pdfplumber")
        for n in range(1, pages + 1)
        if n not in missing
    ]
    return Document(
        id="d" * 64,
        file="partly-scanned.pdf",
        title="A strategy",
        page_count=pages,
        pages=read,
        missing_pages=[MissingPage(page=n, reason=NEEDS_OCR, needs_ocr=True) for n in missing],
    )


def _measures() -> list[MeasureCoverage]:
    taxonomy = load_taxonomy(get_settings().taxonomy_path)
    statuses = {"M1": "evidenced", "M2": "weak"}
    return [
        MeasureCoverage(
            id=m.id,
            name=m.name,
            status=statuses.get(m.id, "no_evidence"),
            score=0.2,
            evidence=[],  # type: ignore[arg-type]
            criteria=[CriterionCoverage(id=c.id, status="no_evidence", score=0.1) for c in m.criteria],
        )
        for m in taxonomy.measures
    ]


def test_blank_pages_do_not_count_as_unread() -> None:
    assert _document(missing=[2], blank=(5, 6, 7, 8, 9, 10)).unread_share == pytest.approx(1 / 4)
    assert _document(missing=[]).unread_share == 0.0


def test_gaps_stand_when_little_is_missing() -> None:
    measures = _measures()
    assert withhold_silence(measures, _document(missing=[]), Settings()) == measures
    assert withhold_silence(measures, _document(missing=[10], pages=20), Settings()) == measures


def test_measures_without_evidence_are_unreadable_when_much_is_missing() -> None:
    judged = withhold_silence(_measures(), _document(missing=[2, 3, 4]), Settings())
    assert [m.status for m in judged] == ["evidenced", "weak"] + ["unreadable"] * 5
    assert all(c.status == "unreadable" for m in judged for c in m.criteria)


def test_review_names_the_missing_pages_and_why() -> None:
    document = _document(missing=[2, 3, 4])
    review = build_review(document, withhold_silence(_measures(), document), Versions(), Settings())
    assert review.document.extractors == {"pypdfium2": [1], "pdfplumber": [5, 6, 7, 8, 9, 10]}
    assert [m.page for m in review.document.missing_pages] == [2, 3, 4]
    [warning] = review.document.warnings
    assert warning.code == "pages_missing"
    assert warning.message.startswith("partly-scanned.pdf: pages 2-4 of 10 could not be read")
    assert "Tesseract is not installed" in warning.message and "results cover the other 7" in warning.message
    assert "marked unreadable" in warning.message
    assert "unreadable: M3, M4, M5, M6, M7" in outcome(review) and "3 of 10 pages not read" in outcome(review)


def test_one_missing_page_is_named_in_the_singular() -> None:
    document = _document(missing=[12], pages=40)
    [warning] = build_review(document, _measures(), Versions(), Settings()).document.warnings
    assert "page 12 of 40 could not be read" in warning.message and "results cover the other 39" in warning.message
    assert "unreadable" not in warning.message


def test_review_page_and_pack_show_how_pages_were_read_and_unreadable_measures() -> None:
    document = _document(missing=[2, 3, 4])
    review = build_review(document, withhold_silence(_measures(), document), Versions(), Settings())
    taxonomy = load_taxonomy(get_settings().taxonomy_path)
    for html in (render_html(review), render_pack_html(review, taxonomy, date(2026, 11, 23))):
        assert 'id="reading"' in html and "pages 2-4 of 10 could not be read" in html
        assert "Read with pypdfium2" in html and "Not read: pages 2-4." in html
        assert "Not judged" in html or "Measures that could not be judged" in html
    pack = render_pack_html(review, taxonomy, date(2026, 11, 23))
    assert pack.count('class="status status-unreadable"') >= 5
    silent = pack[pack.index('id="silent"') : pack.index("Measures that could not be judged")]
    assert "status-unreadable" not in silent, "unreadable measures are not listed as silent"


def test_audit_never_counts_an_unreadable_measure_as_a_gap() -> None:
    partial = _document(missing=[2, 3, 4])
    whole = _document(missing=[]).model_copy(update={"id": "e" * 64, "file": "whole.pdf"})
    reviews = [
        build_review(partial, withhold_silence(_measures(), partial), Versions(), Settings()),
        build_review(whole, _measures(), Versions(), Settings()),
    ]
    gaps = ranked_gaps(coverage_table(reviews))
    m7 = gaps[(gaps["by"] == "measure") & (gaps["name"] == "M7")].iloc[0]
    assert (m7["gaps"], m7["documents"], m7["unreadable"]) == (1, 1, 1)
