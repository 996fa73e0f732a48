"""A strategy's organisation level, ICS and year are read from its own text when no manifest
gives them, and every fact says where it came from."""

import csv
from pathlib import Path

import pytest

from pipeline.document_facts import criteria_level, document_facts, read_ics, read_level, read_year
from pipeline.ingest import read_document
from pipeline.models import Document, Page, SourceInfo
from pipeline.settings import Settings

SAMPLES = Path(__file__).resolve().parent.parent / "corpora" / "sample"
CHECK_STRATEGIES = SAMPLES.parent / "test-strategies" / "check"
CHOSEN_STRATEGIES = SAMPLES.parent / "test-strategies" / "choose"


def _document(*pages: str, title: str = "", source: SourceInfo = SourceInfo()) -> Document:
    return Document(
        id="x",
        file="x.pdf",
        title=title,
        page_count=len(pages),
        pages=[Page(number=i + 1, text=t) for i, t in enumerate(pages)],
        source=source,
    )


@pytest.mark.parametrize(
    ("folder", "facts_file"),
    [
        (SAMPLES, "manifest.csv"),
        (CHECK_STRATEGIES, "expected-facts.csv"),
        (CHOSEN_STRATEGIES, "expected-facts.csv"),
    ],
    ids=["samples", "check", "choose"],
)
def test_every_sample_strategy_is_read_right_without_its_manifest(folder: Path, facts_file: str) -> None:
    """The samples, and the 24 strategies written apart to test verdicts (corpora/test-strategies)."""
    with (folder / facts_file).open(newline="") as handle:
        manifest = list(csv.DictReader(handle))
    for row in manifest:
        document = read_document(folder / row["file"], Settings())
        facts = document_facts(document)  # read_document without a source: nothing from the manifest
        assert (facts.ics, facts.organisation_level, facts.year) == (
            row["ics"],
            row["organisation_level"],
            int(row["year"]),
        ), row["file"]
        assert facts.ics_source == facts.level_source == facts.year_source == "text"


@pytest.mark.parametrize(
    ("cover", "title", "level", "ics", "year"),
    [
        (
            "Digital and Data Strategy 2022-25\n\nNHS Bath and North East Somerset, Swindon and Wiltshire Integrated "
            "Care Board",
            "",
            "ICS",
            "Bath and North East Somerset, Swindon and Wiltshire",
            2022,
        ),
        (
            "Part of the Lancashire and South Cumbria ICS\n\nBlackwater Teaching Hospitals NHS Foundation Trust\n\n"
            "Our Digital Strategy 2023/24 to 2025/26",
            "",
            "trust",
            "Lancashire and South Cumbria",
            2023,
        ),
        (
            "Harrowdene Community Health Partnership NHS Trust\n\nDigital Plan, published April 2024",
            "Digital Plan",
            "trust",
            None,
            2024,
        ),
        (
            "Connecting Care\n\nOur first digital strategy, 2021 to 2024\n\nNHS Fenmoor CCG on behalf of the Fenmoor "
            "Health and Care Partnership",
            "Connecting Care",
            "ICS",
            "Fenmoor",
            2021,
        ),
        (
            "Harnley Health and Care Partnership\n\nDigital Plan 2024 to 2026\n\nA joint plan of Harnley Borough "
            "Council and NHS Oakmere and Dunstow Integrated Care Board\n\nHarnley Health and Care Partnership",
            "",
            "ICS",
            "Oakmere and Dunstow",
            2024,
        ),
        (
            "Digital Strategy Refresh 2025\n\nA refresh of our Digital Strategy 2022 to 2027, approved by the "
            "board in May 2025\n\nNHS Ashvale and Brent Moor Integrated Care Board",
            "",
            "ICS",
            "Ashvale and Brent Moor",
            2025,
        ),
    ],
)
def test_level_ics_and_year_come_from_the_cover(cover: str, title: str, level: str, ics: str | None, year: int) -> None:
    body = (
        "This strategy supports the ambitions of the Lancashire and South Cumbria Integrated Care Board. "
        if level == "trust" and ics
        else "We will work with every partner. "
    )
    document = _document(cover, body * 3, title=title)
    assert read_level(document) == level
    assert read_ics(document, level) == ics
    assert read_year(document) == year


def test_a_heading_that_starts_with_a_verb_names_no_system() -> None:
    contents = "Contents\n1 Our priorities 4\n9.2 Supporting the ICS intelligence platform 11"
    body = (
        "Both trusts are members of the Harlow Fen and Dunsby Integrated Care System. "
        "9.2 Supporting the ICS intelligence platform. We send daily feeds to the Harlow Fen and Dunsby ICS platform."
    )
    document = _document("Ferrow Hospitals NHS Foundation Trust\n\nDigital Strategy 2025 to 2030", contents, body)
    assert read_level(document) == "trust"
    assert read_ics(document, "trust") == "Harlow Fen and Dunsby"


def test_a_manifest_wins_and_says_so() -> None:
    document = _document(
        "Tamworth Vale Integrated Care Board\n\nDigital Strategy 2023 to 2026",
        source=SourceInfo(ics="Tamworth Vale", organisation_level="ICS", year=2024),
    )
    facts = document_facts(document)
    assert (facts.year, facts.year_source, facts.level_source) == (2024, "manifest", "manifest")


def test_nothing_to_read_is_none_not_a_guess() -> None:
    facts = document_facts(_document("Minutes of the meeting held on Tuesday."))
    assert facts.organisation_level is None and facts.ics is None and facts.level_source is None


def test_criteria_level_reads_manifest_and_text_words() -> None:
    assert [criteria_level(w) for w in ("ICS", "trust", "Organisation", "ICB", None, "other")] == [
        "ICS",
        "ORG",
        "ORG",
        "ICS",
        None,
        None,
    ]
