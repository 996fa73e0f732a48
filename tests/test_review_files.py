"""Review files named by the strategy's file name and a short id, found again by any name a
reviewer uses, and folders written under the old id-only naming still read and then tidied."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.outputs import review_files_current, review_json, write_outputs, write_review_files
from pipeline.review_files import find_reviews, locate_review, read_reviews, review_files, review_stem, slug
from pipeline.settings import get_settings
from pipeline.taxonomy import load_taxonomy
from tests.test_audit import HOSTILE_FILE, make_review

MARLSHIRE = make_review("c", "Marlshire", "ICS", 2023, "eeneeen", file="marlshire-ics-2023.pdf")
# The same file name for another strategy (another folder, other bytes): another short id.
MARLSHIRE_DRAFT = make_review("d", "Marlshire", "ICS", 2022, "ennewen", file="marlshire-ics-2023.pdf")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("marlshire-ics-2023", "marlshire-ics-2023"),
        ("Digital Strategy 2024 (FINAL v3)", "digital-strategy-2024-final-v3"),
        ("Stratégie numérique – Île", "strategie-numerique-ile"),
        ("<img src=x onerror=alert(1)>", "img-src-x-onerror-alert-1"),
        ("££££", "document"),
        ("a" * 100, "a" * 60),
    ],
)
def test_slug_keeps_letters_and_digits_joined_by_hyphens(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_files_start_with_the_file_name_then_the_short_id(tmp_path: Path) -> None:
    assert review_stem(MARLSHIRE) == "marlshire-ics-2023.cccccccc"
    json_path, html_path = write_outputs(MARLSHIRE, tmp_path)
    assert (json_path.name, html_path.name) == ("marlshire-ics-2023.cccccccc.json", "marlshire-ics-2023.cccccccc.html")
    files = review_files(MARLSHIRE, tmp_path)
    assert (files.pack_html.name, files.pack_pdf.name) == (
        "marlshire-ics-2023.cccccccc-pack.html",
        "marlshire-ics-2023.cccccccc-pack.pdf",
    )
    assert '"id": "' + "c" * 64 + '"' in json_path.read_text(), "the full id stays inside"


def test_two_strategies_with_one_file_name_stay_apart(tmp_path: Path) -> None:
    write_outputs(MARLSHIRE, tmp_path)
    write_outputs(MARLSHIRE_DRAFT, tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.json")) == [
        "marlshire-ics-2023.cccccccc.json",
        "marlshire-ics-2023.dddddddd.json",
    ]
    assert sorted(r.document.id[0] for r in read_reviews(tmp_path)) == ["c", "d"]
    with pytest.raises(
        LookupError, match=r"2 reviews .* matches 'marlshire-ics-2023.pdf'[\s\S]*cccccccc[\s\S]*dddddddd"
    ):
        locate_review(tmp_path, "marlshire-ics-2023.pdf")


@pytest.mark.parametrize(
    "key",
    [
        "c" * 64,
        "cccccccc",
        "marlshire-ics-2023.cccccccc",
        "marlshire-ics-2023.cccccccc.json",
        "marlshire-ics-2023.cccccccc-pack.pdf",
        "marlshire-ics-2023.pdf",
        "some/folder/marlshire-ics-2023.pdf",
        "marlshire-ics-2023",
    ],
)
def test_a_review_is_found_by_any_of_its_names(tmp_path: Path, key: str) -> None:
    write_outputs(MARLSHIRE, tmp_path)
    write_outputs(make_review("a", "Elsewhere", "ICS", 2024, "eeeeeee", file="elsewhere.pdf"), tmp_path)
    assert locate_review(tmp_path, key) == MARLSHIRE


def test_a_name_no_review_has_is_an_error_saying_so(tmp_path: Path) -> None:
    write_outputs(MARLSHIRE, tmp_path)
    with pytest.raises(LookupError, match=r"no review in .* matches 'severn-coast-ics-2022.pdf'"):
        locate_review(tmp_path, "severn-coast-ics-2022.pdf")


def test_a_review_json_path_is_read_from_anywhere(tmp_path: Path) -> None:
    json_path, _ = write_outputs(MARLSHIRE, tmp_path / "out")
    moved = shutil.copy(json_path, tmp_path / "kept.json")
    assert locate_review(tmp_path / "elsewhere", str(moved)) == MARLSHIRE


def _write_legacy(review_stem_id: str, tmp_path: Path, review_text: str) -> list[Path]:
    paths = [tmp_path / f"{review_stem_id}{suffix}" for suffix in (".json", ".html", "-pack.html", "-pack.pdf")]
    paths[0].write_text(review_text, encoding="utf-8")
    for path in paths[1:]:
        path.write_text("old", encoding="utf-8")
    return paths


def test_an_old_id_named_folder_is_still_read(tmp_path: Path) -> None:
    _write_legacy("c" * 64, tmp_path, review_json(MARLSHIRE))
    [found] = find_reviews(tmp_path)
    assert found.review == MARLSHIRE and found.files.page.name == "c" * 64 + ".html"
    assert locate_review(tmp_path, "marlshire-ics-2023.pdf") == MARLSHIRE


def test_writing_a_review_replaces_its_old_id_named_files(tmp_path: Path) -> None:
    legacy = _write_legacy("c" * 64, tmp_path, review_json(MARLSHIRE))
    other = _write_legacy("a" * 64, tmp_path, review_json(make_review("a", "X", "ICS", 2024, "eeeeeee")))
    assert not review_files_current(MARLSHIRE, tmp_path, with_pack=False), "old names are not the current set"

    taxonomy = load_taxonomy(get_settings().taxonomy_path)
    assert write_review_files(MARLSHIRE, taxonomy, tmp_path, with_pack=False, printer="auto")
    assert not any(path.exists() for path in legacy), "the old names of this review are gone"
    assert all(path.exists() for path in other), "another document's old files are left alone"
    assert review_files_current(MARLSHIRE, tmp_path, with_pack=False)
    assert sorted(r.document.id[0] for r in read_reviews(tmp_path)) == ["a", "c"]


def test_an_old_file_beside_the_new_one_of_the_same_document_is_left_out(tmp_path: Path) -> None:
    _write_legacy("c" * 64, tmp_path, review_json(MARLSHIRE))
    write_outputs(MARLSHIRE, tmp_path)
    [found] = find_reviews(tmp_path)
    assert found.files.stem == "marlshire-ics-2023.cccccccc"


def test_hostile_file_names_make_safe_file_names(tmp_path: Path) -> None:
    review = make_review("e", "Vale", "ICS", 2024, "eeeeeee", file=HOSTILE_FILE)
    json_path, _ = write_outputs(review, tmp_path)
    assert json_path.name == "img-src-x-onerror-alert-1.eeeeeeee.json"


def test_a_written_review_is_current_until_its_json_says_something_else(tmp_path: Path) -> None:
    """An unchanged re-run writes nothing; a JSON file edited, cut short or of another review is redone."""
    taxonomy = load_taxonomy(get_settings().taxonomy_path)
    write_review_files(MARLSHIRE, taxonomy, tmp_path, with_pack=False, printer="auto")
    assert review_files_current(MARLSHIRE, tmp_path, with_pack=False)
    [found] = find_reviews(tmp_path)
    text = found.files.json.read_text(encoding="utf-8")
    found.files.json.write_text(text.replace("Marlshire", "Elsewhere"), encoding="utf-8")
    assert not review_files_current(MARLSHIRE, tmp_path, with_pack=False), "edited"
    found.files.json.write_text(text[: len(text) // 2], encoding="utf-8")
    assert not review_files_current(MARLSHIRE, tmp_path, with_pack=False), "cut short"
    assert write_review_files(MARLSHIRE, taxonomy, tmp_path, with_pack=False, printer="auto"), "written again"
    assert review_files_current(MARLSHIRE, tmp_path, with_pack=False)
