"""The ``wgll`` command. A plain re-run, ``wgll review PATHS [--out OUT]``, over a batch whose every
document is current is answered from the up-to-date record the last full run left in OUT
(``pipeline.uptodate_record``), with the standard library and rich alone: the same summary, exit
status 0, in a fraction of the full command's start-up (typer, pydantic, SQLAlchemy, the models'
cards). So is ``wgll audit [REVIEWS] [--out OUT]`` when its audit is current. Every other
command, any other option, and any doubt (no record, anything changed) goes to the full command
line (``flows/cli.py``), which stays the judge of what is current."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_OUT = "out"  # as flows/cli.py's --out of review, and REVIEWS of audit


def _plain(argv: Sequence[str], command: str) -> tuple[list[str], str | None] | None:
    """The arguments and the --out (-o, --out=) of ``COMMAND ARGUMENTS [--out OUT]``; None for
    another command or anything else given (an option, --out twice, an empty value)."""
    if not argv or argv[0] != command:
        return None
    arguments: list[str] = []
    out: str | None = None
    tokens = iter(argv[1:])
    for token in tokens:
        if token in ("--out", "-o") or token.startswith("--out="):
            value = token.removeprefix("--out=") if token.startswith("--out=") else next(tokens, "")
            if out is not None or not value or value.startswith("-"):
                return None
            out = value
        elif token and not token.startswith("-"):
            arguments.append(token)
        else:
            return None
    return arguments, out


def review_request(argv: Sequence[str]) -> tuple[list[str], str] | None:
    """PATHS and OUT of a plain ``review PATHS [--out OUT]``; None for anything else."""
    plain = _plain(argv, "review")
    return (plain[0], plain[1] or DEFAULT_OUT) if plain and plain[0] else None


def audit_request(argv: Sequence[str]) -> tuple[str, str] | None:
    """REVIEWS and the audit's folder of a plain ``audit [REVIEWS] [--out OUT]``; None for anything else."""
    plain = _plain(argv, "audit")
    if plain is None or len(plain[0]) > 1:
        return None
    reviews = plain[0][0] if plain[0] else DEFAULT_OUT
    return reviews, plain[1] or str(Path(reviews) / "audit")


def _summary(command: str, paths: list[str], out: str) -> dict[str, Any] | None:
    from pipeline.uptodate_record import current_summary

    try:
        return current_summary(command, paths, out)
    except Exception:  # noqa: BLE001 - any surprise is a doubt, which the full command resolves
        return None


def answered(argv: Sequence[str]) -> bool:
    """Print what a plain re-run of a review or audit that is done prints; False, having printed
    nothing, when the full command must answer."""
    review, audit = review_request(argv), audit_request(argv)
    if review is not None:
        summary = _summary("review", *review)
        return summary is not None and _print_review(Path(review[1]), summary)
    if audit is not None:
        summary = _summary("audit", [audit[0]], audit[1])
        return summary is not None and _print_audit(Path(audit[0]), Path(audit[1]), summary)
    return False


def _print_review(out: Path, summary: dict[str, Any]) -> bool:
    from flows.cli_output import OutcomeRow, print_nothing_to_do, print_outcomes, print_where

    try:
        documents, rows = int(summary["documents"]), [OutcomeRow(*row) for row in summary["rows"]]
        packs = [out / name for name in summary["packs"]]
    except (KeyError, TypeError, ValueError):
        return False
    print_nothing_to_do(documents, out)
    print_outcomes(rows)
    print_where(out, packs)
    return True


def _print_audit(reviews: Path, target: Path, summary: dict[str, Any]) -> bool:
    from flows.cli_output import print_audit_current, print_audit_files

    try:
        files = {str(name): target / file for name, file in summary["files"].items()}
    except (KeyError, TypeError, AttributeError):
        return False
    print_audit_current(target, reviews)
    print_audit_files(files, reviews)
    return True


def main() -> None:
    if not answered(sys.argv[1:]):
        from flows.cli import app

        app()
