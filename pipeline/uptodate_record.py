"""The up-to-date record of a reviews folder: when ``wgll review PATHS --out OUT`` ends with every
document current, it leaves in OUT the stamps of every file that result depended on (inputs, tagger,
taxonomy, labels, embedding model, the program's own files, the store, every output), the
surroundings no file shows (interpreter, CPU, WGLL_* settings) and the summary it printed. A re-run
whose stamps and surroundings are all the same is answered from the record
(``flows.entry``) with the standard library alone; anything different, missing or unreadable sends
it to the full check (``pipeline.uptodate``), which stays the judge and writes the record again.

Written only from stamps taken after a check that began at ``since`` (``stamps.fs_clock``) and
showing nothing changed since then, so the record never vouches for a file the check did not see."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from pipeline.stamps import RECORD_FILE, changed_since, code_files, index_current, stamps, surroundings

FORMAT = 1


def write_record(paths: Sequence[str], out: str, files: Sequence[str], summary: dict[str, object], since: int) -> bool:
    """Record that ``wgll review PATHS --out OUT`` is done, as the check begun at ``since`` found it:
    ``files`` are what the result depends on, ``summary`` what the command prints. Nothing is
    written (False) when any of those files changed after ``since``."""
    code, found = stamps(code_files()), stamps(os.path.abspath(path) for path in files)
    if changed_since(code, since) or changed_since(found, since):
        return False
    record = {
        "format": FORMAT,
        "paths": [os.path.abspath(path) for path in paths],
        "out": os.path.abspath(out),
        "surroundings": surroundings(),
        "code": code,
        "files": found,
        "summary": summary,
    }
    partial = os.path.join(out, f"{RECORD_FILE}.partial")
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    os.replace(partial, os.path.join(out, RECORD_FILE))
    return True


def forget_record(out: str) -> None:
    """Drop the record before work that may change what it vouches for."""
    try:
        os.remove(os.path.join(out, RECORD_FILE))
    except FileNotFoundError:
        pass


def current_summary(paths: Sequence[str], out: str) -> dict[str, Any] | None:
    """The summary recorded for ``wgll review PATHS --out OUT`` when everything it depended on is
    as recorded and the folder's index is current; otherwise None."""
    try:
        with open(os.path.join(out, RECORD_FILE), "rb") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return None
    same = (
        record.get("paths") == [os.path.abspath(path) for path in paths]
        and record.get("out") == os.path.abspath(out)
        and record.get("surroundings") == surroundings()
        and isinstance(record.get("files"), dict)
        and record["files"] == stamps(record["files"])
        and record.get("code") == stamps(code_files())
        and index_current(out)
    )
    summary = record.get("summary")
    return summary if same and isinstance(summary, dict) else None
