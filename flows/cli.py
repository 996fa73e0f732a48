"""The ``wgll`` command line: each command parses its options and makes one call."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

app = typer.Typer(help="Review ICS digital strategies against What Good Looks Like.", no_args_is_help=True)
console = Console()


def _settings(embedding_model: str | None = None, tagger: Path | None = None, cache_dir: Path | None = None):  # type: ignore[no-untyped-def]
    from pipeline.settings import Settings

    overrides = {"embedding_model": embedding_model, "tagger_path": tagger, "cache_dir": cache_dir}
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


@app.command()
def review(
    paths: Annotated[list[Path], typer.Argument(help="PDF files, folders of PDFs, or manifest CSVs.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for <document id>.json and .html.")] = Path("out"),
    password: Annotated[Optional[str], typer.Option(help="Password for encrypted PDFs named directly.")] = None,
    embedding_model: Annotated[Optional[str], typer.Option(help="sentence-transformers model name or folder.")] = None,
    tagger: Annotated[Optional[Path], typer.Option(help="A fitted tagger (.joblib with its .json card).")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option(help="Where embeddings are cached.")] = None,
) -> None:
    """Review every strategy in PATHS through the review_batch flow and write results to --out."""
    from flows.review import review_batch
    from pipeline.manifest import collect_items

    items = collect_items(paths)
    if password:
        items = [item.model_copy(update={"password": item.password or password}) for item in items]
    if not items:
        raise typer.BadParameter("no PDF found in the given paths", param_hint="PATHS")
    console.print(f"Reviewing {len(items)} document(s) into {out}/ ...")
    reviews = review_batch(items, out, _settings(embedding_model, tagger, cache_dir))
    table = Table("file", "outcome", "output")
    for item_review in reviews:
        gaps = [m.id for m in item_review.measures if m.status == "no_evidence"]
        weak = [m.id for m in item_review.measures if m.status == "weak"]
        outcome = (
            f"[red]{item_review.errors[0].code}[/red]: {item_review.errors[0].message}"
            if item_review.errors
            else f"no evidence: {', '.join(gaps) or '-'}; weak: {', '.join(weak) or '-'}"
        )
        table.add_row(item_review.document.file, outcome, f"{item_review.document.id[:12]}….json")
    console.print(table)


@app.command()
def train(
    labels: Annotated[Optional[Path], typer.Option(help="Labelled passages (JSONL).")] = None,
    output: Annotated[Optional[Path], typer.Option(help="Where to write the tagger (.joblib).")] = None,
) -> None:
    """Fit the tagger on the labelled passages and write it with its model card."""
    from pipeline.model_card import save_tagger
    from pipeline.taxonomy import load_taxonomy
    from pipeline.train import fit_tagger, read_labelled

    settings = _settings()
    labelled = read_labelled(labels or settings.labels_path)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    console.print(f"Fitting on {len(labelled)} labelled passages ...")
    tagger, card = fit_tagger(labelled, taxonomy, settings)
    card = save_tagger(tagger, card, output or settings.tagger_path)
    console.print(f"Saved {output or settings.tagger_path}; cross-validated macro-F1 {card.cv_metrics['macro_f1']}")
