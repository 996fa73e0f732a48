"""The audit's commitments: counts per strategy and measure, and an earlier strategy's commitments
due by its successor's year, with the closest later sentence under the real embedding model."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.audit import write_audit
from pipeline.commitments_audit import commitment_counts, revisited
from pipeline.models import Commitment, DocumentReview, DocumentSummary, Evidence, MeasureCoverage

NAMES = [
    "Well led",
    "Ensure smart foundations",
    "Safe practice",
    "Support people",
    "Empower citizens",
    "Improve care",
    "Healthy populations",
]
HOSTILE = "<script>alert('x')</script> We will retire every fax machine by the end of 2022."


def review(
    key: str, year: int, commitments: list[Commitment], level: str = "ICS", evidence: str | None = None
) -> DocumentReview:
    items = [Evidence(passage_id=f"{key}-e", pages=[9], heading=None, text=evidence, score=0.9)] if evidence else []
    measures = [
        MeasureCoverage(
            id=f"M{n}", name=NAMES[n - 1], status="evidenced", score=0.8, criteria=[], evidence=items if n == 2 else []
        )
        for n in range(1, 8)
    ]
    return DocumentReview(
        document=DocumentSummary(
            id=key * 64,
            file=f"vale-{level.lower()}-{year}.pdf",
            ics="Vale",
            title=None,
            pages=20,
            organisation_level=level,
            year=year,
        ),
        model={},
        measures=measures,
        commitments=commitments,
    )


def c(text: str, due: str | None, measures: list[str], key: str = "x") -> Commitment:
    return Commitment(text=text, due=due, measures=measures, pages=[3], passage_id=f"{key}-1")


@pytest.fixture(scope="module")
def reviews() -> list[DocumentReview]:
    earlier = review(
        "a",
        2021,
        [
            c(
                "Every GP referral to our hospitals will be made through the e-Referral Service by March 2022.",
                "2022-03-31",
                ["M6"],
            ),
            c(HOSTILE, "2022-12-31", ["M2", "M3"]),
            c("We will plant wildflower meadows in the grounds of every community hospital by 2024.", "2024", []),
            c("We will publish an annual progress report in plain English.", None, ["M1"]),
            c("We will replace the mental health record system by 2026/27.", "2026/27", ["M2"]),
        ],
    )
    later = review(
        "b",
        2024,
        [
            c(
                "Every GP referral to a hospital will be made electronically, with advice and guidance before "
                "referral.",
                "2025",
                ["M6"],
            ),
            c("We will establish a cyber security operations centre by April 2025.", "2025-04-30", ["M3"]),
        ],
        evidence="Fax machines are still used for discharge referrals to social care, and we will remove them by 2025.",
    )
    appoint = c("The trust will appoint a chief nursing information officer in 2024.", "2024", ["M1", "M4"])
    trust = review("t", 2024, [appoint], level="trust")
    return [earlier, later, trust]


def test_counts_per_strategy_and_measure(reviews: list[DocumentReview]) -> None:
    counts = commitment_counts(reviews, [f"M{n}" for n in range(1, 8)]).set_index("file")
    columns = ["commitments", "dated", "untagged", "M1", "M2", "M3", "M6"]
    assert counts.loc["vale-ics-2021.pdf", columns].tolist() == [5, 4, 1, 1, 2, 1, 1]
    assert counts.loc["vale-trust-2024.pdf", ["M1", "M4", "M7"]].tolist() == [1, 1, 0]


def test_earlier_commitments_due_by_the_later_year_with_the_closest_sentence(reviews: list[DocumentReview]) -> None:
    table = revisited(reviews, threshold=0.5).set_index("due")
    assert list(table.index) == ["2022-03-31", "2022-12-31", "2024"], "undated, due later, other level: left out"
    assert list(table["status"]) == ["past due", "past due", "due in 2024"]
    assert (table["later_file"] == "vale-ics-2024.pdf").all() and (table["earlier_year"] == 2021).all()
    referral = table.loc["2022-03-31"]
    assert referral["closest"].startswith("Every GP referral to a hospital") and referral["mentioned_again"]
    assert table.loc["2022-12-31", "closest"].startswith("Fax machines are still used")
    assert table.loc["2022-12-31", "closest_pages"] == "9" and table.loc["2022-12-31", "measures"] == "M2;M3"
    meadows = table.loc["2024"]
    assert not meadows["mentioned_again"] and meadows["similarity"] < referral["similarity"]


def test_audit_writes_the_tables_and_escapes_them(reviews: list[DocumentReview], tmp_path: Path) -> None:
    files = write_audit(reviews, tmp_path)
    assert len(pd.read_csv(files.commitments_csv)) == 3 and len(pd.read_csv(files.revisited_csv)) == 3
    page = files.html.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; We will retire" in page
    section = page[page.index('id="commitments"') : page.index('id="heatmap"')]
    assert "What became of earlier commitments" in section and "vale-ics-2021.pdf → vale-ics-2024.pdf" in section
    assert section.count("past due") >= 2


def test_no_pair_of_strategies_means_nothing_to_revisit(reviews: list[DocumentReview]) -> None:
    assert revisited(reviews[1:]).empty
