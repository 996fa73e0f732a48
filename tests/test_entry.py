"""The ``wgll`` entry answers only a plain ``review PATHS [--out OUT]`` from a record, the record is
never written for files changed during the check that vouches for them, and an index page names
the inputs it was made from. (A whole batch's record: tests/flows/test_uptodate_record.py.)"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from flows.entry import audit_request, review_request
from pipeline.index_page import write_index
from pipeline.stamps import RECORD_FILE, fs_clock, index_current, program_files
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


@pytest.mark.parametrize(
    ("argv", "request_"),
    [
        (["audit"], ("out", "out/audit")),
        (["audit", "reviews"], ("reviews", "reviews/audit")),
        (["audit", "reviews", "-o", "elsewhere"], ("reviews", "elsewhere")),
        (["audit", "a", "b"], None),
        (["audit", "--force"], None),
        (["audit", "--task-runner", "dask"], None),
        (["review", "a.pdf"], None),
    ],
)
def test_only_a_plain_audit_is_answered_from_a_record(argv: list[str], request_: tuple[str, str] | None) -> None:
    assert audit_request(argv) == request_


def test_a_record_answers_only_the_command_that_wrote_it(tmp_path: Path) -> None:
    pdf, out = _folder(tmp_path)
    assert write_record("review", [str(pdf)], str(out), [str(pdf)], SUMMARY, fs_clock(), str(out))
    assert current_summary("audit", [str(pdf)], str(out)) is None


def _folder(tmp_path: Path) -> tuple[Path, Path]:
    pdf, out = tmp_path / "a.pdf", tmp_path / "out"
    pdf.write_bytes(b"%PDF-1.4 not reviewed here")
    out.mkdir()
    write_index(out)
    return pdf, out


def test_a_record_answers_until_a_file_it_names_changes(tmp_path: Path) -> None:
    pdf, out = _folder(tmp_path)
    since = fs_clock()
    assert write_record("review", [str(pdf)], str(out), [str(pdf)], SUMMARY, since, str(out))
    assert current_summary("review", [str(pdf)], str(out)) == SUMMARY
    assert current_summary("review", [str(pdf)], str(tmp_path / "elsewhere")) is None
    os.utime(pdf)
    assert current_summary("review", [str(pdf)], str(out)) is None


def test_a_record_answers_only_from_the_folder_it_was_written_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relative paths in WGLL_* settings name other files from another folder."""
    pdf, out = _folder(tmp_path)
    assert write_record("review", [str(pdf)], str(out), [str(pdf)], SUMMARY, fs_clock(), str(out))
    monkeypatch.chdir(out)
    assert current_summary("review", [str(pdf)], str(out)) is None


def test_no_record_vouches_for_a_file_changed_after_its_check_began(tmp_path: Path) -> None:
    pdf, out = _folder(tmp_path)
    since = fs_clock()
    pdf.write_bytes(b"%PDF-1.4 changed while the check ran")
    assert not write_record("review", [str(pdf)], str(out), [str(pdf)], SUMMARY, since, str(out))
    assert not (out / RECORD_FILE).exists()


def _clock_after(path: Path) -> int:
    """The file system's clock once it has moved past ``path``'s last change (file times are coarse)."""
    changed = max(path.stat().st_mtime_ns, path.stat().st_ctime_ns)
    while (now := fs_clock()) <= changed:
        continue
    return now


def test_no_record_vouches_for_a_file_read_once_and_changed_since_the_command_started(tmp_path: Path) -> None:
    """A batch's versions are read when the command starts and kept: a tagger replaced while the
    batch ran is not vouched for by the check after it, though it changed before that check."""
    pdf, out = _folder(tmp_path)
    tagger = tmp_path / "tagger.joblib"
    started = fs_clock()
    tagger.write_bytes(b"retrained while the batch ran")
    since = _clock_after(tagger)
    record = ("review", [str(pdf)], str(out), [str(pdf)], SUMMARY, since, str(out), (), [str(tagger)])
    assert not write_record(*record, started)
    assert write_record(*record), "read by the check itself, it is vouched for"
    os.utime(tagger)
    assert current_summary("review", [str(pdf)], str(out)) is None, "a file read once is stamped too"


def test_a_record_of_another_format_or_a_broken_one_answers_nothing(tmp_path: Path) -> None:
    pdf, out = _folder(tmp_path)
    assert write_record("review", [str(pdf)], str(out), [str(pdf)], SUMMARY, fs_clock(), str(out))
    record = json.loads((out / RECORD_FILE).read_text())
    (out / RECORD_FILE).write_text(json.dumps({**record, "format": 0}))
    assert current_summary("review", [str(pdf)], str(out)) is None
    (out / RECORD_FILE).write_text("{")
    assert current_summary("review", [str(pdf)], str(out)) is None


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


def test_the_program_files_include_sources_artifacts_and_import_folders() -> None:
    files = program_files()
    assert {"stamps.py", "entry.py", "tagger.joblib", "review.html"} <= {Path(path).name for path in files}
    assert not any("__pycache__" in path for path in files)
    assert next(path for path in sys.path if path.endswith("site-packages")) in files
