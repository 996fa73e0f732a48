"""The ``wgll`` entry answers only a plain ``review PATHS [--out OUT]`` from a record, the record is
never written for files changed during the check that vouches for them, and an index page names
the inputs it was made from. (A whole batch's record: tests/flows/test_uptodate_record.py.)"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flows.entry import review_request
from pipeline.index_page import write_index
from pipeline.stamps import RECORD_FILE, code_files, fs_clock, index_current
from pipeline.uptodate_record import current_summary, write_record

SUMMARY = {"documents": 1, "rows": [["a.pdf", "no evidence: none; weak: none", "0123abcd", None]], "packs": []}


@pytest.mark.parametrize(
    ("argv", "request_"),
    [
        (["review", "a.pdf"], (["a.pdf"], "out")),
        (["review", "a.pdf", "in", "--out", "there"], (["a.pdf", "in"], "there")),
        (["review", "-o", "there", "a.pdf"], (["a.pdf"], "there")),
        (["review", "a.pdf", "--out=there"], (["a.pdf"], "there")),
        (["review"], None),
        (["review", "a.pdf", "--force"], None),
        (["review", "a.pdf", "--tagger", "t.joblib"], None),
        (["review", "a.pdf", "--out", "x", "--out", "y"], None),
        (["review", "a.pdf", "--out"], None),
        (["review", "--help"], None),
        (["audit", "out"], None),
        (["--version"], None),
        ([], None),
    ],
)
def test_only_a_plain_review_is_answered_from_a_record(argv: list[str], request_: tuple[list[str], str] | None) -> None:
    assert review_request(argv) == request_


def _folder(tmp_path: Path) -> tuple[Path, Path]:
    pdf, out = tmp_path / "a.pdf", tmp_path / "out"
    pdf.write_bytes(b"%PDF-1.4 not reviewed here")
    out.mkdir()
    write_index(out)
    return pdf, out


def test_a_record_answers_until_a_file_it_names_changes(tmp_path: Path) -> None:
    pdf, out = _folder(tmp_path)
    since = fs_clock()
    assert write_record([str(pdf)], str(out), [str(pdf)], SUMMARY, since)
    assert current_summary([str(pdf)], str(out)) == SUMMARY
    assert current_summary([str(pdf)], str(tmp_path / "elsewhere")) is None
    os.utime(pdf)
    assert current_summary([str(pdf)], str(out)) is None


def test_no_record_vouches_for_a_file_changed_after_its_check_began(tmp_path: Path) -> None:
    pdf, out = _folder(tmp_path)
    since = fs_clock()
    pdf.write_bytes(b"%PDF-1.4 changed while the check ran")
    assert not write_record([str(pdf)], str(out), [str(pdf)], SUMMARY, since)
    assert not (out / RECORD_FILE).exists()


def test_a_record_of_another_format_or_a_broken_one_answers_nothing(tmp_path: Path) -> None:
    pdf, out = _folder(tmp_path)
    assert write_record([str(pdf)], str(out), [str(pdf)], SUMMARY, fs_clock())
    record = json.loads((out / RECORD_FILE).read_text())
    (out / RECORD_FILE).write_text(json.dumps({**record, "format": 0}))
    assert current_summary([str(pdf)], str(out)) is None
    (out / RECORD_FILE).write_text("{")
    assert current_summary([str(pdf)], str(out)) is None


def test_the_index_names_its_inputs_and_is_stale_when_they_change(tmp_path: Path) -> None:
    _, out = _folder(tmp_path)
    assert index_current(str(out))
    (out / RECORD_FILE).write_text("{}")  # the record, the store and the index itself are not inputs
    (out / "wgll.sqlite").write_text("")
    assert index_current(str(out))
    (out / "other.json").write_text("{}")
    assert not index_current(str(out))
    write_index(out)
    assert index_current(str(out))


def test_the_program_files_include_sources_and_artifacts() -> None:
    names = {Path(path).name for path in code_files()}
    assert {"stamps.py", "entry.py", "tagger.joblib", "review.html"} <= names
    assert not any("__pycache__" in path for path in code_files())
