"""Due dates read from the phrasings strategies use, written to the conventions of
docs/commitments.md: a month is its last day, a financial year ``2024/25``, a range its end, a
relative period counted from the document's year; past events and baselines are no deadline."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.due_dates import earliest_due, find_due_dates, period_end, same_due, strategy_period

# (text, document year, strategy's last year, due)
PHRASES = [
    ("We will publish the plan by March 2025.", 2024, None, "2025-03-31"),
    ("by the end of March 2025", 2024, None, "2025-03-31"),
    ("No later than Sept 2025 every ward will use it.", 2024, None, "2025-09-30"),
    ("the first go-live is planned for April 2026", 2024, None, "2026-04-30"),
    ("TCHT joins the shared instance; go-live October 2025", 2023, None, "2025-10-31"),
    ("by 1 July 2025", 2024, None, "2025-07-01"),
    ("by 2024", 2021, None, "2024"),
    ("in 2022 we will decide", 2021, None, "2022"),
    ("during 2023", 2022, None, "2023"),
    ("From 2024 every report will break down waiting times", 2024, None, "2024"),
    ("by the end of 2024", 2024, None, "2024-12-31"),
    ("from 2025/26 every plan will be reviewed", 2024, None, "2025/26"),
    ("in 2024-25 we will pilot it", 2024, None, "2024/25"),
    ("FY2025/26", 2024, None, "2025/26"),
    ("by 2025/2026", 2024, None, "2025/26"),
    ("by the end of 2025/26", 2024, None, "2026-03-31"),
    ("Our cyber commitments for 2024 to 2027 are:", 2024, None, "2027"),
    ("between 2022 and 2025", 2022, None, "2025"),
    ("between July 2023 and March 2026", 2023, None, "2026-03-31"),
    ("between April and October 2025", 2024, None, "2025-10-31"),
    ("Digital Strategy 2021-24", 2021, None, "2024"),
    ("by summer 2022", 2021, None, "2022-08-31"),
    ("in spring 2025", 2024, None, "2025-05-31"),
    ("by autumn 2025", 2024, None, "2025-11-30"),
    ("over winter 2024", 2024, None, "2025-02-28"),
    ("In early 2022 we will establish a panel", 2021, None, "2022-04-30"),
    ("by mid-2025", 2024, None, "2025-08-31"),
    ("in late 2025", 2024, None, "2025-12-31"),
    ("by Q3 2025", 2024, None, "2025-09-30"),
    ("in the third quarter of 2025", 2024, None, "2025-09-30"),
    ("in Q1 2025/26", 2024, None, "2025-06-30"),
    ("in Q4 of 2025/26", 2024, None, "2026-03-31"),
    ("in the second half of 2025", 2024, None, "2025-12-31"),
    ("by H1 2026", 2024, None, "2026-06-30"),
    ("within two years", 2023, None, "2025"),
    ("within 18 months", 2023, None, "2025"),
    ("over the next three years", 2024, None, "2027"),
    ("Over the next year each partner will review its plan", 2021, None, "2022"),
    ("next year", 2024, None, "2025"),
    ("within the life of this strategy", 2021, 2024, "2024"),
    ("by the end of the strategy", 2023, 2026, "2026"),
    ("Our Green Plan commits us to net zero by 2040", 2024, None, "2040"),
    ("we will retire every Windows Server 2012 instance by the end of 2024", 2024, None, "2024-12-31"),
    ("Indicator Baseline 2023/24 Target 2026/27", 2024, None, "2026/27"),
    ("Measure Baseline 2023 Target 2028", 2024, None, "2028"),
    ("with all non-emergency paging ended by March 2025", 2024, None, "2025-03-31"),
    ("will be completed by June 2025", 2024, None, "2025-06-30"),
    ("By March 2025 we will add ambulance data, and by 2026 we will move to exchange", 2024, None, "2025-03-31"),
    ("We will recruit 350 champions by March 2025 and 600 by 2027", 2024, None, "2025-03-31"),
    ("The procurement concluded in February 2024; go-live is planned for April 2026", 2024, None, "2026-04-30"),
    # Not deadlines: the past, baselines, durations of a process, amounts and version numbers.
    ("went live in April 2021", 2021, None, None),
    ("Since launching in 2022 the ward has grown", 2022, None, None),
    ("since 2019", 2024, None, None),
    ("Our shared care record, launched in 2021, holds GP data", 2022, None, None),
    ("High severity alerts will be acknowledged within 48 hours", 2024, None, None),
    ("Most residents have lived at their address for over 10 years", 2024, None, None),
    ("adopt each EPR release within nine months of general availability", 2024, None, None),
    ("2,024 staff and a budget of £2025", 2024, None, None),
    ("meet WCAG 2.2 AA", 2024, None, None),
    ("In 2019 we replaced the patient administration system", 2024, None, None),
    ("within the life of this strategy", 2021, None, None),
    ("within two years", None, None, None),
]


@pytest.mark.parametrize(("text", "year", "strategy_end", "due"), PHRASES, ids=[p[0][:40] for p in PHRASES])
def test_due_dates_follow_the_conventions(
    text: str, year: int | None, strategy_end: int | None, due: str | None
) -> None:
    found = earliest_due(text, year, strategy_end)
    assert (found.value if found else None) == due


def test_period_ends_compare_forms_of_one_deadline() -> None:
    assert period_end("2025-03-31") == date(2025, 3, 31)
    assert period_end("2024") == date(2024, 12, 31)
    assert period_end("2024/25") == date(2025, 3, 31)
    assert period_end(None) is None
    assert same_due("2024", "2024-12-31") and same_due(None, None)
    assert not same_due("2024", "2024/25") and not same_due("2025", None)
    with pytest.raises(ValueError, match="not a due date"):
        period_end("March 2025")


def test_every_deadline_is_found_in_reading_order() -> None:
    text = "By March 2025 we will add social care data, by 2026 write back to records and in 2024/25 pilot a dashboard."
    assert [d.value for d in find_due_dates(text, 2024)] == ["2025-03-31", "2026", "2024/25"]
    assert earliest_due(text, 2024).value == "2025-03-31"  # type: ignore[union-attr]


def test_a_year_unknown_keeps_absolute_dates_only() -> None:
    found = find_due_dates("by 2019 and within two years and by March 2026", None)
    assert [d.value for d in found] == ["2019", "2026-03-31"]


@pytest.mark.parametrize(
    ("opening", "period"),
    [
        ("Connecting Care in the Vale: our first system digital strategy, 2021 to 2024", (2021, 2024)),
        ("Wyvern Vale ICS - Digital and Data Strategy 2024-27", (2024, 2027)),
        ("Marlshire ICS Digital Strategy 2023-2026", (2023, 2026)),
        ("Digital plan 2024 until 2029", (2024, 2029)),
        ("Annual report 2023", None),
    ],
)
def test_strategy_period_from_the_opening(opening: str, period: tuple[int, int] | None) -> None:
    assert strategy_period(opening) == period
