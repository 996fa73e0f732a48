"""The cross-ICS audit: matrix, ranked gaps, year-on-year changes and the files written, from records
built here so every expected number can be worked out by hand."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from pipeline.audit import current_audit, write_audit
from pipeline.audit_render import audit_markdown, plot_heatmap
from pipeline.audit_tables import coverage_table, measure_names, ranked_gaps, year_changes
from pipeline.models import DocumentReview, DocumentSummary, MeasureCoverage, ReviewErrorRecord, ReviewWarning
from pipeline.outputs import write_outputs
from pipeline.review_files import MalformedReview, read_reviews

HOSTILE_ICS = "<script>alert('x')</script> Vale"
HOSTILE_FILE = "<img src=x onerror=alert(1)>.pdf"
NAMES = [
    "Well led",
    "Ensure smart foundations",
    "Safe practice",
    "Support people",
    "Empower citizens",
    "Improve care",
    "Healthy populations",
]
CODES = {"e": "evidenced", "w": "weak", "n": "no_evidence"}
BASE_SCORE = {"evidenced": 0.8, "weak": 0.5, "no_evidence": 0.1}


def make_review(
    key: str,
    ics: str,
    level: str,
    year: int,
    statuses: str | None = None,
    *,
    file: str | None = None,
    title: str | None = None,
) -> DocumentReview:
    """A review whose measures follow ``statuses`` (e/w/n per measure); None makes it unreadable."""
    measures = [
        MeasureCoverage(
            id=f"M{n}",
            name=NAMES[n - 1],
            status=CODES[code],
            score=BASE_SCORE[CODES[code]] + n / 100,
            criteria=[],
            evidence=[],
        )
        for n, code in enumerate(statuses or "", start=1)
    ]
    errors = [] if statuses else [ReviewErrorRecord(code="encrypted", message=f"{file}: the PDF is encrypted")]
    return DocumentReview(
        document=DocumentSummary(
            id=key * 64,
            file=file or f"{key}.pdf",
            ics=ics,
            title=title,
            pages=10 if statuses else None,
            organisation_level=level,
            year=year,
        ),
        model={"tagger": "MeasureTagger"},
        measures=measures,
        errors=errors,
    )


def sample_reviews() -> list[DocumentReview]:
    """Four ICSs; Wyvern Vale has ICS strategies from 2021 and 2024, Severn Coast a readable 2022 trust
    strategy and an unreadable 2024 one, and one ICS name and one file name are hostile HTML."""
    return [
        make_review("a", "Marlshire", "ICS", 2023, "eeneeen", title="Marlshire digital strategy"),
        make_review("b", "Wyvern Vale", "ICS", 2021, "ennewen", title="Wyvern Vale 2021"),
        make_review("c", "Wyvern Vale", "ICS", 2024, "weeewen", title="Wyvern Vale 2024"),
        make_review("d", HOSTILE_ICS, "ICS", 2022, "nnnween", file=HOSTILE_FILE, title=f"Plan {HOSTILE_ICS}"),
        make_review("e", "Severn Coast", "trust", 2024, None, file="tamsey-encrypted.pdf"),
        make_review("f", "Severn Coast", "trust", 2022, "eeeeeee"),
    ]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return coverage_table(sample_reviews())


def test_matrix_has_one_row_per_document_in_ics_level_year_order(table: pd.DataFrame) -> None:
    assert list(table["file"]) == [HOSTILE_FILE, "a.pdf", "f.pdf", "tamsey-encrypted.pdf", "b.pdf", "c.pdf"]
    assert list(table.columns[:8]) == [
        "document_id",
        "file",
        "title",
        "ics",
        "organisation_level",
        "year",
        "error",
        "out_of_scope",
    ]
    assert [c for c in table.columns[8:]] == [f"M{n}_{part}" for n in range(1, 8) for part in ("status", "score")]
    marlshire = table.set_index("file").loc["a.pdf"]
    assert [marlshire[f"M{n}_status"] for n in range(1, 8)] == [
        "evidenced",
        "evidenced",
        "no_evidence",
        "evidenced",
        "evidenced",
        "evidenced",
        "no_evidence",
    ]
    assert marlshire["M3_score"] == pytest.approx(0.13) and marlshire["M1_score"] == pytest.approx(0.81)
    assert marlshire["ics"] == "Marlshire" and marlshire["organisation_level"] == "ICS" and marlshire["year"] == 2023
    assert pd.isna(marlshire["error"])


def test_unreadable_document_is_unreadable_never_a_gap(table: pd.DataFrame) -> None:
    row = table.set_index("file").loc["tamsey-encrypted.pdf"]
    assert all(row[f"M{n}_status"] == "unreadable" for n in range(1, 8))
    assert all(pd.isna(row[f"M{n}_score"]) for n in range(1, 8))
    assert row["error"] == "encrypted" and row["year"] == 2024
    assert not (table.loc[table["file"] == "tamsey-encrypted.pdf"] == "no_evidence").any().any()


def test_measures_ranked_by_gaps_in_each_icss_latest_strategy(table: pd.DataFrame) -> None:
    measures = ranked_gaps(table).query("by == 'measure'")
    # Current readable strategies: Marlshire 2023, Wyvern Vale 2024, the hostile ICS 2022 (Wyvern
    # Vale 2021 and Severn Coast 2022 are superseded; Severn Coast 2024 cannot be read).
    assert list(measures["name"]) == ["M7", "M3", "M1", "M2", "M4", "M5", "M6"]
    assert list(measures["gaps"]) == [3, 2, 1, 1, 0, 0, 0]
    assert list(measures["rank"]) == [1, 2, 3, 3, 5, 5, 5]
    assert set(measures["documents"]) == {3} and set(measures["unreadable"]) == {1}
    m7 = measures.iloc[0]
    assert m7["gap_share"] == 1.0 and m7["gap_in"] == f"{HOSTILE_ICS}, Marlshire, Wyvern Vale"


def test_icss_ranked_by_their_gaps(table: pd.DataFrame) -> None:
    icss = ranked_gaps(table).query("by == 'ics'").set_index("name")
    assert list(icss.index) == [HOSTILE_ICS, "Marlshire", "Wyvern Vale", "Severn Coast"]
    assert list(icss["gaps"]) == [4, 2, 1, 0] and list(icss["rank"]) == [1, 2, 3, 4]
    assert icss.loc[HOSTILE_ICS, "gap_in"] == "M1, M2, M3, M7"
    assert icss.loc["Marlshire", "gap_share"] == pytest.approx(2 / 7, abs=1e-3)
    severn = icss.loc["Severn Coast"]
    assert (severn["documents"], severn["unreadable"]) == (0, 1) and pd.isna(severn["gap_share"])


def test_year_changes_compare_each_measure_across_years(table: pd.DataFrame) -> None:
    changes = year_changes(table)
    assert set(zip(changes["ics"], changes["organisation_level"], strict=False)) == {
        ("Wyvern Vale", "ICS"),
        ("Severn Coast", "trust"),
    }
    wyvern = changes[changes["ics"] == "Wyvern Vale"].set_index("measure")
    assert list(wyvern.index) == [f"M{n}" for n in range(1, 8)]
    assert set(wyvern["earlier_year"]) == {2021} and set(wyvern["later_year"]) == {2024}
    assert (wyvern.loc["M2", "change"], wyvern.loc["M2", "direction"]) == ("no_evidence -> evidenced", "improved")
    assert wyvern.loc["M2", "earlier_score"] == pytest.approx(0.12) and wyvern.loc[
        "M2", "later_score"
    ] == pytest.approx(0.82)
    assert wyvern.loc["M2", "score_change"] == pytest.approx(0.7)
    assert (wyvern.loc["M1", "change"], wyvern.loc["M1", "direction"]) == ("evidenced -> weak", "worsened")
    assert (wyvern.loc["M7", "change"], wyvern.loc["M7", "direction"]) == ("unchanged", "unchanged")
    severn = changes[changes["ics"] == "Severn Coast"]
    assert set(severn["change"]) == {"evidenced -> unreadable"} and set(severn["direction"]) == {"not comparable"}
    assert severn["score_change"].isna().all()


def test_write_audit_writes_every_file(tmp_path: Path, table: pd.DataFrame) -> None:
    files = write_audit(sample_reviews(), tmp_path / "audit")
    assert {p.name for p in (tmp_path / "audit").iterdir()} == {
        "audit.csv",
        "audit.parquet",
        "audit-gaps.csv",
        "audit-changes.csv",
        "audit-heatmap.png",
        "audit.html",
        "audit-inputs.sha256",
        "audit-commitments.csv",
        "audit-commitments-revisited.csv",
    }
    pd.testing.assert_frame_equal(pd.read_parquet(files.parquet), table)
    csv = pd.read_csv(files.csv)
    assert list(csv.columns) == list(table.columns) and list(csv["file"]) == list(table["file"])
    assert list(pd.read_csv(files.gaps_csv).query("by == 'measure'")["name"])[:2] == ["M7", "M3"]
    assert len(pd.read_csv(files.changes_csv)) == 14
    png = files.heatmap_png.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and 10_000 < len(png) < 2_000_000
    width, height = Image.open(io.BytesIO(png)).size
    assert width > 700 and height > 400


def test_heatmap_grows_with_the_rows(tmp_path: Path) -> None:
    """45 documents still get a readable row each: the figure is sized to the rows."""
    reviews = [make_review(f"{n:x}", f"ICS number {n}", "trust", 2020 + n % 5, "ewnewne") for n in range(45)]
    path = plot_heatmap(coverage_table(reviews), measure_names(reviews), tmp_path / "big.png")
    width, height = Image.open(path).size
    assert height / 45 >= 28 and width < 1600


def test_html_is_self_contained_and_escapes_hostile_text(tmp_path: Path) -> None:
    files = write_audit(sample_reviews(), tmp_path)
    page = files.html.read_text()
    assert "<script" not in page and "<img src=x" not in page
    assert (
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Vale" in page
        and "&lt;img src=x onerror=alert(1)&gt;.pdf" in page
    )
    embedded = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert embedded and base64.b64decode(embedded.group(1)) == files.heatmap_png.read_bytes()
    assert 'class="cell status-no_evidence"' in page and 'class="cell status-unreadable"' in page
    assert "no_evidence → evidenced" not in page and "no evidence → evidenced" in page


def test_markdown_summary_names_the_most_missing_measure_and_escapes(tmp_path: Path) -> None:
    reviews = sample_reviews()
    files = write_audit(reviews, tmp_path)
    markdown = audit_markdown(reviews, files.html, (files.csv, files.parquet))
    assert "6 documents (1 unreadable) from 4 ICSs" in markdown
    assert "| 1 | M7 Healthy populations | 3 of 3 |" in markdown
    assert "<script" not in markdown and "&lt;script&gt;" in markdown


def test_read_reviews_skips_other_json_and_round_trips(tmp_path: Path) -> None:
    reviews = sample_reviews()
    for review in reviews:
        write_outputs(review, tmp_path)
    (tmp_path / "marlshire.gold.json").write_text(json.dumps({"file": "a.pdf", "absent": ["M3"], "covered": []}))
    (tmp_path / "list.json").write_text("[1, 2, 3]")
    read = read_reviews(tmp_path)
    assert sorted(read, key=lambda r: r.document.id) == sorted(reviews, key=lambda r: r.document.id)


def test_malformed_review_is_an_error_naming_the_file(tmp_path: Path) -> None:
    write_outputs(sample_reviews()[0], tmp_path)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"document": {"file": "x.pdf"}, "measures": [], "model": {}}))
    with pytest.raises(MalformedReview, match=r"broken\.json: not a valid review \(document\.id: Field required"):
        read_reviews(tmp_path)
    broken.write_text('{"document": {"id": ')
    with pytest.raises(MalformedReview, match=r"broken\.json: not valid JSON"):
        read_reviews(tmp_path)


def test_nothing_to_audit_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no reviews to audit"):
        write_audit(read_reviews(tmp_path), tmp_path / "audit")


def test_an_audit_is_current_only_for_the_reviews_it_was_written_from(tmp_path: Path) -> None:
    reviews = sample_reviews()
    assert current_audit(reviews, tmp_path) is None, "nothing written yet"
    files = write_audit(reviews, tmp_path)
    assert current_audit(list(reversed(reviews)), tmp_path) == files, "order of reading does not matter"
    assert current_audit(reviews[:-1], tmp_path) is None, "a review fewer"
    changed = reviews[0].model_copy(update={"document": reviews[0].document.model_copy(update={"year": 2030})})
    assert current_audit([changed, *reviews[1:]], tmp_path) is None, "a review changed"
    files.heatmap_png.unlink()
    assert current_audit(reviews, tmp_path) is None, "an output missing"


def test_out_of_scope_documents_are_marked_in_the_matrix_and_the_page(tmp_path: Path) -> None:
    reviews = sample_reviews()
    marlshire = reviews[0]
    warning = ReviewWarning(code="out_of_scope", message="a.pdf does not read like a health and care digital strategy")
    reviews[0] = marlshire.model_copy(
        update={"document": marlshire.document.model_copy(update={"warnings": [warning]})}
    )
    table = coverage_table(reviews)
    assert table.loc[table["file"] == "a.pdf", "out_of_scope"].tolist() == [True]
    assert int(table["out_of_scope"].sum()) == 1
    page = write_audit(reviews, tmp_path).html.read_text(encoding="utf-8")
    assert "1 marked out of scope" in page and page.count('<strong class="scope">out of scope</strong>') == 1
