"""The register of commitments on sentences written here (each case worked out by hand), its CSV
beside the review JSON, and its page in the pre-briefing pack."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from pipeline.commitments import find_commitments
from pipeline.models import (
    Commitment,
    Document,
    DocumentReview,
    DocumentSummary,
    Heading,
    MeasureCoverage,
    Page,
    SourceInfo,
    Tag,
)
from pipeline.pack import render_pack_html
from pipeline.register import commitment_groups, commitments_csv_path, due_label, write_commitments_csv
from pipeline.review_files import review_files
from pipeline.segment import split_passages
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy

SECTIONS = {
    "4 Leading together": [
        "We will publish a digital inclusion plan by March 2025, written with residents and the voluntary sector.",
        "The ICB Digital Board will review progress against this strategy every quarter and publish what it finds.",
        "The Chief Digital Officer will lead a review of every infrastructure contract within two years.",
        "In April 2024 we launched the Digital Academy for all health and care staff in the county.",
        "Parliament is considering legislation that will establish new national bodies in 2025.",
        "We expect demand for community services to grow by 2035 as the population ages.",
        "The table below summarises what we will do and when we will do it.",
        "By 2027, every resident should have to tell their story only once to the services they use.",
        "18 December 2025",
    ],
    "5 Foundations": [
        "Our target is 75% of adults registered for the NHS App by March 2026, up from 48% today.",
        "By the end of 2025 we will:",
        "replace paper drug charts on every inpatient ward;",
        "retire all fax machines by June 2025;",
        "open two digital hubs for staff in the coastal towns.",
        "Our shared care record went live in 2021 and is used by 4,000 staff a month across the county.",
    ],
    "9 Roadmap": [
        "Priority What we will deliver by 2026/27 Lead",
        "Shared care record Social care data in the record ICB Digital Board",
        "Cyber Security operations centre live for all trusts",
        "The Digital Board tracks each milestone through its monthly highlight report.",
        "Source 2024/25 2025/26 Total",
        "National funding £1.2m £2.0m £3.2m",
        "Year Milestones for the system",
        "2025/26 Single service desk live; cloud telephony in every trust",
        "Service How we will count it Owner",
        "Tribunal claims 740,000 HMCTS",
    ],
}


def written_document(year: int = 2024) -> Document:
    """One page per section: a heading, then each sentence as a paragraph of its own."""
    pages = []
    for number, (heading, lines) in enumerate(SECTIONS.items(), start=1):
        text = heading + "\n\n" + "\n\n".join(lines)
        headings = [Heading(text=heading, level=1, start_char=0, end_char=len(heading))]
        pages.append(Page(number=number, text=text, headings=headings))
    return Document(
        id="d" * 64,
        file="written.pdf",
        title="Written strategy",
        page_count=len(pages),
        pages=pages,
        source=SourceInfo(ics="Test ICS", organisation_level="ICS", year=year),
    )


@pytest.fixture(scope="module")
def register() -> dict[str, Commitment]:
    document = written_document()
    passages = split_passages(document, Settings())
    found = find_commitments(document, passages)
    return {c.text: c for c in found}


def _one(register: dict[str, Commitment], start: str) -> Commitment:
    matches = [c for text, c in register.items() if start in text]
    assert len(matches) == 1, f"{start!r}: {len(matches)} found in {list(register)}"
    return matches[0]


def test_sentences_that_commit_are_found_with_due_date_and_owner(register: dict[str, Commitment]) -> None:
    plan = _one(register, "We will publish a digital inclusion plan")
    assert (plan.due, plan.owner, plan.pages) == ("2025-03-31", None, [1])
    assert plan.heading == "4 Leading together"
    board = _one(register, "The ICB Digital Board will review progress")
    assert (board.due, board.owner) == (None, "ICB Digital Board")
    review = _one(register, "The Chief Digital Officer will lead")
    assert (review.due, review.owner) == ("2026", "Chief Digital Officer")
    assert _one(register, "By 2027, every resident").due == "2027"
    assert _one(register, "Our target is 75% of adults").due == "2026-03-31"


def test_past_events_predictions_pointers_and_others_plans_are_not_commitments(register: dict[str, Commitment]) -> None:
    texts = " ".join(register)
    for sentence in (
        "In April 2024 we launched",
        "Parliament is considering",
        "We expect demand",
        "The table below",
        "went live in 2021",
        "tracks each milestone",
        "18 December",
    ):
        assert sentence not in texts


def test_list_items_inherit_the_lead_in_and_its_date(register: dict[str, Commitment]) -> None:
    items = [c for text, c in register.items() if text.startswith("By the end of 2025 we will:")]
    assert [(c.text.split(": ", 1)[1], c.due) for c in items] == [
        ("replace paper drug charts on every inpatient ward;", "2025-12-31"),
        ("retire all fax machines by June 2025;", "2025-06-30"),
        ("open two digital hubs for staff in the coastal towns.", "2025-12-31"),
    ]


def test_table_rows_take_the_date_of_their_heading_and_budgets_are_left_out(register: dict[str, Commitment]) -> None:
    assert _one(register, "Shared care record Social care data").due == "2026/27"
    assert _one(register, "Cyber Security operations centre live").due == "2026/27"
    assert _one(register, "2025/26 Single service desk live").due == "2025/26"
    headings_and_budget = ("Priority What we will deliver", "£", "Year Milestones", "Tribunal claims")
    assert not any(part in text for part in headings_and_budget for text in register)
    assert len(register) == 11


def test_relative_dates_follow_the_documents_year() -> None:
    document = written_document(year=2022)
    found = find_commitments(document, split_passages(document, Settings()))
    assert next(c for c in found if "within two years" in c.text).due == "2024"


def test_measures_and_criteria_come_from_the_passage_tags() -> None:
    document = written_document()
    passages = split_passages(document, Settings())
    tags = [
        Tag(
            passage_id=p.passage_id,
            scores={"M1": 0.9, "M2": 0.2, "M3": 0.6},
            criteria={"M1": ["M1.ICS.1"], "M2": ["M2.ICS.3"], "M3": ["M3.ICS.2", "M3.ORG.1"]},
        )
        for p in passages
    ]
    found = find_commitments(document, passages, tags, {"M1": 0.5, "M2": 0.5, "M3": 0.55})
    assert found and all(c.measures == ["M1", "M3"] for c in found)
    assert all(c.criteria == ["M1.ICS.1", "M3.ICS.2", "M3.ORG.1"] for c in found)
    assert all(c.passage_id in {p.passage_id for p in passages} for c in found)


HOSTILE = "<script>alert('x')</script> We will =HYPERLINK(\"http://evil\") deliver & <b>sign</b> it"


def register_review() -> DocumentReview:
    measures = [
        MeasureCoverage(id=m, name=n, status="evidenced", score=0.8, criteria=[], evidence=[])
        for m, n in (("M1", "Well led"), ("M2", "Ensure smart foundations"))
    ]
    commitments = [
        Commitment(text="Undated M1 commitment.", measures=["M1"], pages=[2], passage_id="p-1"),
        Commitment(text="Second M1 commitment.", due="2026/27", measures=["M1"], pages=[3], passage_id="p-2"),
        Commitment(
            text="First M1 and M2 commitment.",
            due="2025-03-31",
            owner="ICB Digital Board",
            measures=["M1", "M2"],
            pages=[4, 5],
            passage_id="p-3",
        ),
        Commitment(text=HOSTILE, due="2024", pages=[6], passage_id="p-4"),
        Commitment(text="=SUM(A1:A9) is a formula", due="2025", measures=["M2"], pages=[7], passage_id="p-5"),
    ]
    return DocumentReview(
        document=DocumentSummary(id="c" * 64, file="register.pdf", ics="Test ICS", title="Register", pages=7),
        model={"tagger": "MeasureTagger"},
        measures=measures,
        commitments=commitments,
    )


def test_groups_follow_the_measures_and_the_dates() -> None:
    groups = commitment_groups(register_review())
    assert [(g.id, [c.text[:12] for c in g.items]) for g in groups] == [
        ("M1", ["First M1 and", "Second M1 co", "Undated M1 c"]),
        ("M2", ["First M1 and", "=SUM(A1:A9) "]),
        (None, ["<script>aler"]),
    ]
    assert groups[-1].name == "Not tagged to a measure"
    assert [g.total for g in groups] == [3, 2, 1]


def test_the_pack_lists_the_first_commitments_of_a_measure_and_points_to_the_register() -> None:
    """A strategy with hundreds of commitments made an 80-page pack; it shows the first of each
    measure, dated ones first, and says how many more the register CSV holds."""
    review = register_review()
    many = [
        Commitment(text=f"Undated commitment {i:02d}.", measures=["M1"], pages=[9], passage_id=f"u-{i}")
        for i in range(20)
    ]
    repeated = Commitment(text="Second  M1 commitment.", due="2026/27", measures=["M1"], pages=[30], passage_id="p-9")
    review = review.model_copy(update={"commitments": [*many, *review.commitments, repeated]})
    m1 = commitment_groups(review, shown=8)[0]
    assert m1.total == 23 and len(m1.items) == 8
    assert [c.text[:12] for c in m1.items[:2]] == ["First M1 and", "Second M1 co"]  # the dated lead
    assert m1.items[1].pages == [3, 30]  # a commitment repeated later in the strategy: one row
    html = render_pack_html(review, load_taxonomy(Settings().taxonomy_path), date(2026, 12, 6))
    section = html[html.index('<section id="commitments">') : html.index('<section id="run">')]
    assert "(first 8 of 23)" in section and "15 more in the register CSV." in section
    assert "Undated commitment 04." in section and "Undated commitment 05." not in section
    assert f'href="{commitments_csv_path(review, Path()).name}"' in section


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("2025-03-31", "Mar 2025"),
        ("2025-07-01", "1 Jul 2025"),
        ("2024", "2024"),
        ("2025/26", "2025/26"),
        (None, "no date"),
    ],
)
def test_due_labels(value: str | None, label: str) -> None:
    assert due_label(value) == label


def test_the_pack_page_lists_the_register_escaped() -> None:
    taxonomy = load_taxonomy(Settings().taxonomy_path)
    html = render_pack_html(register_review(), taxonomy, date(2026, 12, 6))
    section = html[html.index('<section id="commitments">') : html.index('<section id="run">')]
    assert "<script>alert" not in html and "<b>sign</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in section and "&amp; &lt;b&gt;sign&lt;/b&gt;" in section
    assert section.index("First M1 and M2") < section.index("Second M1") < section.index("Undated M1")
    assert section.count("First M1 and M2 commitment.") == 2
    assert "Mar 2025" in section and "ICB Digital Board" in section and "4-5" in section
    assert 'href="#commitments"' in html


def test_csv_sits_beside_the_json_sorted_and_safe_in_a_spreadsheet(tmp_path: Path) -> None:
    review = register_review()
    path = write_commitments_csv(review, tmp_path)
    json_path = review_files(review, tmp_path).json
    assert path == commitments_csv_path(review, tmp_path) == json_path.with_name(f"{json_path.stem}-commitments.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["due"] for r in rows] == ["2024", "2025-03-31", "2025", "2026/27", ""]
    assert [r["due_end"] for r in rows] == ["2024-12-31", "2025-03-31", "2025-12-31", "2027-03-31", ""]
    assert rows[1]["measures"] == "M1;M2" and rows[1]["pages"] == "4;5" and rows[1]["owner"] == "ICB Digital Board"
    assert rows[2]["text"] == "'=SUM(A1:A9) is a formula", "a cell starting like a formula is quoted"
    assert rows[0]["text"] == HOSTILE and rows[0]["file"] == "register.pdf"


def test_a_review_without_commitments_gets_a_header_only_csv(tmp_path: Path) -> None:
    review = register_review().model_copy(update={"commitments": []})
    assert write_commitments_csv(review, tmp_path).read_text(encoding="utf-8").splitlines() == [
        "due,due_end,text,owner,measures,criteria,pages,heading,passage_id,document_id,file"
    ]
