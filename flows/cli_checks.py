"""Usage errors found before any work starts, each naming what is wrong: paths that cannot be
reviewed, a tagger or taxonomy a review cannot use. Typer gives them exit status 2; nothing heavy
is imported, so a mistake is reported in well under two seconds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from flows.cli_output import errors

if TYPE_CHECKING:
    from pipeline.manifest import BatchItem
    from pipeline.models import DocumentReview
    from pipeline.settings import Settings


def checked_items(paths: list[Path], skip_missing: bool) -> list[BatchItem]:
    """The documents PATHS stand for. Unusable paths are a usage error naming each one, or, with
    --skip-missing, a warning as long as some document is left to review."""
    from pipeline.inputs import gather_inputs

    inputs = gather_inputs(paths)
    listed = "\n".join(f"  {problem}" for problem in inputs.problems)
    if inputs.problems and not (skip_missing and inputs.items):
        hint = "\n--skip-missing reviews the others." if inputs.items else ""
        raise typer.BadParameter(
            f"{len(inputs.problems)} path(s) cannot be reviewed:\n{listed}{hint}", param_hint="PATHS"
        )
    if inputs.problems:
        errors.print(
            f"Skipped {len(inputs.problems)} path(s) that cannot be reviewed:\n{listed}",
            style="yellow",
            markup=False,
            highlight=False,
        )
    return inputs.items


def check_model(settings: Settings) -> None:
    """A tagger (or the criterion model beside it) or taxonomy the review cannot use is a usage
    error, found before any flow starts."""
    from pipeline.errors import ModelCardMismatch, TaxonomyError
    from pipeline.versions import load_card, load_criteria_card

    try:
        load_card(settings)
        load_criteria_card(settings)
    except (ModelCardMismatch, TaxonomyError) as error:
        raise typer.BadParameter(str(error), param_hint="--tagger") from error


def existing(path: Path, option: str) -> Path:
    """A file the command reads, given as an option or configured (WGLL_*): missing, a usage error."""
    if not path.is_file():
        raise typer.BadParameter(f"{path}: no such file", param_hint=option)
    return path


def checked_reviews(folder: Path) -> list[DocumentReview]:
    """The reviews an audit reads: none, or a broken one, is a usage error naming the folder or file."""
    from pipeline.review_files import MalformedReview, read_reviews

    try:
        reviews = read_reviews(folder)
    except MalformedReview as error:
        raise typer.BadParameter(str(error), param_hint="REVIEWS") from error
    if not reviews:
        raise typer.BadParameter(f"{folder}: no review written by `wgll review` here", param_hint="REVIEWS")
    return reviews
