"""The up-to-date record of a reviews folder: when ``wgll review PATHS --out OUT`` ends with every
document current, it leaves in OUT the stamps of every file that result depended on (inputs, tagger,
taxonomy, labels, embedding model, the program's own files, the store, every output), the
surroundings no file shows (interpreter, CPU, WGLL_* settings) and the summary it printed. A re-run
whose stamps and surroundings are all the same is answered from the record
(``flows.entry``) with the standard library alone; anything different, missing or unreadable sends
it to the full check (``pipeline.uptodate``), which stays the judge and writes the record again.
``wgll audit`` leaves one of its own beside the audit (the reviews it read, the audit's files).

Written only from stamps taken after a check that began at ``since`` (``stamps.fs_clock``) and
showing nothing changed since then, so the record never vouches for a file the check did not see."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from pipeline.stamps import (
    RECORD_FILE,
    changed_since,
    index_current,
    json_names,
    program_files,
    stamps,
    surroundings,
)

FORMAT = 1
RECORDS = {"review": RECORD_FILE, "audit": f"{RECORD_FILE}-audit"}  # the commands answered from one


def write_record(
    command: str,
    paths: Sequence[str],
    out: str,
    files: Sequence[str],
    summary: dict[str, object],
    since: int,
    index: str,
    listed: Sequence[str] = (),
    read_once: Sequence[str] = (),
    started: int | None = None,
) -> bool:
    """Record that ``wgll COMMAND PATHS --out OUT`` is done, as the check begun at ``since`` found it:
    ``files`` are what the result depends on, ``listed`` folders whose JSON files it read (all of
    them, so one added is seen), ``index`` the folder whose index page it leaves current, ``summary``
    what the command prints. ``read_once`` are files the process read once, when it ``started``
    (before ``since``), and kept: they, and the program's own files, must not have changed since
    then. Nothing is written (False) when any of those files changed, or the folder cannot be written."""
    first = since if started is None else started
    code, once = stamps(program_files()), stamps(os.path.abspath(path) for path in read_once)
    found = stamps(os.path.abspath(path) for path in files)
    if changed_since(code, first) or changed_since(once, first) or changed_since(found, since):
        return False
    found.update(once)
    record = {
        "format": FORMAT,
        "command": command,
        "paths": [os.path.abspath(path) for path in paths],
        "out": os.path.abspath(out),
        "surroundings": surroundings(),
        "code": code,
        "files": found,
        "listed": {os.path.abspath(folder): json_names(folder) for folder in listed},
        "index": os.path.abspath(index),
        "summary": summary,
    }
    partial = os.path.join(out, f"{RECORDS[command]}.partial")
    try:
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(partial, os.path.join(out, RECORDS[command]))
    except OSError:  # a folder the command can no longer write: its re-runs take the full check
        return False
    return True


def forget_record(command: str, out: str) -> None:
    """Drop the record before work that may change what it vouches for."""
    try:
        os.remove(os.path.join(out, RECORDS[command]))
    except FileNotFoundError:
        pass


def current_summary(command: str, paths: Sequence[str], out: str) -> dict[str, Any] | None:
    """The summary recorded for ``wgll COMMAND PATHS --out OUT`` when everything it depended on is
    as recorded and the index page it left is current; otherwise None."""
    try:
        with open(os.path.join(out, RECORDS[command]), "rb") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("format") != FORMAT or record.get("command") != command:
        return None
    files, listed = record.get("files"), record.get("listed")
    same = (
        record.get("paths") == [os.path.abspath(path) for path in paths]
        and record.get("out") == os.path.abspath(out)
        and record.get("surroundings") == surroundings()
        and isinstance(files, dict)
        and files == stamps(files)
        and isinstance(listed, dict)
        and listed == {folder: json_names(folder) for folder in listed}
        and record.get("code") == stamps(program_files())
        and index_current(str(record.get("index")))
    )
    summary = record.get("summary")
    return summary if same and isinstance(summary, dict) else None
