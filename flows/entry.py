"""The ``wgll`` command. A plain re-run, ``wgll review PATHS [--out OUT]``, over a batch whose every
document is current is answered from the up-to-date record the last full run left in OUT
(``pipeline.uptodate_record``), with the standard library and rich alone: the same summary, exit
status 0, in a fraction of the full command's start-up (typer, pydantic, SQLAlchemy, the models'
cards). Every other command, any other option, and any doubt (no record, anything changed) goes to
the full command line (``flows/cli.py``), which stays the judge of what is current."""

from __future__ import annotations

import sys
from collections.abc import Sequence

DEFAULT_OUT = "out"  # as flows/cli.py's --out


def review_request(argv: Sequence[str]) -> tuple[list[str], str] | None:
    """PATHS and OUT of ``review PATHS [--out OUT | -o OUT | --out=OUT]``; None for anything else."""
    if not argv or argv[0] != "review":
        return None
    paths: list[str] = []
    out: str | None = None
    tokens = iter(argv[1:])
    for token in tokens:
        if token in ("--out", "-o") or token.startswith("--out="):
            value = token.removeprefix("--out=") if token.startswith("--out=") else next(tokens, "")
            if out is not None or not value or value.startswith("-"):
                return None
            out = value
        elif token and not token.startswith("-"):
            paths.append(token)
        else:
            return None
    return (paths, out or DEFAULT_OUT) if paths else None


def answered(argv: Sequence[str]) -> bool:
    """Print the recorded summary of a batch that is done; False, having printed nothing, when the
    full command must answer."""
    from pipeline.uptodate_record import current_summary

    request = review_request(argv)
    try:
        summary = current_summary(*request) if request else None
    except Exception:  # noqa: BLE001 - any surprise is a doubt, which the full command resolves
        summary = None
    if request is None or summary is None:
        return False
    from pathlib import Path

    from flows.cli_output import OutcomeRow, print_nothing_to_do, print_outcomes, print_where

    out = Path(request[1])
    try:
        documents, rows = int(summary["documents"]), [OutcomeRow(*row) for row in summary["rows"]]
        packs = [out / name for name in summary["packs"]]
    except (KeyError, TypeError, ValueError):
        return False
    print_nothing_to_do(documents, out)
    print_outcomes(rows)
    print_where(out, packs)
    return True


def main() -> None:
    if not answered(sys.argv[1:]):
        from flows.cli import app

        app()
